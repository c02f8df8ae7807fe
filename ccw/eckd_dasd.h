// A 3390 behind a 3990 control unit, as the channel sees it: the commands
// cio and dasd-eckd send (SENSE ID, path groups, RCD, RDC, PSF/RSSD,
// DEFINE EXTENT, LOCATE RECORD, the reads and writes of counts, keys and
// data, the formatting writes) and the few older ones a boot record uses
// (READ IPL, SEEK, SEARCH ID EQUAL). Anything else is a command reject
// with 24-byte sense. Records live on a CkdVolume.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>

#include "ccw/ckd_volume.h"
#include "ccw/device_model.h"

namespace ccw::eckd {

// ECKD command codes (dasd_eckd.h DASD_ECKD_CCW_*); MT variants add 0x80.
inline constexpr uint8_t CMD_WRITE = 0x05, CMD_READ = 0x06, CMD_SEEK = 0x07, CMD_WRITE_KD = 0x0d,
                         CMD_READ_KD = 0x0e, CMD_READ_COUNT = 0x12, CMD_WRITE_RECORD_ZERO = 0x15,
                         CMD_READ_RECORD_ZERO = 0x16, CMD_WRITE_CKD = 0x1d, CMD_READ_CKD = 0x1e,
                         CMD_PSF = 0x27, CMD_SEARCH_ID_EQUAL = 0x31, CMD_SNID = 0x34, CMD_RSSD = 0x3e,
                         CMD_LOCATE_RECORD = 0x47, CMD_LOCATE_RECORD_EXT = 0x4b, CMD_DEFINE_EXTENT = 0x63,
                         CMD_RDC = 0x64, CMD_RELEASE = 0x94, CMD_RESERVE = 0xb4, CMD_SLCK = 0x14, CMD_SPID = 0xaf,
                         CMD_READ_TRACK = 0xde, CMD_RSCK = 0xf9, CMD_RCD = 0xfa, CMD_MT = 0x80;

// Sense byte 0 and 1 bits (asm/cio.h SNS0_*, SNS1_*).
inline constexpr uint8_t SNS0_CMD_REJECT = 0x80, SNS0_INTERVENTION_REQ = 0x40, SNS0_EQUIPMENT_CHECK = 0x10,
                         SNS0_DATA_CHECK = 0x08;
inline constexpr uint8_t SNS1_PERM_ERR = 0x80, SNS1_INV_TRACK_FORMAT = 0x40, SNS1_EOC = 0x20,
                         SNS1_NO_REC_FOUND = 0x08, SNS1_FILE_PROTECTED = 0x04, SNS1_WRITE_INHIBITED = 0x02;
// Format-0 messages of a command reject (sense byte 7).
inline constexpr uint8_t MSG_INVALID_COMMAND = 0x01, MSG_INVALID_SEQUENCE = 0x02, MSG_COUNT_TOO_SMALL = 0x03,
                         MSG_INVALID_PARAMETER = 0x04;

// struct pgid (css.h) as SENSE PGID returns it: byte 0 the path state.
inline constexpr uint8_t PGID_STATE_GROUPED = 0xc0, PGID_STATE_MULTIPATH = 0x08, PGID_STATE_RESERVED_SELF = 0x30;

class EckdDasd final : public DeviceModel {
 public:
  EckdDasd(std::unique_ptr<CkdVolume> volume, unsigned devno);

  void start(uint8_t path) override;
  CommandEnd command(uint8_t cmd, std::span<uint8_t> data) override;
  std::array<uint8_t, 32> sense() override;

  CkdVolume& volume() { return *m_volume; }
  // Faults: reads and writes of records on these tracks end in a data check.
  std::set<unsigned> media_errors;
  // The device's own write protection (not a DEFINE EXTENT's file mask).
  bool write_inhibited = false;

  // The 256 bytes of READ CONFIGURATION DATA: the device's NED, the
  // string, storage director and subsystem NEDs, and the GNEQ.
  std::array<uint8_t, 256> configuration_data() const;

 private:
  struct Extent {
    uint8_t mask = 0, attributes = 0;
    unsigned first = 0, last = 0;  // tracks
  };
  // Where the device stands on a track: after record `rec`'s count area
  // (`data_next`) or after the whole record.
  struct Orientation {
    unsigned track = 0, rec = 0;
    bool data_next = false;
  };
  struct Locate {  // LOCATE RECORD's domain
    uint8_t operation = 0;
    unsigned remaining = 0;
  };

  CommandEnd reject(uint8_t message);
  CommandEnd unit_check(uint8_t s0, uint8_t s1, uint8_t s7 = 0);
  CommandEnd define_extent(std::span<const uint8_t> d);
  CommandEnd locate_record(std::span<const uint8_t> d, bool extended);
  CommandEnd seek(std::span<const uint8_t> d);
  CommandEnd search_id_equal(std::span<const uint8_t> d);
  CommandEnd psf(std::span<const uint8_t> d);
  CommandEnd rssd(std::span<uint8_t> d);
  CommandEnd path_group(uint8_t cmd, std::span<uint8_t> d);
  CommandEnd read_ipl(std::span<uint8_t> d);
  CommandEnd record_io(uint8_t cmd, std::span<uint8_t> d);
  CommandEnd read_track(std::span<uint8_t> d);
  CommandEnd format_write(uint8_t cmd, std::span<const uint8_t> d);
  // Moves to the next record for a data command: the one oriented to, or
  // the next one, or (MT) record 1 of the next track in the extent.
  std::optional<CommandEnd> advance(bool multitrack, bool count_only);
  bool in_extent(unsigned track) const;
  // A record's count area: cchh (set_ch_t()), r, key and data length.
  std::array<uint8_t, 8> count_area(unsigned track, unsigned rec, RecordFormat f) const;
  std::optional<unsigned> track_of(std::span<const uint8_t, 4> cchh) const;

  std::unique_ptr<CkdVolume> m_volume;
  unsigned m_devno;
  std::array<uint8_t, 32> m_sense{};
  bool m_sense_pending = false;
  // Per path (bit 0x80 >> i): the stored PGID and its state byte.
  struct PathGroup {
    std::array<uint8_t, 11> id{};
    uint8_t state = 0;
  };
  std::array<PathGroup, 8> m_paths{};
  unsigned m_path = 0;
  // The running program's state.
  unsigned m_commands = 0;  // since start()
  std::optional<Extent> m_extent;
  std::optional<Locate> m_locate;
  Orientation m_at;
  unsigned m_search_passes = 0;
  std::optional<uint8_t> m_prssd;  // the suborder PSF prepared
};

}  // namespace ccw::eckd
