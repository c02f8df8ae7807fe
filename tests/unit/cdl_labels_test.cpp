// Track 0 of a CDL volume as dasdfmt leaves it: the IPL records' bytes
// (dasdfmt.h) and the VOL1 label with its volser in EBCDIC and the VTOC at
// cylinder 0, head 1, record 1, which Linux's partition code reads as
// "VOL1/  0X2B09".
#include "ccw/cdl_labels.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

namespace {

using namespace ccw::eckd;

template <size_t N>
std::string hex(const std::array<uint8_t, N>& b, size_t from = 0, size_t n = N) {
  std::string s;
  for (size_t i = from; i < from + n; ++i) s += fmt::format("{:02x}", b[i]);
  return s;
}

TEST(CdlLabels, IplRecords) {
  EXPECT_EQ(hex(ipl1_record()), "c9d7d3f1" "000a0000" "0000000f" "03000000" "00000001" "00000000" "00000000");
  auto ipl2 = ipl2_record();
  EXPECT_EQ(hex(ipl2, 0, 48), "c9d7d3f2" "07003ab8" "40000006" "31003abe" "40000005" "08003aa0" "00000000" "06000000"
                              "20000000" "00000000" "00000000" "00000400");
  EXPECT_EQ(hex(ipl2, 48, 100), std::string(200, '0'));
}

TEST(CdlLabels, Volser) {
  EXPECT_EQ(default_volser(0x2b09), "0X2B09");
  EXPECT_EQ(default_volser(0x1234), "0X1234");
  auto v = ebcdic_volser("0X2B09");
  ASSERT_TRUE(v);
  EXPECT_EQ(hex(*v), "f0e7f2c2f0f9");
  EXPECT_EQ(hex(*ebcdic_volser("lnx@1")), "d3d5e77cf140");  // upper case, blank-padded
  EXPECT_EQ(hex(*ebcdic_volser("JRSZ#$")), "d1d9e2e97b5b");
  for (const char* bad : {"", "1234567", "AB CD", "A.B", "Ä"}) EXPECT_FALSE(ebcdic_volser(bad)) << bad;
}

TEST(CdlLabels, Vol1) {
  auto l = vol1_label(*ebcdic_volser("0X2B09"));
  EXPECT_EQ(hex(l, 0, 20), "e5d6d3f1" "e5d6d3f1" "f0e7f2c2f0f9" "40" "0000000101");
  for (size_t i = 20; i < l.size(); ++i) EXPECT_EQ(l[i], 0x40) << i;
}

}  // namespace
