// EBCDIC (code page 037) of the characters labels, data set names and
// NEDs hold: digits, upper-case letters, @ # $ and the period.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ccw {

inline constexpr uint8_t EBCDIC_BLANK = 0x40;

constexpr std::optional<uint8_t> to_ebcdic(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint8_t>(0xf0 + (c - '0'));
  if (c >= 'A' && c <= 'I') return static_cast<uint8_t>(0xc1 + (c - 'A'));
  if (c >= 'J' && c <= 'R') return static_cast<uint8_t>(0xd1 + (c - 'J'));
  if (c >= 'S' && c <= 'Z') return static_cast<uint8_t>(0xe2 + (c - 'S'));
  if (c == '@') return 0x7c;
  if (c == '#') return 0x7b;
  if (c == '$') return 0x5b;
  if (c == '.') return 0x4b;
  if (c == ' ') return EBCDIC_BLANK;
  return std::nullopt;
}

// Writes `s` at `p`; a character without a code here becomes a blank.
inline void put_ebcdic(uint8_t* p, std::string_view s) {
  for (char c : s) *p++ = to_ebcdic(c).value_or(EBCDIC_BLANK);
}

}  // namespace ccw
