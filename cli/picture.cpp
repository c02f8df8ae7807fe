#include "cli/picture.h"

#include <fmt/format.h>

namespace mdevsim::picture {

std::string paint(std::string_view text, std::string_view sgr, bool color) {
  if (!color || sgr.empty() || text.empty()) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

std::string xml(std::string_view s) {
  std::string out;
  for (char ch : s) switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ch;
    }
  return out;
}

}  // namespace mdevsim::picture
