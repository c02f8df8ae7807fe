// What the pictures (`mdevsim matrix`, `mdevsim css`) share: terminal
// colours and XML escaping.
#pragma once

#include <string>
#include <string_view>

namespace mdevsim::picture {

// `text` in the SGR colours `sgr` when `color`; unchanged otherwise or
// when empty.
std::string paint(std::string_view text, std::string_view sgr, bool color);
// `s` escaped for SVG text and attribute values.
std::string xml(std::string_view s);

}  // namespace mdevsim::picture
