// The simulated kernel's log buffer, read back like dmesg. Lines carry the
// exact text the kernel prints (admins and tools grep for it).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

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
  const std::deque<Line>& lines() const { return m_lines; }
  // dmesg's default format: "[    5.123456] text\n" per line.
  std::string dmesg() const;

 private:
  std::chrono::steady_clock::time_point m_boot = std::chrono::steady_clock::now();
  uint64_t m_seq = 0;
  std::deque<Line> m_lines;
};

}  // namespace base
