// Track 1 of a CDL volume after `dasdfmt -d cdl -b 4096` and `fdasd -a`:
// the DSCBs' bytes at the offsets of s390-tools include/lib/vtoc.h, as
// libvtoc/vtoc.c and fdasd/fdasd.c fill them, and the partition Linux's
// block/partitions/ibm.c derives from them ("dasda1" at sector 192).
#include "ccw/vtoc.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "ccw/cdl_labels.h"

namespace {

using namespace ccw::eckd;

std::string hex(const Dscb& b, size_t from, size_t n) {
  std::string s;
  for (size_t i = from; i < from + n; ++i) s += fmt::format("{:02x}", b[i]);
  return s;
}

std::string repeat(const char* byte, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += byte;
  return s;
}
std::string zeros(size_t bytes) { return repeat("00", bytes); }
std::string blanks(size_t bytes) { return repeat("40", bytes); }

const std::array<uint8_t, 6> kVolser = *ebcdic_volser("0X2B09");
constexpr DscbDate kCreated{126, 32};  // 1 February 2026: tm_yday 31

Geometry geometry(unsigned cylinders, unsigned heads = 15) {
  Geometry g;
  g.cylinders = cylinders;
  g.heads = heads;
  return g;
}

// ibm.c cchh2blk(): the cylinder's bits 16-27 sit above the head in HH.
uint64_t cchh2blk(const Dscb& d, size_t off, const Geometry& g) {
  uint64_t cc = (d[off] << 8) | d[off + 1];
  unsigned hh = (d[off + 2] << 8) | d[off + 3];
  uint64_t cyl = (uint64_t{hh & 0xfff0u} << 12) | cc;
  return cyl * g.heads * BLOCKS_PER_TRACK + (hh & 0xf) * BLOCKS_PER_TRACK;
}

struct Partition {
  uint64_t start, size;  // 512-byte sectors
};

// find_vol1_partitions(): from block cchhb2blk(VOL1 vtoc 0/1/1) + 1 = 14
// (track 1 R3) skip F4/F5/F7/F9, take F1/F8's DS1EXT1, stop at anything else.
std::vector<Partition> ibm_partitions(const std::vector<Dscb>& track1, const Geometry& g) {
  std::vector<Partition> parts;
  for (size_t blk = 1 * BLOCKS_PER_TRACK + 1 + 1; blk - BLOCKS_PER_TRACK < track1.size(); ++blk) {
    const Dscb& d = track1[blk - BLOCKS_PER_TRACK];
    uint8_t id = d[44];
    if (id == 0xf4 || id == 0xf5 || id == 0xf7 || id == 0xf9) continue;
    if (id != 0xf1 && id != 0xf8) break;
    uint64_t start = cchh2blk(d, 105 + 2, g);
    uint64_t size = cchh2blk(d, 105 + 6, g) - start + BLOCKS_PER_TRACK;
    parts.push_back({start * 8, size * 8});
  }
  return parts;
}

TEST(Vtoc, Format4OfTheDocumentsDisk) {
  Dscb f4 = format4_dscb(Geometry{});
  EXPECT_EQ(hex(f4, 0, 44), repeat("04", 44));  // DS4KEYCD
  EXPECT_EQ(hex(f4, 44, 18), "f4"            // DS4IDFMT
                             "0000000104"    // DS4HPCHR: the F1 at cylinder 0 head 1 R4
                             "0009"          // DS4DSREC: 12 - 2 - 1
                             "00000000"      // DS4HCCHH
                             "0000"          // DS4NOATK
                             "00"            // DS4VTOCI: reset by fdasd -a's second init
                             "01"            // DS4NOEXT
                             "0000");        // DS4SMSFG, DS4DEVAC
  EXPECT_EQ(hex(f4, 62, 14), "2721"          // DS4DSCYL 10017
                             "000f"          // DS4DSTRK
                             "e5a2"          // DS4DEVTK of a 3390
                             "000000"        // DS4DEVI, DS4DEVL, DS4DEVK
                             "30"            // DS4DEVFG
                             "0000"          // DS4DEVTL
                             "0c"            // DS4DEVDT
                             "00");          // DS4DEVDB
  EXPECT_EQ(hex(f4, 76, 29), zeros(29));     // DS4AMTIM .. DS4F6PTR
  EXPECT_EQ(hex(f4, 105, 10), "0100" "00000001" "00000001");  // DS4VTOCE
  EXPECT_EQ(hex(f4, 115, 25), zeros(10) +    // res2
                              "00"           // DS4EFLVL
                              "0000000000"   // DS4EFPTR
                              "00"           // res3
                              "00002721"     // DS4DCYL
                              "0000"         // res4
                              "40"           // DS4DEVF2
                              "00");
}

TEST(Vtoc, EmptyFreeSpaceDscbs) {
  Dscb f5 = format5_dscb(Geometry{});
  EXPECT_EQ(hex(f5, 0, 4), "05050505");
  EXPECT_EQ(hex(f5, 4, 40), zeros(40));
  EXPECT_EQ(f5[44], 0xf5);
  EXPECT_EQ(hex(f5, 45, 95), zeros(95));
  Dscb f7 = format7_dscb(Geometry{});
  EXPECT_EQ(hex(f7, 0, 4), "07070707");
  EXPECT_EQ(hex(f7, 4, 40), zeros(40));
  EXPECT_EQ(f7[44], 0xf7);
  EXPECT_EQ(hex(f7, 45, 95), zeros(95));
}

TEST(Vtoc, Format1OfTheDocumentsDisk) {
  Geometry g;
  Dscb f1 = format1_dscb(g, kVolser, 1, 2, g.tracks() - 1, kCreated);
  // "LINUX.V0X2B09.PART0001.NATIVE" in EBCDIC, blank-padded to 44.
  EXPECT_EQ(hex(f1, 0, 44), "d3c9d5e4e74be5" "f0e7f2c2f0f9" "4bd7c1d9e3f0f0f0f1" "4bd5c1e3c9e5c5" + blanks(15));
  EXPECT_EQ(hex(f1, 44, 18), "f1"                // DS1FMTID
                             "f0e7f2c2f0f9"      // DS1DSSN
                             "0001"              // DS1VOLSQ
                             "7e001f"            // DS1CREDT: 126, tm_yday 31
                             "63016d"            // DS1EXPDT: 99 365
                             "01"                // DS1NOEPV
                             "0000");            // DS1NOBDB, DS1FLAG1
  EXPECT_EQ(hex(f1, 62, 13), "c9c2d440d3c9d5e4e7" "40404040");  // DS1SYSCD "IBM LINUX    "
  EXPECT_EQ(hex(f1, 75, 30), "7e001f"            // DS1REFD
                             "00" "00" "0000"    // DS1SMSFG, DS1SCXTF, DS1SCXTV
                             "00" "00"           // DS1DSRG1, DS1DSRG2
                             "88" "00"           // DS1RECFM, DS1OPTCD
                             "1000" "1000"       // DS1BLKL, DS1LRECL
                             "00" "0000"         // DS1KEYL, DS1RKP
                             "80" "80"           // DS1DSIND, DS1SCAL1
                             "000000" "000000"   // DS1SCAL3, DS1LSTAR
                             "0000" "0000");     // DS1TRBAL, res1
  EXPECT_EQ(hex(f1, 105, 10), "01" "00" "00000002" "2720000e");  // DS1EXT1: (0,2) .. (10016,14)
  EXPECT_EQ(hex(f1, 115, 25), zeros(25));        // DS1EXT2, DS1EXT3, DS1PTRDS
}

TEST(Vtoc, Format1NameAndExtentType) {
  Geometry g;
  auto lnx = *ebcdic_volser("LNX1");
  Dscb f1 = format1_dscb(g, lnx, 3, 15, 29, DscbDate{125, 1});
  // The name takes the volser up to its first blank.
  EXPECT_EQ(hex(f1, 0, 44), "d3c9d5e4e74be5" "d3d5e7f1" "4bd7c1d9e3f0f0f0f3" "4bd5c1e3c9e5c5" + blanks(17));
  EXPECT_EQ(hex(f1, 45, 6), "d3d5e7f14040");
  EXPECT_EQ(hex(f1, 53, 3), "7d0000");  // 1 January: tm_yday 0
  // Starting on a cylinder boundary: extent type 81.
  EXPECT_EQ(hex(f1, 105, 10), "81" "00" "00010000" "0001000e");
}

TEST(Vtoc, TrackOneOfTheDocumentsDisk) {
  Geometry g;
  auto t = fdasd_auto_vtoc(g, kVolser, kCreated);
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(t[0], format4_dscb(g));
  EXPECT_EQ(t[1], format5_dscb(g));
  EXPECT_EQ(t[2], format7_dscb(g));  // 150255 tracks > 65536
  EXPECT_EQ(t[3], format1_dscb(g, kVolser, 1, 2, 150254, kCreated));
  EXPECT_EQ(t[3][44], 0xf1);
  for (size_t r = 4; r < 12; ++r) EXPECT_EQ(hex(t[r], 0, 140), zeros(140)) << "R" << r + 1;

  auto parts = ibm_partitions(t, g);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].start, 192u);
  EXPECT_EQ(parts[0].size, 14424288u);
}

TEST(Vtoc, SmallDiskHasNoFormat7) {
  Geometry g = geometry(100);
  auto t = fdasd_auto_vtoc(g, kVolser, kCreated);
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(t[0][44], 0xf4);
  EXPECT_EQ(hex(t[0], 45, 5), "0000000103");  // DS4HPCHR: F1 at R3
  EXPECT_EQ(hex(t[0], 62, 2), "0064");
  EXPECT_EQ(hex(t[0], 132, 4), "00000064");
  EXPECT_EQ(hex(t[1], 0, 4), "05050505");
  EXPECT_EQ(t[2][44], 0xf1);
  EXPECT_EQ(hex(t[2], 105, 10), "0100" "00000002" "0063000e");
  for (size_t r = 3; r < 12; ++r) EXPECT_EQ(hex(t[r], 0, 140), zeros(140)) << "R" << r + 1;
  auto parts = ibm_partitions(t, g);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].start, 192u);
  EXPECT_EQ(parts[0].size, (1500u * 12 - 24) * 8);
}

TEST(Vtoc, Format7OnlyAboveBigDiskSize) {
  // 65536 tracks exactly is not big; one cylinder more is.
  EXPECT_EQ(fdasd_auto_vtoc(geometry(4096, 16), kVolser, kCreated)[2][44], 0xf1);
  EXPECT_EQ(fdasd_auto_vtoc(geometry(4369), kVolser, kCreated)[2][44], 0xf1);  // 65535 tracks
  auto t = fdasd_auto_vtoc(geometry(4370), kVolser, kCreated);                  // 65550 tracks
  EXPECT_EQ(t[2][44], 0xf7);
  EXPECT_EQ(t[3][44], 0xf1);
  EXPECT_EQ(hex(t[0], 45, 5), "0000000104");
}

TEST(Vtoc, LargeVolumeGetsFormat8And9) {
  Geometry g = geometry(262668);  // 0x4020c cylinders
  auto t = fdasd_auto_vtoc(g, kVolser, kCreated);
  ASSERT_EQ(t.size(), 12u);
  EXPECT_EQ(hex(t[0], 45, 5), "0000000104");  // DS4HPCHR: the F8
  EXPECT_EQ(hex(t[0], 50, 2), "0009");
  EXPECT_EQ(hex(t[0], 62, 2), "fffe");        // DS4DSCYL: RDC no_cyl
  EXPECT_EQ(hex(t[0], 132, 4), "0004020c");   // DS4DCYL
  EXPECT_EQ(t[2][44], 0xf7);
  const Dscb& f8 = t[3];
  EXPECT_EQ(f8[44], 0xf8);
  // Cylinder 262667 = 0x4020b: CC 020b, HH 0x4 << 4 | head 14.
  EXPECT_EQ(hex(f8, 105, 10), "0100" "00000002" "020b004e");
  EXPECT_EQ(hex(f8, 135, 5), "0000000105");   // DS1PTRDS: the F9
  const Dscb& f9 = t[4];
  EXPECT_EQ(hex(f9, 0, 44), "090101" + zeros(41));
  EXPECT_EQ(f9[44], 0xf9);
  EXPECT_EQ(hex(f9, 45, 95), zeros(95));
  for (size_t r = 5; r < 12; ++r) EXPECT_EQ(hex(t[r], 0, 140), zeros(140)) << "R" << r + 1;
  auto parts = ibm_partitions(t, g);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].start, 192u);
  EXPECT_EQ(parts[0].size, (uint64_t{262668} * 15 * 12 - 24) * 8);
}

}  // namespace
