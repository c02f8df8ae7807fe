// CCWs, the ORB, the SCSW and the IRB in their memory layout (big endian,
// bit 0 the most significant), and vfio_ccw's format-0 to format-1
// conversion (convert_ccw0_to_ccw1()).
#include "ccw/channel_words.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

namespace {

using namespace ccw;

template <size_t N>
std::string hex(const std::array<uint8_t, N>& b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

TEST(ChannelWords, Ccw1) {
  const std::array<uint8_t, 8> b = {0xe4, 0x20, 0x00, 0x28, 0x7f, 0x00, 0x10, 0x08};
  Ccw1 c = decode_ccw1(b);
  EXPECT_EQ(c, (Ccw1{CCW_CMD_SENSE_ID, CCW_FLAG_SLI, 40, 0x7f001008}));
  EXPECT_EQ(encode(c), b);
}

TEST(ChannelWords, Ccw0BecomesCcw1) {
  // READ DATA: command, 24-bit address, flags, reserved, count.
  EXPECT_EQ(decode_ccw0(std::array<uint8_t, 8>{0x06, 0x01, 0x23, 0x45, 0x60, 0xff, 0x10, 0x00}),
            (Ccw1{0x06, CCW_FLAG_CC | CCW_FLAG_SLI, 0x1000, 0x012345}));
  // A TIC, whatever its high nibble, keeps only its address.
  EXPECT_EQ(decode_ccw0(std::array<uint8_t, 8>{0x08, 0x00, 0x3a, 0xa0, 0x40, 0x00, 0x00, 0x08}),
            (Ccw1{CCW_CMD_TIC, 0, 0, 0x3aa0}));
  EXPECT_EQ(decode_ccw0(std::array<uint8_t, 8>{0xf8, 0x00, 0x00, 0x10, 0xff, 0xff, 0xff, 0xff}),
            (Ccw1{CCW_CMD_TIC, 0, 0, 0x10}));
  // The IPL2 record's first CCW, a format-0 SEEK.
  EXPECT_EQ(decode_ccw0(std::array<uint8_t, 8>{0x07, 0x00, 0x3a, 0xb8, 0x40, 0x00, 0x00, 0x06}),
            (Ccw1{0x07, CCW_FLAG_CC, 6, 0x3ab8}));
}

TEST(ChannelWords, Orb) {
  // As QEMU's guest sends it: format 1, prefetch, 64-bit IDAWs, path 0x80.
  const std::array<uint8_t, 12> b = {0x12, 0x34, 0x56, 0x78, 0x30, 0xc2, 0x80, 0x00, 0x00, 0x00, 0x10, 0x00};
  Orb o = decode_orb(b);
  EXPECT_EQ(o.intparm, 0x12345678u);
  EXPECT_EQ(o.key, 3);
  EXPECT_TRUE(o.fmt && o.pfch && o.c64);
  EXPECT_FALSE(o.spnd || o.mod || o.sync || o.isic || o.alcc || o.ssic || o.b || o.i2k || o.ils || o.orbx);
  EXPECT_EQ(o.lpm, 0x80);
  EXPECT_EQ(o.cpa, 0x1000u);
  EXPECT_EQ(encode(o), b);
  // Every flag in its place.
  const std::pair<bool Orb::*, uint32_t> bits[] = {
      {&Orb::spnd, 0x08000000}, {&Orb::mod, 0x02000000}, {&Orb::sync, 0x01000000}, {&Orb::fmt, 0x00800000},
      {&Orb::pfch, 0x00400000}, {&Orb::isic, 0x00200000}, {&Orb::alcc, 0x00100000}, {&Orb::ssic, 0x00080000},
      {&Orb::b, 0x00040000},    {&Orb::c64, 0x00020000},  {&Orb::i2k, 0x00010000},  {&Orb::ils, 0x00000080},
      {&Orb::orbx, 0x00000001}};
  for (auto [field, mask] : bits) {
    Orb one;
    one.*field = true;
    auto e = encode(one);
    EXPECT_EQ(uint32_t{e[4]} << 24 | uint32_t{e[5]} << 16 | uint32_t{e[6]} << 8 | e[7], mask);
    EXPECT_EQ(decode_orb(e), one);
  }
}

TEST(ChannelWords, ScswAndIrb) {
  // A format-1 chain that ended well: start function, primary, secondary,
  // status pending; channel end and device end; cpa past the last CCW.
  Scsw s{SCSW_FLAGS_FMT, SCSW_FCTL_START | SCSW_STCTL_PRIMARY | SCSW_STCTL_SECONDARY | SCSW_STCTL_STATUS_PEND,
         0x1010, DEV_STAT_CHN_END | DEV_STAT_DEV_END, 0, 0x14};
  EXPECT_EQ(hex(encode(s)), "0080400700001010" "0c000014");
  EXPECT_EQ(decode_scsw(encode(s)), s);
  EXPECT_EQ(s.cc(), 0u);
  s.flags |= 0x0300;
  EXPECT_EQ(s.cc(), 3u);
  Irb irb;
  irb.scsw = s;
  irb.ecw[0] = 0x80;  // command reject, as concurrent sense
  irb.emw[31] = 0xee;
  auto b = encode(irb);
  EXPECT_EQ(b.size(), 96u);
  EXPECT_EQ(b[0], 0x03);
  EXPECT_EQ(b[32], 0x80);
  EXPECT_EQ(b[95], 0xee);
}

}  // namespace
