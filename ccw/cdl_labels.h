// The records dasdfmt writes on track 0 of a volume with the compatible
// disk layout: IPL1, IPL2 (a bootstrap that IPLs nothing) and the VOL1
// label that names the volume and its VTOC (s390-tools dasdfmt.h, vtoc.h;
// asm/vtoc.h struct vtoc_volume_label_cdl). Each is key and data, as a
// READ KEY AND DATA returns it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccw::eckd {

std::array<uint8_t, 4 + 24> ipl1_record();
std::array<uint8_t, 4 + 144> ipl2_record();

// A volume serial: one to six of A-Z, 0-9, @, #, $ (lower case taken as
// upper), blank-padded to six EBCDIC bytes; nothing for anything else.
std::optional<std::array<uint8_t, 6>> ebcdic_volser(std::string_view volser);
// dasdfmt's default volser for a device number: "0X2B09" for 0x2b09.
std::string default_volser(unsigned devno);

// VOL1 (84 bytes): key and label "VOL1", the volser, the VTOC at cylinder 0
// head 1 record 1, EBCDIC blanks elsewhere.
std::array<uint8_t, 84> vol1_label(const std::array<uint8_t, 6>& volser);

}  // namespace ccw::eckd
