// The vfio_ap migration data (struct vfio_ap_config, spec §8): the source
// guest's AP configuration as the source's STOP_COPY file gives it and the
// destination's RESUMING file takes it. s390 byte order (big-endian):
//   off 0  u32 num_queues   off 4  u8 reserved[4]   off 8  u64 adm[4]
//   off 40 num_queues x { u64 data (TAPQ GR2); u16 apqn; u8 reserved[6] }
// APQNs APID-major, both ascending. 40 + 16 n bytes, get_data_size's answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/bitmap256.h"
#include "base/result.h"

namespace migration {

struct QueueInfo {
  uint64_t data;  // the hardware information word from TAPQ
  uint16_t apqn;  // apid << 8 | apqi
  unsigned apid() const { return apqn >> 8; }
  unsigned apqi() const { return apqn & 0xff; }
  friend bool operator==(const QueueInfo&, const QueueInfo&) = default;
};

struct ApConfig {
  base::Bitmap256 adm;
  std::vector<QueueInfo> queues;
  friend bool operator==(const ApConfig&, const ApConfig&) = default;
};

inline constexpr size_t CONFIG_HEADER_SIZE = 40, QUEUE_INFO_SIZE = 16;
inline constexpr uint32_t MAX_AP_QUEUES = 256 * 256;  // AP_DEVICES * AP_DOMAINS
inline constexpr size_t config_size(size_t num_queues) { return CONFIG_HEADER_SIZE + num_queues * QUEUE_INFO_SIZE; }

std::vector<uint8_t> encode(const ApConfig& c);
// The length the stream's num_queues announces; 0 if it has no num_queues.
size_t announced_size(std::span<const uint8_t> stream);

// The destination's side of the stream (vfio_ap_resuming_write()): it
// takes write(2)s until the last byte has arrived.
class ResumeBuffer {
 public:
  // One write of `data`; `positioned` for pwrite(2). The bytes taken, or:
  // ESPIPE pwrite, EINVAL nothing to write, a first write shorter than the
  // num_queues field or num_queues > 65536, EIO beyond the total size.
  base::Result<size_t> write(std::span<const uint8_t> data, bool positioned);
  bool complete() const { return m_size && m_buf.size() == m_size; }
  // The configuration, once complete().
  ApConfig config() const;

 private:
  std::vector<uint8_t> m_buf;
  size_t m_size = 0;  // known from the first write
};

}  // namespace migration
