// What an ECKD DASD (a 3390 behind a 3990 control unit) is made of and
// says about itself: its geometry and track capacity, the SENSE ID and
// READ DEVICE CHARACTERISTICS replies, and the record layout of a volume
// formatted with the compatible disk layout (CDL) and 4 KiB blocks. The
// channel programs that read and write it build on these.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace ccw::eckd {

struct Geometry {
  unsigned cylinders = 10017;  // the vfio-ccw document's disk
  unsigned heads = 15;         // tracks per cylinder
  unsigned cu_type = 0x3990, cu_model = 0xe9;
  unsigned dev_type = 0x3390, dev_model = 0x0e;
  unsigned tracks() const { return cylinders * heads; }
};

// A 3390 track's capacity, as dasd_eckd.c recs_per_track() computes it:
// records of key length `kl` and data length `dl` that fit on one track.
unsigned recs_per_track_3390(unsigned kl, unsigned dl);
// The same formula per record: a 3390 track holds 1729 cells after R0, a
// record takes this many of them.
inline constexpr unsigned TRACK_CELLS_3390 = 1729;
unsigned record_cells_3390(unsigned kl, unsigned dl);
// The sector of record `rec` (1-based; 0 for R0) of length `reclen` that
// LOCATE RECORD carries (locate_record() for the 3390).
unsigned lr_sector_3390(unsigned rec, unsigned reclen);

// The SENSE ID reply: FF, CU type and model, device type and model, 00,
// then the CIWs a 3990-6 reports (RCD 256 bytes, SII via PSF, RNI via RSSD).
std::array<uint8_t, 20> sense_id(const Geometry& g);
// The 64 bytes of READ DEVICE CHARACTERISTICS (struct
// dasd_eckd_characteristics) of a 3390 on a 3990-6 in enhanced mode.
std::array<uint8_t, 64> read_device_characteristics(const Geometry& g);

// A record's count area: key and data length.
struct RecordFormat {
  unsigned kl = 0, dl = 0;
  friend bool operator==(const RecordFormat&, const RecordFormat&) = default;
};
inline constexpr unsigned BLOCK_SIZE = 4096;
inline constexpr unsigned BLOCKS_PER_TRACK = 12;  // recs_per_track_3390(0, 4096)
// Record `rec` of `track` on a CDL volume with 4 KiB blocks: R0 (0/8) on
// every track; track 0 R1-R3 the IPL1, IPL2 and VOL1 records (key 4, data
// 24, 144, 80), R4-R12 blocks; track 1 R1-R12 DSCBs (key 44, data 96);
// R1-R12 blocks everywhere else. None beyond R12 or the last track.
std::optional<RecordFormat> cdl_record(const Geometry& g, unsigned track, unsigned rec);
// The Linux block of a record (R1 and up): track * 12 + rec - 1.
inline unsigned cdl_block(unsigned track, unsigned rec) { return track * BLOCKS_PER_TRACK + rec - 1; }

}  // namespace ccw::eckd
