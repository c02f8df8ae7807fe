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

#include "base/klog.h"
#include "base/result.h"

namespace sysfs {

// include/linux/kobject.h: an event's environment (struct kobj_uevent_env)
// holds at most this many variables in this many bytes, each with its NUL.
inline constexpr size_t UEVENT_NUM_ENVP = 64, UEVENT_BUFFER_SIZE = 2048;

// One environment being built, as add_uevent_var() fills it.
struct UeventEnv {
  std::vector<std::string> vars;
  size_t buflen = 0;
  std::vector<std::string> warnings;  // the messages of add_uevent_var()'s WARN()s
  // false (the kernel's -ENOMEM, with a WARN) if `var` does not fit.
  bool add(std::string var);
};

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
  // `klog` takes the kernel's lines about events that could not be sent.
  explicit UeventLog(base::KernelLog* klog = nullptr) : m_klog(klog) {}
  // Kernel: kobject_uevent_env() ordering: ACTION, DEVPATH, SUBSYSTEM, the
  // caller's extra variables, the kset's variables, SEQNUM. An unbind event
  // loses its MODALIAS (zap_modalias_env). False (the kernel's -ENOMEM) if
  // they do not fit one environment: then nothing is sent.
  bool send(std::string_view action, std::string devpath, std::string subsystem, std::vector<std::string> extra,
            const std::vector<std::string>& kset_vars);
  // Kernel: kobject_synth_uevent(): a write of `buf` to the `uevent` file of
  // the kobject at `devpath`, sent as send() does; EINVAL or ENOMEM, with
  // the kernel's warning.
  base::Result<void> synth(std::string_view buf, std::string devpath, std::string subsystem,
                           const std::vector<std::string>& kset_vars);
  const std::deque<Uevent>& events() const { return m_events; }
  uint64_t seqnum() const { return m_seqnum; }

 private:
  void warn(const std::vector<std::string>& lines);

  base::KernelLog* m_klog;
  std::chrono::steady_clock::time_point m_boot = std::chrono::steady_clock::now();
  uint64_t m_seqnum = 0;
  std::deque<Uevent> m_events;
};

struct SynthUevent {
  std::string action;
  std::vector<std::string> env;  // SYNTH_UUID=..., SYNTH_ARG_KEY=VAL
};
// Kernel: kobject_synth_uevent(): "<action> [UUID [KEY=VAL ...]]" with an
// optional trailing newline; EINVAL for anything else, and for arguments
// that do not fit one environment (add_uevent_var()'s WARN in `warnings`).
base::Result<SynthUevent> parse_synth_uevent(std::string_view buf, std::vector<std::string>* warnings = nullptr);

}  // namespace sysfs
