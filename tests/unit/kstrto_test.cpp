// The kernel's number parsers (lib/kstrtox.c, lib/vsprintf.c), as used by
// sysfs store functions. Every expectation follows the kernel source; see the
// spec §1 and docs/kernel-facts.md.
#include "base/kstrto.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <string_view>

namespace {

using namespace std::string_literals;  // "..."s keeps embedded NUL bytes

// 0 in `err` means success with `value`.
struct U64Case {
  std::string in;
  uint64_t value;
  int err;
};
struct IntCase {
  std::string in;
  int value;
  int err;
};

template <typename R, typename C>
void check(const R& r, const C& c) {
  if (c.err) {
    ASSERT_FALSE(r) << "input '" << c.in << "' parsed as " << *r;
    EXPECT_EQ(r.error().code, c.err) << "input '" << c.in << "'";
  } else {
    ASSERT_TRUE(r) << "input '" << c.in << "' failed with errno " << r.error().code;
    EXPECT_EQ(*r, c.value) << "input '" << c.in << "'";
  }
}

TEST(Kstrtoul, Base0) {
  const U64Case cases[] = {
      // decimal, optional '+', one optional trailing '\n'
      {"0", 0, 0},
      {"1", 1, 0},
      {"42\n", 42, 0},
      {"+7", 7, 0},
      {"+7\n", 7, 0},
      {"18446744073709551615", UINT64_MAX, 0},
      // hex: 0x/0X followed by a hex digit, digits in either case
      {"0x1f", 31, 0},
      {"0X1F", 31, 0},
      {"0xAbCdEf\n", 0xabcdef, 0},
      {"+0x10", 16, 0},
      {"0xffffffffffffffff", UINT64_MAX, 0},
      // leading 0 means octal
      {"00", 0, 0},
      {"010", 8, 0},
      {"0777\n", 511, 0},
      {"01777777777777777777777", UINT64_MAX, 0},
      // EINVAL: empty, whitespace, signs, prefixes without digits, junk
      {"", 0, EINVAL},
      {"\n", 0, EINVAL},
      {"+", 0, EINVAL},
      {" 1", 0, EINVAL},
      {"1 ", 0, EINVAL},
      {"1\t", 0, EINVAL},
      {"\t1", 0, EINVAL},
      {"1\r\n", 0, EINVAL},
      {"-1", 0, EINVAL},
      {"-0", 0, EINVAL},
      {"++1", 0, EINVAL},
      {"+-1", 0, EINVAL},
      {"0x", 0, EINVAL},    // "0x" without a hex digit: octal "0", then 'x'
      {"0x\n", 0, EINVAL},
      {"0xg", 0, EINVAL},
      {"0xx1", 0, EINVAL},
      {"08", 0, EINVAL},    // 8 is no octal digit
      {"09\n", 0, EINVAL},
      {"0b1", 0, EINVAL},
      {"1a", 0, EINVAL},
      {"abc", 0, EINVAL},
      {"1\n\n", 0, EINVAL},  // only one newline
      {"\n1", 0, EINVAL},
      {"1\nx", 0, EINVAL},
      // ERANGE on 64-bit overflow, checked before the trailing junk
      {"18446744073709551616", 0, ERANGE},
      {"0x10000000000000000", 0, ERANGE},
      {"02000000000000000000000", 0, ERANGE},
      {"99999999999999999999x", 0, ERANGE},
      {"99999999999999999999\n\n", 0, ERANGE},
      {"+0x1ffffffffffffffff junk", 0, ERANGE},
      // the store buffer is a C string: a NUL byte ends it
      {"12\0" "34"s, 12, 0},
      {"12\n\0" "junk"s, 12, 0},
      {"\0" "1"s, 0, EINVAL},
  };
  for (const auto& c : cases) check(base::kstrtoul(c.in), c);
}

TEST(Kstrtoul, FixedBase) {
  struct Case {
    std::string in;
    unsigned base;
    uint64_t value;
    int err;
  };
  const Case cases[] = {
      {"010", 10, 10, 0},
      {"+12\n", 10, 12, 0},
      {"0x10", 10, 0, EINVAL},  // base 10 never skips a 0x prefix
      {"1f", 10, 0, EINVAL},
      {"ff", 16, 255, 0},
      {"0x10", 16, 16, 0},
      {"0X10\n", 16, 16, 0},
      {"010", 16, 16, 0},
      {"0x", 16, 0, EINVAL},  // base 16 skips "0x" even without digits after it
      {"g", 16, 0, EINVAL},
      {"10000000000000000", 16, 0, ERANGE},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("base " + std::to_string(c.base));
    check(base::kstrtoul_base(c.in, c.base), U64Case{c.in, c.value, c.err});
  }
}

TEST(Kstrtoint, Base10And0) {
  struct Case {
    std::string in;
    unsigned base;
    int value;
    int err;
  };
  const Case cases[] = {
      {"5", 10, 5, 0},
      {"+5", 10, 5, 0},
      {"-5", 10, -5, 0},
      {"-5\n", 10, -5, 0},
      {"-0", 10, 0, 0},
      {"2147483647", 10, INT_MAX, 0},
      {"-2147483648", 10, INT_MIN, 0},
      {"2147483648", 10, 0, ERANGE},
      {"-2147483649", 10, 0, ERANGE},
      {"99999999999999999999", 10, 0, ERANGE},   // kstrtoull overflow
      {"-99999999999999999999", 10, 0, ERANGE},
      {"-18446744073709551615", 10, 0, ERANGE},  // negates to 1 in 64 bits: still out of range
      {"-9223372036854775808", 10, 0, ERANGE},   // fits long long, not int
      {"-", 10, 0, EINVAL},
      {"--5", 10, 0, EINVAL},
      {"-+5", 10, 0, EINVAL},  // '+' is only accepted without '-'
      {"+-5", 10, 0, EINVAL},
      {" 5", 10, 0, EINVAL},
      {"- 5", 10, 0, EINVAL},
      {"5 ", 10, 0, EINVAL},
      {"0x10", 10, 0, EINVAL},
      {"", 10, 0, EINVAL},
      {"0x10", 0, 16, 0},
      {"-0x10", 0, -16, 0},
      {"-010\n", 0, -8, 0},
      {"0x7fffffff", 0, INT_MAX, 0},
      {"0x80000000", 0, 0, ERANGE},
      {"-0x80000000", 0, INT_MIN, 0},
      {"-08", 0, 0, EINVAL},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("base " + std::to_string(c.base));
    check(base::kstrtoint(c.in, c.base), IntCase{c.in, c.value, c.err});
  }
}

TEST(Kstrtobool, CurrentKernelSemantics) {
  struct Case {
    std::string in;
    int value;  // 1 true, 0 false, -1 EINVAL
  };
  const Case cases[] = {
      // only the first character counts (or the first two for o..)
      {"y", 1}, {"Y", 1}, {"1", 1}, {"t", 1}, {"T", 1}, {"e", 1}, {"E", 1},
      {"yes", 1}, {"true", 1}, {"enable", 1}, {"1\n", 1}, {"y\n", 1}, {"1abc", 1}, {"Yolo", 1},
      {"on", 1}, {"ON", 1}, {"oN", 1}, {"on\n", 1}, {"onion", 1},
      {"n", 0}, {"N", 0}, {"0", 0}, {"f", 0}, {"F", 0}, {"d", 0}, {"D", 0},
      {"no", 0}, {"false", 0}, {"disable", 0}, {"0\n", 0}, {"00", 0},
      {"off", 0}, {"OFF", 0}, {"oF", 0}, {"of", 0},
      {"", -1}, {"\n", -1}, {"o", -1}, {"o\n", -1}, {"ox", -1}, {"x", -1}, {"2", -1},
      {" 1", -1}, {"+1", -1}, {"-1", -1}, {"\0" "1"s, -1},
  };
  for (const auto& c : cases) {
    auto r = base::kstrtobool(c.in);
    if (c.value < 0) {
      ASSERT_FALSE(r) << "'" << c.in << "'";
      EXPECT_EQ(r.error().code, EINVAL);
    } else {
      ASSERT_TRUE(r) << "'" << c.in << "'";
      EXPECT_EQ(*r, c.value == 1) << "'" << c.in << "'";
    }
  }
}

TEST(SscanfInt, LenientPercentD) {
  const IntCase cases[] = {
      {"5", 5, 0},
      {"5\n", 5, 0},
      {" 5", 5, 0},
      {"\t\n\v\f\r 5", 5, 0},
      {"\xa0" "5", 5, 0},  // the kernel's isspace() includes Latin-1 NBSP
      {"-5", -5, 0},
      {"  -5\n", -5, 0},
      {"1abc", 1, 0},   // trailing junk is ignored
      {"12 34", 12, 0},
      {"5\n\n", 5, 0},
      {"007", 7, 0},    // %d is always decimal
      {"0x10", 0, 0},
      {"-0", 0, 0},
      {"2147483647", INT_MAX, 0},
      {"2147483648", INT_MIN, 0},  // the long long result is truncated to int
      {"4294967295", -1, 0},
      {"4294967296", 0, 0},
      {"-4294967297", -1, 0},
      {"12\0" "34"s, 12, 0},
      {"", 0, EINVAL},
      {"\n", 0, EINVAL},
      {"   ", 0, EINVAL},
      {"+5", 0, EINVAL},  // vsscanf accepts '-' only
      {"-", 0, EINVAL},
      {"- 5", 0, EINVAL},
      {"--5", 0, EINVAL},
      {"abc", 0, EINVAL},
      {"x5", 0, EINVAL},
      {"\0" "5"s, 0, EINVAL},
  };
  for (const auto& c : cases) check(base::sscanf_int(c.in), c);
}

TEST(SscanfInt, PercentIBase0) {
  const IntCase cases[] = {
      {"0x10", 16, 0},
      {"0X1f\n", 31, 0},
      {"  0x1f\n", 31, 0},
      {"010", 8, 0},
      {"-0x10", -16, 0},
      {"-010", -8, 0},
      {"15", 15, 0},
      {"08", 0, 0},   // octal "0", the '8' is trailing junk
      {"0x", 0, 0},   // no hex digit: octal "0", then junk
      {"0xg", 0, 0},
      {"x10", 0, EINVAL},
      {"+0x10", 0, EINVAL},
      {"", 0, EINVAL},
  };
  for (const auto& c : cases) check(base::sscanf_int(c.in, 0), c);
}

TEST(SimpleStrtoul, ValueAndConsumed) {
  struct Case {
    std::string in;
    uint64_t value;
    size_t consumed;
  };
  const Case cases[] = {
      {"123abc", 123, 3},
      {"0", 0, 1},
      {"255-", 255, 3},
      {"0x1f,", 31, 4},
      {"0X1F", 31, 4},
      {"0xfF\n", 255, 4},
      {"017", 15, 3},
      {"08", 0, 1},   // octal: '8' stops the number
      {"0x", 0, 1},   // no hex digit after 0x: just the "0"
      {"0xg", 0, 1},
      {"18446744073709551616", 0, 20},  // wraps, every digit consumed
      {"", 0, 0},
      {"abc", 0, 0},
      {"x1", 0, 0},
      {"-1", 0, 0},   // no sign
      {"+1", 0, 0},
      {" 1", 0, 0},   // no whitespace skipping
      {",", 0, 0},
  };
  for (const auto& c : cases) {
    size_t consumed = 99;
    EXPECT_EQ(base::simple_strtoul(c.in, consumed), c.value) << "'" << c.in << "'";
    EXPECT_EQ(consumed, c.consumed) << "'" << c.in << "'";
  }
}

TEST(CStr, StopsAtFirstNul) {
  EXPECT_EQ(base::c_str("abc"), "abc");
  EXPECT_EQ(base::c_str("ab\0c"s), "ab");
  EXPECT_EQ(base::c_str("\0abc"s), "");
  EXPECT_EQ(base::c_str(""), "");
}

}  // namespace
