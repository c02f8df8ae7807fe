// The guest's Linux setting a DASD online (`chccwdev -e`): cio's path
// verification and grouping (device_pgid.c), then dasd-eckd's
// check_characteristics, disk layout analysis and the partition scan
// (dasd_eckd.c, block/partitions/ibm.c), each step a channel program run
// through QEMU and vfio-ccw on the simulated disk. The kernel log lines
// are made from the disk's own replies. Block reads and writes go through
// the channel programs dasd-eckd builds for the block layer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "guest/ccw_io.h"

namespace guest {

struct DasdOnlineOptions {
  // Kernels before 5.10 print "A channel path to the device has become
  // operational" once; later ones once for each of the two reads of the
  // configuration data.
  bool path_message_once = false;
  std::string disk_name = "dasda";
};

// What dasd-eckd learnt of a disk while setting it online.
struct DasdGeometry {
  std::string busid;
  uint8_t opm = 0;  // the paths it found operational
  std::array<uint8_t, 64> rdc{};
  unsigned cylinders = 0, heads = 0, blk_per_trk = 0, block_size = 0;
  bool cdl = false;
  unsigned blocks() const { return cylinders * heads * blk_per_trk; }
};

class DasdEckd {
 public:
  DasdEckd(CcwIo& io, DasdGeometry& geo) : m_io(io), m_geo(geo) {}

  // The whole sequence; the lines go to `dmesg` as the guest's kernel
  // prints them. False, with `error` as chccwdev would put it, when a step
  // fails the way Linux gives up on it.
  bool set_online(const DasdOnlineOptions& opts, std::vector<std::string>& dmesg, std::string& error);

  // A Linux block of 4 KiB (a CDL's special blocks read as their record
  // padded with 0xE5, written as the record's first bytes).
  std::optional<std::array<uint8_t, 4096>> read_block(unsigned block);
  bool write_block(unsigned block, const std::array<uint8_t, 4096>& data);
  // `count` blocks from `first` (none of them CDL's special ones) in one
  // request: DEFINE EXTENT, then LOCATE RECORD and READ DATA multitrack
  // CCWs, a TIC into a new segment every 128 blocks (vfio-ccw takes 256
  // CCWs a segment, LOCATE RECORD 255 records). The data lands in the
  // guest's memory at DATA_AREA, block after block; false for an error.
  bool read_blocks(unsigned first, unsigned count);
  static constexpr unsigned MAX_BLOCKS = 256;

 private:
  bool path_group(std::vector<std::string>& dmesg);
  bool read_conf(std::vector<std::string>& dmesg, bool message_once, bool first);
  std::optional<ccw::Irb> run(std::span<const ccw::Ccw1> ccws, uint8_t lpm = 0);
  // The data area of CCW `i` of a chain.
  uint32_t data(unsigned i) const { return DATA_AREA + i * 0x1000; }
  std::string prefix() const;

  // The record length of a block: CDL's special blocks are shorter.
  unsigned record_length(unsigned block) const;
  std::optional<ccw::Irb> block_io(unsigned block, bool write);

  CcwIo& m_io;
  DasdGeometry& m_geo;
};

// The disk name of the devindex-th DASD: dasda..dasdz, dasdaa..dasdzz,
// then three letters (dasd_gendisk_alloc()).
std::string dasd_disk_name(unsigned devindex);

}  // namespace guest
