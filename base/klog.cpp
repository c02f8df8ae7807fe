#include "base/klog.h"

#include <fmt/format.h>

namespace base {

void KernelLog::log(LogLevel level, std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - m_boot).count();
  m_lines.push_back({m_seq++, static_cast<uint64_t>(usec), level, std::move(text)});
  if (m_lines.size() > CAPACITY) m_lines.pop_front();
}

std::string KernelLog::dmesg() const {
  std::string out;
  for (auto& l : m_lines) out += fmt::format("[{:5}.{:06}] {}\n", l.usec / 1000000, l.usec % 1000000, l.text);
  return out;
}

}  // namespace base
