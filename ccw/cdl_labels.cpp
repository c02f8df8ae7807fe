#include "ccw/cdl_labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "ccw/ebcdic.h"

namespace ccw::eckd {

std::array<uint8_t, 4 + 24> ipl1_record() {
  return {0xc9, 0xd7, 0xd3, 0xf1,  // "IPL1"
          0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x03, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
}

std::array<uint8_t, 4 + 144> ipl2_record() {
  std::array<uint8_t, 4 + 144> r{0xc9, 0xd7, 0xd3, 0xf2};  // "IPL2", then zeros
  // Format-0 CCWs: SEEK, SEARCH ID EQUAL, TIC back to it, READ DATA.
  const uint8_t ccws[] = {0x07, 0x00, 0x3a, 0xb8, 0x40, 0x00, 0x00, 0x06, 0x31, 0x00, 0x3a, 0xbe, 0x40, 0x00,
                          0x00, 0x05, 0x08, 0x00, 0x3a, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
                          0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                          0x04, 0x00};
  std::copy(std::begin(ccws), std::end(ccws), r.begin() + 4);
  return r;
}

std::optional<std::array<uint8_t, 6>> ebcdic_volser(std::string_view volser) {
  if (volser.empty() || volser.size() > 6) return std::nullopt;
  std::array<uint8_t, 6> out;
  out.fill(EBCDIC_BLANK);
  for (size_t i = 0; i < volser.size(); ++i) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(volser[i])));
    auto e = to_ebcdic(c);
    if (!e || c == '.' || c == ' ') return std::nullopt;
    out[i] = *e;
  }
  return out;
}

std::string default_volser(unsigned devno) { return fmt::format("0X{:04X}", devno & 0xffff); }

std::array<uint8_t, 84> vol1_label(const std::array<uint8_t, 6>& volser) {
  std::array<uint8_t, 84> l;
  l.fill(EBCDIC_BLANK);
  const uint8_t vol1[] = {0xe5, 0xd6, 0xd3, 0xf1};
  std::copy(std::begin(vol1), std::end(vol1), l.begin());      // volkey
  std::copy(std::begin(vol1), std::end(vol1), l.begin() + 4);  // vollbl
  std::copy(volser.begin(), volser.end(), l.begin() + 8);
  const uint8_t vtoc[] = {0x00, 0x00, 0x00, 0x01, 0x01};  // CCHHB of the VTOC
  std::copy(std::begin(vtoc), std::end(vtoc), l.begin() + 15);
  return l;
}

}  // namespace ccw::eckd
