// apmask/aqmask parsing (ap_bus.c: ap_parse_bitmap_str, hex2bitmap,
// modify_bitmap) and the 256-bit mask with inverted bit numbering. The cases
// follow spec §3.1 one rule at a time.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "base/bitmap256.h"
#include "base/kstrto.h"

namespace {

using base::Bitmap256;
using namespace std::string_literals;

Bitmap256 ids(std::initializer_list<unsigned> list) {
  Bitmap256 b;
  for (unsigned n : list) b.set(n);
  return b;
}
Bitmap256 range(unsigned a, unsigned z) {
  Bitmap256 b;
  for (unsigned n = a; n <= z; ++n) b.set(n);
  return b;
}
std::vector<unsigned> to_vector(const Bitmap256& b) {
  std::vector<unsigned> v;
  b.for_each([&](unsigned n) { v.push_back(n); });
  return v;
}

// ---- Bitmap256 --------------------------------------------------------------

TEST(Bitmap256, Msb0Numbering) {
  struct Case {
    unsigned id;
    unsigned word;
    uint64_t value;
  };
  const Case cases[] = {
      {0, 0, 0x8000000000000000},   {1, 0, 0x4000000000000000}, {7, 0, 0x0100000000000000},
      {63, 0, 1},                   {64, 1, 0x8000000000000000}, {127, 1, 1},
      {128, 2, 0x8000000000000000}, {255, 3, 1},
  };
  for (const auto& c : cases) {
    Bitmap256 b = ids({c.id});
    for (unsigned w = 0; w < 4; ++w) EXPECT_EQ(b.word(w), w == c.word ? c.value : 0) << "id " << c.id << " word " << w;
    EXPECT_TRUE(b.test(c.id));
    b.clear(c.id);
    EXPECT_TRUE(b.none());
  }
}

TEST(Bitmap256, HexOutput) {
  struct Case {
    Bitmap256 b;
    std::string hex;
  };
  const Case cases[] = {
      {Bitmap256(), std::string(64, '0')},
      {Bitmap256::all(), std::string(64, 'f')},
      {ids({0}), "8" + std::string(63, '0')},
      {ids({1, 7}), "41" + std::string(62, '0')},
      {ids({255}), std::string(63, '0') + "1"},
      {ids({64}), std::string(16, '0') + "8" + std::string(47, '0')},
      {Bitmap256::first(16), "ffff" + std::string(60, '0')},
      {range(0, 15) | ids({32}), "ffff0000" "80000000" + std::string(48, '0')},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.b.hex(), c.hex);
    // The hex form is exactly what the absolute grammar reads back.
    auto back = base::hex2bitmap("0x" + c.b.hex() + "\n");
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, c.b);
  }
}

TEST(Bitmap256, ForEachCountLast) {
  Bitmap256 b = ids({200, 3, 64, 0, 255, 63});
  EXPECT_EQ(to_vector(b), (std::vector<unsigned>{0, 3, 63, 64, 200, 255}));
  EXPECT_EQ(b.count(), 6);
  EXPECT_EQ(b.last(), 255);
  EXPECT_EQ(ids({5, 130}).last(), 130);
  EXPECT_EQ(ids({0}).last(), 0);
  EXPECT_EQ(Bitmap256().last(), -1);
  EXPECT_EQ(Bitmap256().count(), 0);
  EXPECT_TRUE(to_vector(Bitmap256()).empty());
  EXPECT_EQ(Bitmap256::all().count(), 256);
  EXPECT_EQ(Bitmap256::all().last(), 255);
  EXPECT_EQ(to_vector(Bitmap256::first(3)), (std::vector<unsigned>{0, 1, 2}));
}

TEST(Bitmap256, SetOperations) {
  Bitmap256 a = ids({1, 2, 3}), b = ids({3, 4});
  EXPECT_EQ(a & b, ids({3}));
  EXPECT_EQ(a | b, ids({1, 2, 3, 4}));
  EXPECT_EQ(a.andnot(b), ids({1, 2}));
  EXPECT_EQ(~Bitmap256(), Bitmap256::all());
  EXPECT_TRUE(Bitmap256::all().is_all());
  EXPECT_FALSE((~ids({17})).is_all());
  EXPECT_TRUE(a.any());
  EXPECT_FALSE(a.test(256));  // out of range reads as clear
  a.assign(9, true);
  a.assign(1, false);
  EXPECT_EQ(a, ids({2, 3, 9}));
}

// ---- absolute grammar -------------------------------------------------------

struct MaskCase {
  std::string in;
  Bitmap256 want;
  int err;  // 0: success with `want`
};

std::string trace(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\0') out += "\\0";
    else out += c;
  }
  return "input \"" + out + "\"";
}

void check(const base::Result<Bitmap256>& r, const MaskCase& c) {
  if (c.err) {
    ASSERT_FALSE(r) << trace(c.in) << " parsed as " << r->hex();
    EXPECT_EQ(r.error().code, c.err) << trace(c.in);
  } else {
    ASSERT_TRUE(r) << trace(c.in) << " failed with errno " << r.error().code;
    EXPECT_EQ(r->hex(), c.want.hex()) << trace(c.in);
  }
}

TEST(Hex2Bitmap, AbsoluteGrammar) {
  const std::string z64(64, '0'), f64(64, 'f');
  const MaskCase cases[] = {
      // digits fill from the left, the rest is padded with zeros on the right
      {"0x41", ids({1, 7}), 0},
      {"0x41\n", ids({1, 7}), 0},
      {"41", ids({1, 7}), 0},           // no prefix
      {"x41", ids({1, 7}), 0},          // a lone 'x' prefix
      {"0x8", ids({0}), 0},
      {"0x1", ids({3}), 0},
      {"0x80000000", ids({0}), 0},
      {"0x0000000000000001", ids({63}), 0},
      {"0x00000000000000008", ids({64}), 0},
      {"0x" + std::string(63, '0') + "1", ids({255}), 0},
      {"0xffff", range(0, 15), 0},
      // either case for the digits
      {"0xAbCdEf", ids({0, 2, 4, 6, 7, 8, 9, 12, 13, 15, 16, 17, 18, 20, 21, 22, 23}), 0},
      {"0xabcdef", ids({0, 2, 4, 6, 7, 8, 9, 12, 13, 15, 16, 17, 18, 20, 21, 22, 23}), 0},
      {"0xFF", range(0, 7), 0},
      // exactly 64 digits are fine, 65 are too many (even zeros)
      {"0x" + f64, Bitmap256::all(), 0},
      {"0x" + f64 + "\n", Bitmap256::all(), 0},
      {f64, Bitmap256::all(), 0},
      {"0x" + z64, Bitmap256(), 0},
      {"0x" + f64 + "f", {}, EINVAL},
      {"0x" + z64 + "0", {}, EINVAL},
      {f64 + "0\n", {}, EINVAL},
      // empty forms all mean "no bits"
      {"", Bitmap256(), 0},
      {"\n", Bitmap256(), 0},
      {"0x", Bitmap256(), 0},
      {"0x\n", Bitmap256(), 0},
      {"x", Bitmap256(), 0},
      {"x\n", Bitmap256(), 0},
      {"0", Bitmap256(), 0},
      // the prefix is lower-case only
      {"0X41", {}, EINVAL},
      {"0X", {}, EINVAL},
      {"X41", {}, EINVAL},
      {"0xx41", {}, EINVAL},
      {"00x41", {}, EINVAL},
      // one '\n' then the end; nothing else may follow
      {"0x41 ", {}, EINVAL},
      {" 0x41", {}, EINVAL},
      {"0x 41", {}, EINVAL},
      {"0x41\r", {}, EINVAL},
      {"0x41\r\n", {}, EINVAL},
      {"0x41\n\n", {}, EINVAL},
      {"\n\n", {}, EINVAL},
      {"0x41\nx", {}, EINVAL},
      {"0x41g", {}, EINVAL},
      {"0x-1", {}, EINVAL},
      {"0x4,1", {}, EINVAL},
      {"0x41 \n", {}, EINVAL},
      // the store buffer is a C string
      {"0x41\0junk"s, ids({1, 7}), 0},
      {"0x41\n\0\n"s, ids({1, 7}), 0},
  };
  for (const auto& c : cases) check(base::hex2bitmap(c.in), c);
}

TEST(ParseBitmapStr, AbsoluteStartsFromZero) {
  // Without a leading '+'/'-' the current mask does not matter.
  for (const Bitmap256& cur : {Bitmap256(), Bitmap256::all(), ids({3, 200})}) {
    check(base::parse_bitmap_str("0x41\n", cur), {"0x41\n", ids({1, 7}), 0});
    check(base::parse_bitmap_str("", cur), {"", Bitmap256(), 0});
    check(base::parse_bitmap_str("\n", cur), {"\n", Bitmap256(), 0});
    check(base::parse_bitmap_str("0x" + std::string(64, 'F'), cur), {"0xF..F", Bitmap256::all(), 0});
    // a relative term not at the very start is hex garbage
    check(base::parse_bitmap_str(",+1", cur), {",+1", {}, EINVAL});
    check(base::parse_bitmap_str(" +1", cur), {" +1", {}, EINVAL});
    check(base::parse_bitmap_str("\n+1", cur), {"\n+1", {}, EINVAL});
  }
}

// ---- relative grammar -------------------------------------------------------

TEST(ParseBitmapStr, RelativeGrammar) {
  const Bitmap256 cur = ids({5, 200});
  const MaskCase cases[] = {
      // single terms; bits not mentioned keep their value
      {"+0", ids({0, 5, 200}), 0},
      {"+0\n", ids({0, 5, 200}), 0},
      {"-5", ids({200}), 0},
      {"-6", cur, 0},     // clearing a clear bit
      {"+5", cur, 0},
      {"+255", ids({5, 200, 255}), 0},
      {"-200\n", ids({5}), 0},
      // ranges: a '-' right after a number always starts a range
      {"+1-3", ids({1, 2, 3, 5, 200}), 0},
      {"+3-3", ids({3, 5, 200}), 0},
      {"-0-255", Bitmap256(), 0},
      {"+0-255", Bitmap256::all(), 0},
      {"-4-199", ids({200}), 0},
      {"+1-3-5", ids({1, 2, 3, 200}), 0},  // after a range, '-' starts a new term
      {"+1-3,-2", ids({1, 3, 5, 200}), 0},
      // NUM is simple_strtoul(.., 0): decimal, 0x/0X hex, leading-0 octal
      {"+0x10", ids({5, 16, 200}), 0},
      {"+0X10", ids({5, 16, 200}), 0},
      {"+0xff", ids({5, 200, 255}), 0},
      {"+010", ids({5, 8, 200}), 0},
      {"+0x0-0xf", range(0, 15) | ids({200}), 0},
      {"+0-010", range(0, 8) | ids({200}), 0},
      {"+18446744073709551616", ids({0, 5, 200}), 0},  // simple_strtoul wraps 2^64 to 0
      // separators: any run of ',' and '\n' after each term, or none at all
      {"+1,+2", ids({1, 2, 5, 200}), 0},
      {"+1,,+2\n", ids({1, 2, 5, 200}), 0},
      {"+1\n+2", ids({1, 2, 5, 200}), 0},
      {"+1+2", ids({1, 2, 5, 200}), 0},
      {"+1-2+3", ids({1, 2, 3, 5, 200}), 0},
      {"+1,\n,\n", ids({1, 5, 200}), 0},
      {"+1\n\n", ids({1, 5, 200}), 0},
      // last term wins
      {"+7,-7", cur, 0},
      {"-5,+5", cur, 0},
      {"+0-15,-3", range(0, 15).andnot(ids({3})) | ids({200}), 0},
      {"-0-255,+9", ids({9}), 0},
      // errors: no digits, value >= 256, a > z, bad separators, junk
      {"+", {}, EINVAL},
      {"-", {}, EINVAL},
      {"+\n", {}, EINVAL},
      {"+x", {}, EINVAL},
      {"+ 1", {}, EINVAL},
      {"++1", {}, EINVAL},
      {"+-1", {}, EINVAL},
      {"+256", {}, EINVAL},
      {"+0x100", {}, EINVAL},
      {"-1000", {}, EINVAL},
      {"+0-256", {}, EINVAL},
      {"+300-301", {}, EINVAL},
      {"+3-1", {}, EINVAL},
      {"+1-", {}, EINVAL},
      {"+1-\n", {}, EINVAL},
      {"+1-x", {}, EINVAL},
      {"+1-,+2", {}, EINVAL},
      {"+1--3", {}, EINVAL},
      {"+1 ", {}, EINVAL},
      {"+1, +2", {}, EINVAL},
      {"+1;+2", {}, EINVAL},
      {"+1\r\n", {}, EINVAL},
      {"+1,2", {}, EINVAL},
      {"+1x", {}, EINVAL},
      {"+08", {}, EINVAL},   // octal "0", then '8' is not a sign
      {"+0x", {}, EINVAL},   // "0", then 'x'
      {"+0xg", {}, EINVAL},
      {"+1,+2,+300", {}, EINVAL},  // an error after valid terms: nothing applied
      // the store buffer is a C string
      {"+1\0+2"s, ids({1, 5, 200}), 0},
      {"-5\n\0junk"s, ids({200}), 0},
  };
  for (const auto& c : cases) {
    Bitmap256 before = cur;
    check(base::parse_bitmap_str(c.in, cur), c);
    EXPECT_EQ(cur, before);  // the input mask is never modified
  }
}

TEST(ParseBitmapStr, DocumentedExamples) {
  struct Case {
    std::string in;
    Bitmap256 cur;
    Bitmap256 want;
  };
  const Case cases[] = {
      // Documentation/arch/s390/vfio-ap.rst
      {"+0,-6,+0x47,-0xf0", Bitmap256(), ids({0, 71})},
      {"+0,-6,+0x47,-0xf0", Bitmap256::all(), (~ids({6, 240}))},
      {"+0,-6,+0x47,-0xf0\n", ids({6, 100, 240}), ids({0, 71, 100})},
      // ap_bus.c comment above ap_parse_bitmap_str
      {"+0-15,+32,-128,-0xFF", Bitmap256(), range(0, 15) | ids({32})},
      {"+0-15,+32,-128,-0xFF", Bitmap256::all(), (~ids({128, 255}))},
      {"+0-15,+32,-128,-0xFF\n", ids({128, 255, 77}), range(0, 15) | ids({32, 77})},
  };
  for (const auto& c : cases) {
    auto r = base::parse_bitmap_str(c.in, c.cur);
    ASSERT_TRUE(r) << c.in;
    EXPECT_EQ(r->hex(), c.want.hex()) << c.in << " from " << c.cur.hex();
  }
}

}  // namespace
