#include "base/kstrto.h"

#include <climits>

namespace base {
namespace {

constexpr Errno EINVAL_{EINVAL};

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}
bool is_xdigit(char c) { return digit_value(c) < 16; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
char at(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }
// The kernel's isspace() (lib/ctype.c): \t \n \v \f \r, ' ' and Latin-1 NBSP 0xA0.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == '\xa0'; }

// _parse_integer_fixup_radix(): base 0 picks 16 for "0x<xdigit>", 8 for a
// leading '0', else 10; a "0x" prefix is skipped when the base is 16.
size_t fixup_radix(std::string_view s, unsigned& base) {
  if (base == 0) {
    if (at(s, 0) == '0')
      base = (lower(at(s, 1)) == 'x' && is_xdigit(at(s, 2))) ? 16 : 8;
    else
      base = 10;
  }
  if (base == 16 && at(s, 0) == '0' && lower(at(s, 1)) == 'x') return 2;
  return 0;
}

struct Parsed {
  uint64_t value = 0;
  size_t digits = 0;
  bool overflow = false;
};

// _parse_integer(): consumes digits of `base`, wrapping and flagging overflow.
Parsed parse_integer(std::string_view s, unsigned base) {
  Parsed p;
  for (; p.digits < s.size(); ++p.digits) {
    int v = digit_value(s[p.digits]);
    if (v >= static_cast<int>(base)) break;
    if (p.value > (UINT64_MAX - static_cast<uint64_t>(v)) / base) p.overflow = true;
    p.value = p.value * base + static_cast<uint64_t>(v);
  }
  return p;
}

// _kstrtoull() after the sign: digits, one optional '\n', end.
Result<uint64_t> kstrtoull_tail(std::string_view s, unsigned base) {
  s.remove_prefix(fixup_radix(s, base));
  Parsed p = parse_integer(s, base);
  if (p.overflow) return Errno{ERANGE};
  if (p.digits == 0) return EINVAL_;
  s.remove_prefix(p.digits);
  if (at(s, 0) == '\n') s.remove_prefix(1);
  if (!s.empty()) return EINVAL_;
  return p.value;
}

}  // namespace

std::string_view c_str(std::string_view buf) { return buf.substr(0, buf.find('\0')); }

std::string_view streq_name(std::string_view buf) {
  buf = c_str(buf);
  if (!buf.empty() && buf.back() == '\n') buf.remove_suffix(1);
  return buf;
}

Result<uint64_t> kstrtoul_base(std::string_view s, unsigned base) {
  s = c_str(s);
  if (at(s, 0) == '+') s.remove_prefix(1);
  return kstrtoull_tail(s, base);
}

Result<uint64_t> kstrtoul(std::string_view s) { return kstrtoul_base(s, 0); }

Result<int> kstrtoint(std::string_view s, unsigned base) {
  s = c_str(s);
  if (at(s, 0) == '-') {
    auto v = kstrtoull_tail(s.substr(1), base);
    if (!v) return v.error();
    if (*v > static_cast<uint64_t>(INT_MAX) + 1) return Errno{ERANGE};
    return static_cast<int>(-static_cast<int64_t>(*v));
  }
  auto v = kstrtoul_base(s, base);
  if (!v) return v.error();
  if (*v > INT_MAX) return Errno{ERANGE};
  return static_cast<int>(*v);
}

Result<bool> kstrtobool(std::string_view s) {
  s = c_str(s);
  switch (at(s, 0)) {
    case 'e': case 'E': case 'y': case 'Y': case 't': case 'T': case '1':
      return true;
    case 'd': case 'D': case 'n': case 'N': case 'f': case 'F': case '0':
      return false;
    case 'o': case 'O':
      switch (at(s, 1)) {
        case 'n': case 'N': return true;
        case 'f': case 'F': return false;
        default: break;
      }
      break;
    default:
      break;
  }
  return EINVAL_;
}

Result<int> sscanf_int(std::string_view s, unsigned base) {
  s = c_str(s);
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  s.remove_prefix(i);
  bool neg = at(s, 0) == '-';
  char first = at(s, neg ? 1 : 0);
  if (first < '0' || first > '9') return EINVAL_;  // vsscanf stops: no match
  if (neg) s.remove_prefix(1);
  s.remove_prefix(fixup_radix(s, base));
  uint64_t v = parse_integer(s, base).value;
  return static_cast<int>(static_cast<uint32_t>(neg ? 0 - v : v));
}

uint64_t simple_strtoul(std::string_view s, size_t& consumed) {
  unsigned base = 0;
  size_t prefix = fixup_radix(s, base);
  Parsed p = parse_integer(s.substr(prefix), base);
  consumed = p.digits ? prefix + p.digits : 0;
  return p.value;
}

Result<Bitmap256> hex2bitmap(std::string_view s) {
  s = c_str(s);
  Bitmap256 map;
  if (at(s, 0) == '0' && at(s, 1) == 'x') s.remove_prefix(1);
  if (at(s, 0) == 'x') s.remove_prefix(1);
  unsigned i = 0;
  for (; is_xdigit(at(s, 0)) && i < Bitmap256::BITS; s.remove_prefix(1), i += 4) {
    int b = digit_value(s[0]);
    for (unsigned n = 0; n < 4; ++n)
      if (b & (0x08 >> n)) map.set(i + n);
  }
  if (at(s, 0) == '\n') s.remove_prefix(1);
  if (!s.empty()) return EINVAL_;
  return map;
}

// modify_bitmap(): a sequence of ('+'|'-') NUM ['-' NUM] terms, each followed
// by any run of ',' and '\n'. Applied to a copy, so an error changes nothing.
static Result<Bitmap256> modify_bitmap(std::string_view s, Bitmap256 map) {
  while (!s.empty()) {
    char sign = s[0];
    s.remove_prefix(1);
    if (sign != '+' && sign != '-') return EINVAL_;
    size_t used = 0;
    uint64_t a = simple_strtoul(s, used);
    uint64_t z = a;
    if (used == 0 || a >= Bitmap256::BITS) return EINVAL_;
    s.remove_prefix(used);
    if (at(s, 0) == '-') {
      s.remove_prefix(1);
      z = simple_strtoul(s, used);
      if (used == 0 || a > z || z >= Bitmap256::BITS) return EINVAL_;
      s.remove_prefix(used);
    }
    for (uint64_t i = a; i <= z; ++i) map.assign(static_cast<unsigned>(i), sign == '+');
    while (at(s, 0) == ',' || at(s, 0) == '\n') s.remove_prefix(1);
  }
  return map;
}

Result<Bitmap256> parse_bitmap_str(std::string_view s, const Bitmap256& current) {
  s = c_str(s);
  if (at(s, 0) == '+' || at(s, 0) == '-') return modify_bitmap(s, current);
  return hex2bitmap(s);
}

}  // namespace base
