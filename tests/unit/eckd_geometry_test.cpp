// The ECKD DASD's identity and geometry against the numbers Linux derives
// from them for the vfio-ccw document's disk: "New DASD 3390/0E (CU 3990/01)
// with 10017 cylinders, 15 heads, 224 sectors" and "DASD with 4 KB/block,
// 7212240 KB total size, 48 KB/track, compatible disk layout".
#include "ccw/eckd_geometry.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

namespace {

using namespace ccw::eckd;

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

TEST(EckdGeometry, TrackCapacityAsDasdEckdComputesIt) {
  EXPECT_EQ(recs_per_track_3390(0, 4096), 12u);
  EXPECT_EQ(recs_per_track_3390(0, 4096), BLOCKS_PER_TRACK);
  EXPECT_EQ(recs_per_track_3390(0, 2048), 21u);
  EXPECT_EQ(recs_per_track_3390(0, 1024), 33u);
  EXPECT_EQ(recs_per_track_3390(0, 512), 49u);
  EXPECT_EQ(recs_per_track_3390(44, 96), 50u);  // DSCBs
  // The document's total: cylinders x heads x blocks per track x 4 KiB.
  Geometry g;
  EXPECT_EQ(uint64_t{g.tracks()} * recs_per_track_3390(0, 4096) * 4, 7212240u);
  EXPECT_EQ(recs_per_track_3390(0, 4096) * 4, 48u);  // KB/track
}

TEST(EckdGeometry, LocateRecordSector) {
  EXPECT_EQ(lr_sector_3390(0, 8), 0u);
  EXPECT_EQ(lr_sector_3390(3, 84), 0x0bu);  // VOL1, as Linux reads block 2
  EXPECT_EQ(lr_sector_3390(1, 28), (49u + 0) / 8);
  EXPECT_EQ(lr_sector_3390(2, 4096), (49u + 143) / 8);
}

TEST(EckdGeometry, SenseIdAndDeviceCharacteristics) {
  Geometry g;
  auto id = sense_id(g);
  EXPECT_EQ(hex(id.data(), id.size()), "ff3990e933900e0040fa010041270004423e0060");
  auto rdc = read_device_characteristics(g);
  EXPECT_EQ(hex(rdc.data(), 16), "3990e933900e50001010203227210" "00f");
  EXPECT_EQ(rdc[16], 224);  // sec_per_trk, printed as "sectors"
  EXPECT_EQ(rdc[2] & 7, 1);  // "CU 3990/01": the low three bits of cu_model
  EXPECT_EQ(hex(rdc.data() + 60, 4), "00002721");
  // Over 65,519 cylinders: no_cyl 0xfffe and the count in long_no_cyl.
  g.cylinders = 262668;
  rdc = read_device_characteristics(g);
  EXPECT_EQ(hex(rdc.data() + 12, 2), "fffe");
  EXPECT_EQ(hex(rdc.data() + 60, 4), "0004020c");
}

TEST(EckdGeometry, CompatibleDiskLayout) {
  Geometry g;
  EXPECT_EQ(cdl_record(g, 0, 0), (RecordFormat{0, 8}));
  EXPECT_EQ(cdl_record(g, 0, 1), (RecordFormat{4, 24}));
  EXPECT_EQ(cdl_record(g, 0, 2), (RecordFormat{4, 144}));
  EXPECT_EQ(cdl_record(g, 0, 3), (RecordFormat{4, 80}));
  EXPECT_EQ(cdl_record(g, 0, 4), (RecordFormat{0, 4096}));
  EXPECT_EQ(cdl_record(g, 1, 12), (RecordFormat{44, 96}));
  EXPECT_EQ(cdl_record(g, 2, 1), (RecordFormat{0, 4096}));
  EXPECT_FALSE(cdl_record(g, 2, 13));
  EXPECT_FALSE(cdl_record(g, g.tracks(), 1));
  EXPECT_TRUE(cdl_record(g, g.tracks() - 1, 12));
  EXPECT_EQ(cdl_block(0, 3), 2u);   // VOL1
  EXPECT_EQ(cdl_block(1, 1), 12u);  // the first DSCB
  EXPECT_EQ(cdl_block(2, 1), 24u);
}

}  // namespace
