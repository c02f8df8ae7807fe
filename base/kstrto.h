// Number parsing with the exact semantics of the kernel's lib/kstrtox.c,
// lib/vsprintf.c (vsscanf, simple_strtoul) and drivers/s390/crypto/ap_bus.c
// (hex2bitmap, modify_bitmap). Inputs are sysfs store buffers: the kernel
// NUL-terminates them, so every parser stops at the first NUL byte.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bitmap256.h"
#include "base/result.h"

namespace base {

// The buffer as the kernel's C string functions see it: up to the first NUL.
std::string_view c_str(std::string_view buf);
// What sysfs_streq() compares of a written name: up to the first NUL,
// without one trailing newline.
std::string_view streq_name(std::string_view buf);

// kstrtoull(s, 0, &v): optional '+', 0x/0 auto base, one optional trailing
// '\n', nothing else. EINVAL for bad input, ERANGE on 64-bit overflow.
Result<uint64_t> kstrtoul(std::string_view s);
// kstrtoull with a fixed base (10 or 16), as kstrtoint(buf, 10, ..) uses.
Result<uint64_t> kstrtoul_base(std::string_view s, unsigned base);
// kstrtoint(s, base): like kstrtoul plus a '-' sign; ERANGE outside int.
Result<int> kstrtoint(std::string_view s, unsigned base);
// kstrtobool: y/Y/1/t/T/e/E/on -> true, n/N/0/f/F/d/D/off -> false.
Result<bool> kstrtobool(std::string_view s);

// sscanf(buf, "%d", &x) == 1 (or "%i" when base is 0): skips leading
// whitespace, accepts '-', ignores trailing junk; the value wraps to int.
Result<int> sscanf_int(std::string_view s, unsigned base = 10);

// simple_strtoul(s, &end, 0): returns the value (wrapping on overflow) and
// sets `consumed` to the number of characters used (0 when no digits).
uint64_t simple_strtoul(std::string_view s, size_t& consumed);

// ap_bus.c hex2bitmap(): absolute mask "0x<hex>", right-padded with zeros.
Result<Bitmap256> hex2bitmap(std::string_view s);
// ap_bus.c ap_parse_bitmap_str(): relative ("+a-b,-c") edits of `current`
// when s starts with '+' or '-', otherwise an absolute hex2bitmap mask.
Result<Bitmap256> parse_bitmap_str(std::string_view s, const Bitmap256& current);

}  // namespace base
