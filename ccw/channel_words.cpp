#include "ccw/channel_words.h"

#include <algorithm>

#include "base/big_endian.h"

namespace ccw {
namespace {

// ORB word 1, bit 0 the most significant.
constexpr uint32_t bit(int n) { return 0x80000000u >> n; }

}  // namespace

Ccw1 decode_ccw1(std::span<const uint8_t, 8> b) { return {b[0], b[1], base::get_be16(&b[2]), base::get_be32(&b[4])}; }

std::array<uint8_t, 8> encode(const Ccw1& c) {
  std::array<uint8_t, 8> b{c.cmd_code, c.flags};
  base::put_be16(&b[2], c.count);
  base::put_be32(&b[4], c.cda);
  return b;
}

Ccw1 decode_ccw0(std::span<const uint8_t, 8> b) {
  uint32_t cda = uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
  if ((b[0] & 0x0f) == CCW_CMD_TIC) return {CCW_CMD_TIC, 0, 0, cda};
  return {b[0], b[4], base::get_be16(&b[6]), cda};
}

Orb decode_orb(std::span<const uint8_t, 12> b) {
  uint32_t w = base::get_be32(&b[4]);
  Orb o;
  o.intparm = base::get_be32(&b[0]);
  o.key = static_cast<uint8_t>(w >> 28);
  o.spnd = w & bit(4);
  o.mod = w & bit(6);
  o.sync = w & bit(7);
  o.fmt = w & bit(8);
  o.pfch = w & bit(9);
  o.isic = w & bit(10);
  o.alcc = w & bit(11);
  o.ssic = w & bit(12);
  o.b = w & bit(13);
  o.c64 = w & bit(14);
  o.i2k = w & bit(15);
  o.lpm = static_cast<uint8_t>(w >> 8);
  o.ils = w & bit(24);
  o.orbx = w & bit(31);
  o.cpa = base::get_be32(&b[8]);
  return o;
}

std::array<uint8_t, 12> encode(const Orb& o) {
  uint32_t w = uint32_t{o.key} << 28 | uint32_t{o.lpm} << 8;
  const std::pair<bool, int> bits[] = {{o.spnd, 4},  {o.mod, 6},  {o.sync, 7}, {o.fmt, 8},   {o.pfch, 9},
                                       {o.isic, 10}, {o.alcc, 11}, {o.ssic, 12}, {o.b, 13},  {o.c64, 14},
                                       {o.i2k, 15},  {o.ils, 24},  {o.orbx, 31}};
  for (auto [set, n] : bits)
    if (set) w |= bit(n);
  std::array<uint8_t, 12> b{};
  base::put_be32(&b[0], o.intparm);
  base::put_be32(&b[4], w);
  base::put_be32(&b[8], o.cpa);
  return b;
}

Scsw decode_scsw(std::span<const uint8_t, 12> b) {
  return {base::get_be16(&b[0]), base::get_be16(&b[2]), base::get_be32(&b[4]), b[8], b[9], base::get_be16(&b[10])};
}

std::array<uint8_t, 12> encode(const Scsw& s) {
  std::array<uint8_t, 12> b{};
  base::put_be16(&b[0], s.flags);
  base::put_be16(&b[2], s.ctrl);
  base::put_be32(&b[4], s.cpa);
  b[8] = s.dstat;
  b[9] = s.cstat;
  base::put_be16(&b[10], s.count);
  return b;
}

std::array<uint8_t, IRB_SIZE> encode(const Irb& irb) {
  std::array<uint8_t, IRB_SIZE> b{};
  auto scsw = encode(irb.scsw);
  auto out = std::copy(scsw.begin(), scsw.end(), b.begin());
  out = std::copy(irb.esw.begin(), irb.esw.end(), out);
  out = std::copy(irb.ecw.begin(), irb.ecw.end(), out);
  std::copy(irb.emw.begin(), irb.emw.end(), out);
  return b;
}

}  // namespace ccw
