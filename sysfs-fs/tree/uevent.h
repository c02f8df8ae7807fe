// Uevents the simulated kernel sends (kobject_uevent_env), kept in a ring the
// CLI can show like `udevadm monitor --kernel --property`, and the parser for
// writes to `uevent` files (kobject_synth_uevent).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sysfs {

struct Uevent {
  uint64_t seqnum;
  uint64_t usec;          // since the simulated boot
  std::string action;     // add remove change move online offline bind unbind
  std::string devpath;    // "/devices/ap/card05"
  std::string subsystem;  // "ap"
  std::vector<std::string> env;  // everything after SUBSYSTEM, without SEQNUM
  // "ACTION=..\nDEVPATH=..\nSUBSYSTEM=..\n<env>\nSEQNUM=..\n"
  std::string text() const;
  // As `udevadm monitor --kernel --property` prints it.
  std::string monitor_text() const;
};

class UeventLog {
 public:
  static constexpr size_t CAPACITY = 16384;
  // Kernel: kobject_uevent_env() ordering: ACTION, DEVPATH, SUBSYSTEM, the
  // caller's extra variables, the kset's variables, SEQNUM. An unbind event
  // loses its MODALIAS (zap_modalias_env).
  void send(std::string_view action, std::string devpath, std::string subsystem, std::vector<std::string> extra,
            const std::vector<std::string>& kset_vars);
  const std::deque<Uevent>& events() const { return m_events; }
  uint64_t seqnum() const { return m_seqnum; }

 private:
  std::chrono::steady_clock::time_point m_boot = std::chrono::steady_clock::now();
  uint64_t m_seqnum = 0;
  std::deque<Uevent> m_events;
};

struct SynthUevent {
  std::string action;
  std::vector<std::string> env;  // SYNTH_UUID=..., SYNTH_ARG_KEY=VAL
};
// Kernel: kobject_synth_uevent(): "<action> [UUID [KEY=VAL ...]]" with an
// optional trailing newline; EINVAL for anything else.
base::Result<SynthUevent> parse_synth_uevent(std::string_view buf);

}  // namespace sysfs
