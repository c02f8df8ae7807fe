#include "ccw/eckd_geometry.h"

#include "base/big_endian.h"

namespace ccw::eckd {
namespace {

unsigned ceil_quot(unsigned a, unsigned b) { return (a + b - 1) / b; }

}  // namespace

unsigned record_cells_3390(unsigned kl, unsigned dl) {
  unsigned dn = ceil_quot(dl + 6, 232) + 1;
  unsigned cells = 10 + 9 + ceil_quot(dl + 6 * dn, 34);
  if (!kl) return cells;
  unsigned kn = ceil_quot(kl + 6, 232) + 1;
  return cells + 9 + ceil_quot(kl + 6 * kn, 34);
}

unsigned recs_per_track_3390(unsigned kl, unsigned dl) { return TRACK_CELLS_3390 / record_cells_3390(kl, dl); }

unsigned lr_sector_3390(unsigned rec, unsigned reclen) {
  if (rec == 0) return 0;
  unsigned dn = ceil_quot(reclen + 6, 232);
  unsigned d = 9 + ceil_quot(reclen + 6 * (dn + 1), 34);
  return (49 + (rec - 1) * (10 + d)) / 8;
}

std::array<uint8_t, 20> sense_id(const Geometry& g) {
  std::array<uint8_t, 20> b{0xff};
  base::put_be16(&b[1], g.cu_type);
  b[3] = static_cast<uint8_t>(g.cu_model);
  base::put_be16(&b[4], g.dev_type);
  b[6] = static_cast<uint8_t>(g.dev_model);
  // CIW bytes: et 01 (CIW) and the type; command; count.
  const uint8_t ciws[] = {0x40, 0xfa, 0x01, 0x00,   // RCD, 256 bytes
                          0x41, 0x27, 0x00, 0x04,   // SII through PSF
                          0x42, 0x3e, 0x00, 0x60};  // RNI through RSSD
  for (size_t i = 0; i < sizeof ciws; ++i) b[8 + i] = ciws[i];
  return b;
}

std::array<uint8_t, 64> read_device_characteristics(const Geometry& g) {
  // What a 3990-6 with a 3390 reports (Hercules' dasdtab), with this
  // disk's identity and geometry.
  std::array<uint8_t, 64> b = {
      0x39, 0x90, 0xe9, 0x33, 0x90, 0x0e, 0x50, 0x00, 0x10, 0x10, 0x20, 0x32, 0x00, 0x00, 0x00, 0x00,
      0xe0, 0x00, 0xe5, 0xa2, 0x05, 0x94, 0x02, 0x22, 0x13, 0x09, 0x06, 0x74, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x32, 0x32, 0x15, 0x02, 0xdf, 0xee, 0x00, 0x01,
      0x06, 0x77, 0x08, 0x0f, 0x00, 0x7f, 0x48, 0x00, 0x15, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  base::put_be16(&b[0], g.cu_type);
  b[2] = static_cast<uint8_t>(g.cu_model);
  base::put_be16(&b[3], g.dev_type);
  b[5] = static_cast<uint8_t>(g.dev_model);
  // no_cyl (0xfffe and long_no_cyl for more: an extended address volume).
  base::put_be16(&b[12], g.cylinders < 0xfffe ? g.cylinders : 0xfffe);
  base::put_be16(&b[14], g.heads);
  for (int i = 0; i < 4; ++i) b[60 + i] = static_cast<uint8_t>(g.cylinders >> (24 - 8 * i));
  return b;
}

std::optional<RecordFormat> cdl_record(const Geometry& g, unsigned track, unsigned rec) {
  if (track >= g.tracks() || rec > BLOCKS_PER_TRACK) return std::nullopt;
  if (rec == 0) return RecordFormat{0, 8};
  if (track == 0 && rec <= 3) return RecordFormat{4, rec == 1 ? 24u : rec == 2 ? 144u : 80u};
  if (track == 1) return RecordFormat{44, 96};
  return RecordFormat{0, BLOCK_SIZE};
}

}  // namespace ccw::eckd
