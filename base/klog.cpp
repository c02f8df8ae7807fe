#include "base/klog.h"

#include <fmt/format.h>

namespace base {

void KernelLog::log(LogLevel level, std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - m_boot).count();
  m_lines.push_back({m_seq++, static_cast<uint64_t>(usec), level, std::move(text)});
  if (m_lines.size() > CAPACITY) m_lines.pop_front();
}

// ___ratelimit() with DEFAULT_RATELIMIT_INTERVAL and _BURST.
void KernelLog::log_ratelimited(std::string_view func, std::string_view site, LogLevel level, std::string text) {
  auto now = std::chrono::steady_clock::now();
  std::string key = fmt::format("{}/{}", func, site);
  auto it = m_ratelimits.find(key);
  if (it == m_ratelimits.end()) it = m_ratelimits.emplace(std::move(key), Ratelimit{now}).first;
  Ratelimit& rs = it->second;
  if (now - rs.begin >= RATELIMIT_INTERVAL) {
    if (rs.missed) log(LogLevel::WARNING, fmt::format("{}: {} callbacks suppressed", func, rs.missed));
    rs = {now};
  }
  if (rs.printed < RATELIMIT_BURST) {
    ++rs.printed;
    log(level, std::move(text));
  } else {
    ++rs.missed;
  }
}

std::string KernelLog::dmesg() const {
  std::string out;
  for (auto& l : m_lines) out += fmt::format("[{:5}.{:06}] {}\n", l.usec / 1000000, l.usec % 1000000, l.text);
  return out;
}

}  // namespace base
