// The simulated kernel's log buffer, read back like dmesg. Lines carry the
// exact text the kernel prints (admins and tools grep for it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace base {

enum class LogLevel { EMERG, ALERT, CRIT, ERR, WARNING, NOTICE, INFO, DEBUG };

class KernelLog {
 public:
  struct Line {
    uint64_t seq;
    uint64_t usec;  // since the simulated boot
    LogLevel level;
    std::string text;  // without the trailing newline
  };
  static constexpr size_t CAPACITY = 16384;  // oldest lines are dropped

  void log(LogLevel level, std::string text);
  // pr_*_ratelimited(): each call site (`site`, in function `func`) may log
  // RATELIMIT_BURST lines per RATELIMIT_INTERVAL; the first line it logs
  // after a window in which some were dropped comes after the kernel's
  // "<func>: N callbacks suppressed".
  static constexpr auto RATELIMIT_INTERVAL = std::chrono::seconds(5);
  static constexpr int RATELIMIT_BURST = 10;
  void log_ratelimited(std::string_view func, std::string_view site, LogLevel level, std::string text);
  const std::deque<Line>& lines() const { return m_lines; }
  // dmesg's default format: "[    5.123456] text\n" per line.
  std::string dmesg() const;

 private:
  std::chrono::steady_clock::time_point m_boot = std::chrono::steady_clock::now();
  uint64_t m_seq = 0;
  std::deque<Line> m_lines;
  struct Ratelimit {
    std::chrono::steady_clock::time_point begin;
    int printed = 0, missed = 0;
  };
  std::map<std::string, Ratelimit, std::less<>> m_ratelimits;  // by func and site
};

}  // namespace base
