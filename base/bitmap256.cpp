#include "base/bitmap256.h"

#include <fmt/format.h>

namespace base {

std::string Bitmap256::hex() const {
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", m_w[0], m_w[1], m_w[2], m_w[3]);
}

}  // namespace base
