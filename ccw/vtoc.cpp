#include "ccw/vtoc.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "base/big_endian.h"
#include "ccw/ebcdic.h"

namespace ccw::eckd {
namespace {

// Offsets in a DSCB (44-byte key, then data): s390-tools include/lib/vtoc.h
// format1_label_t, format4_label_t, format5_label_t, format7_label_t,
// format9_label_t. Every field is big-endian, as s390 stores it.
constexpr size_t FMTID = 44;  // DS1FMTID, DS4IDFMT, DS5FMTID, DS7FMTID, DS9FMTID

// format4_label_t
constexpr size_t DS4HPCHR = 45, DS4DSREC = 50, DS4VTOCI = 58, DS4NOEXT = 59, DS4DEVCT = 62;
constexpr size_t DS4VTOCE = 105, DS4EFLVL = 125, DS4EFPTR = 126, DS4DCYL = 132, DS4DEVF2 = 138;
// format1_label_t (format 8 has the same layout)
constexpr size_t DS1DSSN = 45, DS1VOLSQ = 51, DS1CREDT = 53, DS1EXPDT = 56, DS1NOEPV = 59, DS1SYSCD = 62;
constexpr size_t DS1REFD = 75, DS1RECFM = 84, DS1BLKL = 86, DS1LRECL = 88, DS1DSIND = 93, DS1SCAL1 = 94;
constexpr size_t DS1EXT1 = 105, DS1PTRDS = 135;

constexpr unsigned BIG_DISK_SIZE = 0x10000;  // tracks; more than this gets a format-7 DSCB
constexpr unsigned LV_COMPAT_CYL = 0xfffe;   // more cylinders: format-8/9 DSCBs instead of format 1
constexpr unsigned VTOC_RECORDS = 9;         // fdasd writes F4..empty DSCBs over 9 blocks (MAX_VTOC_ENTRIES)
constexpr unsigned FIRST_USABLE_TRK = 2;

// vtoc_set_cchh(): the low 16 bits of the cylinder in CC, bits 16-27 in the
// upper 12 bits of HH above the 4-bit head. No special case at 65520 or
// 65536 cylinders; below 65536 it is the plain CCHH. ibm.c cchh2blk()
// decodes it the same way.
void put_cchh(uint8_t* p, unsigned cyl, unsigned head) {
  base::put_be16(p, cyl & 0xffff);
  base::put_be16(p + 2, ((cyl >> 16) << 4) | (head & 0xf));
}

// vtoc_set_cchhb(): CCHH as above, then the record number.
void put_cchhb(uint8_t* p, unsigned cyl, unsigned head, unsigned rec) {
  put_cchh(p, cyl, head);
  p[4] = static_cast<uint8_t>(rec);
}

bool big_disk(const Geometry& g) { return g.tracks() > BIG_DISK_SIZE; }  // fdasd.c main(), dasdfmt_write_labels()
bool large_volume(const Geometry& g) { return g.cylinders > LV_COMPAT_CYL; }

// Track 1 record of partition `part`'s format-1/8 DSCB: after F4, F5 and
// (big disks) F7; on a large volume every F8 is followed by its F9
// (fdasd.c get_addr_of_highest_f1_f8_label, fdasd_write_vtoc_labels).
unsigned f1_record(const Geometry& g, unsigned part) {
  unsigned per_part = large_volume(g) ? 2 : 1;
  return 2 + (big_disk(g) ? 1 : 0) + 1 + (part - 1) * per_part;
}

Dscb format9_dscb() {
  // vtoc_init_format9_label() on fdasd's zeroed template.
  Dscb d{};
  d[0] = 0x09;  // DS9KEYID
  d[1] = 0x01;  // DS9SUBTY
  d[2] = 1;     // DS9NUMF9
  d[FMTID] = 0xf9;
  return d;
}

}  // namespace

// vtoc_init_format4_label() as fdasd_auto_partition() calls it last, then
// vtoc_update_format4_label() for its one partition. That second init
// resets what vtoc_set_freespace() had set in fdasd_recreate_vtoc_
// unconditional() (DS4VTOCI A0, DS4EFLVL 07, DS4EFPTR to the F7), and
// fdasd -a adds no free space afterwards: those fields stay zero.
Dscb format4_dscb(const Geometry& g) {
  Dscb d{};
  std::fill_n(d.begin(), 44, 0x04);  // DS4KEYCD
  d[FMTID] = 0xf4;
  put_cchhb(&d[DS4HPCHR], 0, 1, f1_record(g, 1));            // the highest (only) F1/F8
  base::put_be16(&d[DS4DSREC], BLOCKS_PER_TRACK - 2 - 1);             // blocks - 2, less one for the F1
  d[DS4VTOCI] = 0x00;
  d[DS4NOEXT] = 0x01;
  uint8_t* devct = &d[DS4DEVCT];
  // DS4DSCYL is HDIO_GETGEO's cylinders: RDC no_cyl, 0xfffe on a large volume.
  base::put_be16(devct + 0, std::min(g.cylinders, LV_COMPAT_CYL));  // DS4DSCYL
  base::put_be16(devct + 2, g.heads);                                // DS4DSTRK
  unsigned devtk = BLOCKS_PER_TRACK * BLOCK_SIZE;           // DS4DEVTK for unknown types
  if (g.dev_type == 0x3380) devtk = 0xbb60;
  if (g.dev_type == 0x3390) devtk = 0xe5a2;
  if (g.dev_type == 0x9345) devtk = 0xbc98;
  base::put_be16(devct + 4, devtk);
  // DS4DEVI, DS4DEVL, DS4DEVK 0; DS4DEVTL 0; DS4DEVDB 0.
  devct[9] = 0x30;               // DS4DEVFG
  devct[12] = BLOCKS_PER_TRACK;  // DS4DEVDT: geo.sectors
  // DS4VTOCE: type 01, seq 0, from and to cylinder 0 head 1.
  d[DS4VTOCE] = 0x01;
  put_cchh(&d[DS4VTOCE + 2], 0, 1);
  put_cchh(&d[DS4VTOCE + 6], 0, 1);
  d[DS4EFLVL] = 0x00;
  std::fill_n(&d[DS4EFPTR], 5, 0);
  base::put_be32(&d[DS4DCYL], g.cylinders);  // formatted cylinders
  d[DS4DEVF2] = 0x40;               // format 8 and 9 DSCBs allowed
  return d;
}

// vtoc_init_format5_label(): key 05050505, id F5, no extents; fdasd -a
// leaves it so (the partition fills the disk; it never adds free space).
Dscb format5_dscb(const Geometry&) {
  Dscb d{};
  std::fill_n(d.begin(), 4, 0x05);
  d[FMTID] = 0xf5;
  return d;
}

// vtoc_init_format7_label(): key 07070707, id F7, no extents, as above.
Dscb format7_dscb(const Geometry&) {
  Dscb d{};
  std::fill_n(d.begin(), 4, 0x07);
  d[FMTID] = 0xf7;
  return d;
}

// vtoc_init_format_1_8_label() with the name and DS1DSSN that
// fdasd_write_vtoc_labels() fills in. On a large volume (> 65534
// cylinders) fdasd writes a format-8 DSCB, same layout, whose DS1PTRDS
// points at the format-9 DSCB in the next record.
Dscb format1_dscb(const Geometry& g, const std::array<uint8_t, 6>& volser, unsigned part, unsigned first_track,
                  unsigned last_track, DscbDate created) {
  Dscb d{};
  // DS1DSNAM: "LINUX.V" + volser up to its first blank + ".PART%04d.NATIVE",
  // blank-padded to 44.
  std::fill_n(d.begin(), 44, 0x40);
  put_ebcdic(&d[0], "LINUX.V");
  size_t n = 7;
  for (uint8_t c : volser) {
    if (c == 0x40) break;
    d[n++] = c;
  }
  put_ebcdic(&d[n], fmt::format(".PART{:04d}.NATIVE", part));

  d[FMTID] = large_volume(g) ? 0xf8 : 0xf1;
  std::copy(volser.begin(), volser.end(), &d[DS1DSSN]);
  base::put_be16(&d[DS1VOLSQ], 1);
  // fdasd stores gmtime()'s tm_year and tm_yday; tm_yday is day - 1.
  unsigned yday = created.day ? created.day - 1 : 0;
  d[DS1CREDT] = static_cast<uint8_t>(created.year);
  base::put_be16(&d[DS1CREDT + 1], yday);
  d[DS1EXPDT] = 99;  // "expires never": 99 365
  base::put_be16(&d[DS1EXPDT + 1], 365);
  d[DS1NOEPV] = 1;
  put_ebcdic(&d[DS1SYSCD], "IBM LINUX    ");
  d[DS1REFD] = static_cast<uint8_t>(created.year);  // last referenced: also today
  base::put_be16(&d[DS1REFD + 1], yday);
  d[DS1RECFM] = 0x88;
  base::put_be16(&d[DS1BLKL], BLOCK_SIZE);
  base::put_be16(&d[DS1LRECL], BLOCK_SIZE);
  d[DS1DSIND] = 0x80;  // last volume of the data set
  d[DS1SCAL1] = 0x80;
  // DS1EXT1: type 81 when the extent starts on a cylinder boundary, else 01
  // (fdasd_get_partition_data, fdasd_auto_partition_conffile; fdasd -a
  // starts at head 2), sequence 0, lower and upper CCHH.
  unsigned first_head = first_track % g.heads;
  d[DS1EXT1] = first_head == 0 ? 0x81 : 0x01;
  put_cchh(&d[DS1EXT1 + 2], first_track / g.heads, first_head);
  put_cchh(&d[DS1EXT1 + 6], last_track / g.heads, last_track % g.heads);
  if (large_volume(g)) put_cchhb(&d[DS1PTRDS], 0, 1, f1_record(g, part) + 1);
  return d;
}

// fdasd_write_vtoc_labels(): F4 at the VTOC's first record, F5, F7 on big
// disks, the partition's F1 (or F8 + F9), then empty DSCBs up to nine
// records; records 10-12 keep what dasdfmt's format wrote: zeros.
std::vector<Dscb> fdasd_auto_vtoc(const Geometry& g, const std::array<uint8_t, 6>& volser, DscbDate created) {
  std::vector<Dscb> v;
  v.push_back(format4_dscb(g));
  v.push_back(format5_dscb(g));
  if (big_disk(g)) v.push_back(format7_dscb(g));
  v.push_back(format1_dscb(g, volser, 1, FIRST_USABLE_TRK, g.tracks() - 1, created));
  if (large_volume(g)) v.push_back(format9_dscb());
  static_assert(VTOC_RECORDS <= BLOCKS_PER_TRACK);
  v.resize(BLOCKS_PER_TRACK, Dscb{});
  return v;
}

}  // namespace ccw::eckd
