// libFuzzer: `mdevsim css` rendering a snapshot it did not make: a picture
// or std::invalid_argument, in every style.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cli/css_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (auto style : {mdevsim::MatrixStyle::Plain, mdevsim::MatrixStyle::Color, mdevsim::MatrixStyle::Svg}) {
    try {
      (void)mdevsim::render_css(text, style);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
