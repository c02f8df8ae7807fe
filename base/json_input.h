// JSON read from outside (host files, snapshots, the control socket's
// replies): read with a size cap and checked for depth, string size and
// control characters before anything parses it into a tree, so that no
// recursive code (dump, comparison) ever sees a hostile value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace base {

// About 7 times the largest real input, the 9 MB snapshot of a 256x256 host.
inline constexpr size_t MAX_INPUT_BYTES = size_t{64} << 20;
// Real documents nest at most 5 levels.
inline constexpr size_t MAX_JSON_DEPTH = 32;
// A sysfs page; the longest real string is a 66-character mask.
inline constexpr size_t MAX_JSON_STRING = 4096;

// The whole file, at most MAX_INPUT_BYTES. On failure `error` is the reason
// alone ("Is a directory", "larger than 64 MiB") and the Errno is the real
// errno (EFBIG for a file too large).
Result<std::string> read_input_file(const std::string& path, std::string& error);

// "" if `text` is valid JSON of at most MAX_INPUT_BYTES, nested at most
// MAX_JSON_DEPTH levels, its strings and keys at most MAX_JSON_STRING bytes
// without control characters (U+0000..U+001F, U+007F); else the first
// reason, after the key's path ("ap.cards[0].serialnr: ...") where there is one.
std::string check_json_input(std::string_view text);

}  // namespace base
