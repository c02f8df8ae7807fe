// The tracks of a simulated ECKD volume: which records each track holds
// (count areas) and their keys and data. A volume is an image of Linux
// block size: record r of track t (r = 1..12) lies at block t * 12 + r - 1
// of the image, 4 KiB each, key then data, so the image reads like the
// guest's /dev/dasda and a test can compare the two. The image is a sparse
// file or sparse memory. A new image is the CDL volume `dasdfmt -d cdl -b
// 4096` and `fdasd -a` leave: IPL records, VOL1, the VTOC, one partition.
// Tracks a guest formats differently (WRITE CKD) keep their records in
// memory.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "ccw/eckd_geometry.h"
#include "ccw/vtoc.h"
#include "kvm/guest_memory.h"

namespace ccw::eckd {

class CkdVolume {
 public:
  // `image` "": memory. A missing or empty file is made (sparse) and
  // formatted; a file of the volume's size is used as it is; any other size
  // is an error naming the sizes. `devno` names the volume (0X2B09).
  static base::Result<std::unique_ptr<CkdVolume>> open(const Geometry& g, unsigned devno, const std::string& image,
                                                       std::string& error, DscbDate created = {126, 1});
  ~CkdVolume();
  CkdVolume(const CkdVolume&) = delete;
  CkdVolume& operator=(const CkdVolume&) = delete;

  const Geometry& geometry() const { return m_geometry; }
  uint64_t image_size() const { return uint64_t{m_geometry.tracks()} * BLOCKS_PER_TRACK * BLOCK_SIZE; }

  // Record `rec` (0 = R0) of `track`, or nothing past the track's last one.
  std::optional<RecordFormat> record(unsigned track, unsigned rec) const;
  // Key and data of a record (out.size() == kl + dl); R0's data reads as
  // zeros. False for no such record or an I/O error on the image.
  bool read(unsigned track, unsigned rec, std::span<uint8_t> out) const;
  bool write(unsigned track, unsigned rec, std::span<const uint8_t> in);
  // WRITE CKD / WRITE R0: the track now holds `records` (R0 first), their
  // contents zero. The standard layout returns the track to the image.
  void format(unsigned track, std::vector<RecordFormat> records);

 private:
  CkdVolume(const Geometry& g, int fd);
  bool image_read(uint64_t offset, std::span<uint8_t> out) const;
  bool image_write(uint64_t offset, std::span<const uint8_t> in);
  bool write_new_volume(unsigned devno, DscbDate created);

  struct Track {  // a track formatted other than its standard layout
    std::vector<RecordFormat> formats;         // R0 first
    std::vector<std::vector<uint8_t>> contents;  // key and data of each
  };

  Geometry m_geometry;
  int m_fd = -1;  // the image file, or -1 for memory
  std::unique_ptr<kvm::GuestMemory> m_memory;  // sparse pages (the guest's kind)
  std::map<unsigned, Track> m_custom;
};

// The standard layout of a CDL volume with 4 KiB blocks (cdl_record()).
std::vector<RecordFormat> standard_track(const Geometry& g, unsigned track);

}  // namespace ccw::eckd
