#include "sysfs-fs/tree/uevent.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <iterator>

namespace sysfs {

std::string Uevent::text() const {
  std::string s = "ACTION=" + action + "\nDEVPATH=" + devpath + "\nSUBSYSTEM=" + subsystem + "\n";
  for (auto& e : env) {
    s += e;
    if (e.empty() || e.back() != '\n') s += '\n';
  }
  return s + "SEQNUM=" + std::to_string(seqnum) + "\n";
}

std::string Uevent::monitor_text() const {
  char head[64];
  std::snprintf(head, sizeof head, "KERNEL[%llu.%06llu] ", static_cast<unsigned long long>(usec / 1000000),
                static_cast<unsigned long long>(usec % 1000000));
  std::string a = action;
  a.resize(std::max<size_t>(a.size(), 8), ' ');
  return head + a + " " + devpath + " (" + subsystem + ")\n" + text() + "\n";
}

bool UeventEnv::add(std::string var) {
  const char* why = vars.size() >= UEVENT_NUM_ENVP                ? "too many keys"
                    : var.size() >= UEVENT_BUFFER_SIZE - buflen ? "buffer size too small"
                                                                : nullptr;
  if (why) {
    warnings.push_back(std::string("add_uevent_var: ") + why);
    return false;
  }
  buflen += var.size() + 1;
  vars.push_back(std::move(var));
  return true;
}

// WARN(1, KERN_ERR "..."): the cut line, then the message. The rest of the
// splat (WARNING: CPU..., registers, call trace) is not simulated.
void UeventLog::warn(const std::vector<std::string>& lines) {
  if (!m_klog) return;
  for (const auto& l : lines) {
    m_klog->log(base::LogLevel::WARNING, "------------[ cut here ]------------");
    m_klog->log(base::LogLevel::ERR, l);
  }
}

bool UeventLog::send(std::string_view action, std::string devpath, std::string subsystem, std::vector<std::string> extra,
                     const std::vector<std::string>& kset_vars) {
  UeventEnv env;
  bool ok = env.add("ACTION=" + std::string(action)) && env.add("DEVPATH=" + devpath) &&
            env.add("SUBSYSTEM=" + subsystem);
  for (size_t i = 0; ok && i < extra.size(); ++i) ok = env.add(std::move(extra[i]));
  // dev_uevent() ignores the failure of its own DEVTYPE and DRIVER; that of
  // the bus's uevent() (ap_uevent()) ends the event.
  for (size_t i = 0; ok && i < kset_vars.size(); ++i)
    ok = env.add(kset_vars[i]) || kset_vars[i].starts_with("DEVTYPE=") || kset_vars[i].starts_with("DRIVER=");
  // zap_modalias_env() drops every MODALIAS= variable, the caller's included.
  if (ok && action == "unbind") {
    std::erase_if(env.vars, [](const std::string& v) { return v.starts_with("MODALIAS="); });
    env.buflen = 0;  // what they took is free again
    for (const auto& v : env.vars) env.buflen += v.size() + 1;
  }
  // The number is taken before add_uevent_var() may refuse SEQNUM.
  ok = ok && env.add("SEQNUM=" + std::to_string(++m_seqnum));
  warn(env.warnings);
  if (!ok) return false;
  std::vector<std::string> vars(std::make_move_iterator(env.vars.begin() + 3),
                                std::make_move_iterator(env.vars.end() - 1));
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - m_boot).count();
  m_events.push_back({m_seqnum, static_cast<uint64_t>(usec), std::string(action), std::move(devpath),
                      std::move(subsystem), std::move(vars)});
  if (m_events.size() > CAPACITY) m_events.pop_front();
  return true;
}

namespace {

// What kobject_action_type() looks at: up to a NUL, without one trailing
// newline.
std::string_view strip(std::string_view buf) {
  buf = buf.substr(0, buf.find('\0'));
  if (!buf.empty() && buf.back() == '\n') buf.remove_suffix(1);
  return buf;
}

bool known_action(std::string_view action) {
  static constexpr std::array<std::string_view, 8> actions = {"add",    "remove",  "change", "move",
                                                               "online", "offline", "bind",   "unbind"};
  return std::find(actions.begin(), actions.end(), action) != actions.end();
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The kernel's isalnum() (lib/ctype.c): ASCII letters and digits plus the
// Latin-1 letters 0xC0..0xFF except 0xD7 and 0xF7.
bool kernel_isalnum(unsigned char c) {
  if (c >= 0xC0) return c != 0xD7 && c != 0xF7;
  return c < 0x80 && std::isalnum(c);
}

bool alnum(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!kernel_isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

base::Result<SynthUevent> parse_synth_uevent(std::string_view buf, std::vector<std::string>* warnings) {
  buf = strip(buf);
  size_t sp = buf.find(' ');
  std::string_view action = buf.substr(0, sp);
  if (!known_action(action)) return base::Errno{EINVAL};
  SynthUevent ev{std::string(action), {}};
  if (sp == std::string_view::npos) {
    ev.env.push_back("SYNTH_UUID=0");
    return ev;
  }
  std::string_view args = buf.substr(sp + 1);
  size_t next = args.find(' ');
  std::string_view uuid = args.substr(0, next);
  if (!is_uuid(uuid)) return base::Errno{EINVAL};
  // kobject_action_args() gathers the arguments in an environment of their
  // own: one that does not fit makes them incorrect.
  UeventEnv env;
  env.add("SYNTH_UUID=" + std::string(uuid));
  while (next != std::string_view::npos) {
    args = args.substr(next + 1);
    next = args.find(' ');
    std::string_view kv = args.substr(0, next);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || !alnum(kv.substr(0, eq)) || !alnum(kv.substr(eq + 1))) return base::Errno{EINVAL};
    if (!env.add("SYNTH_ARG_" + std::string(kv))) {
      if (warnings) *warnings = std::move(env.warnings);
      return base::Errno{EINVAL};
    }
  }
  ev.env = std::move(env.vars);
  return ev;
}

base::Result<void> UeventLog::synth(std::string_view buf, std::string devpath, std::string subsystem,
                                   const std::vector<std::string>& kset_vars) {
  std::vector<std::string> warnings;
  auto ev = parse_synth_uevent(buf, &warnings);
  warn(warnings);
  const char* msg = nullptr;
  std::string_view words = strip(buf);
  if (!ev)
    msg = known_action(words.substr(0, words.find(' '))) ? "incorrect uevent action arguments"
                                                         : "unknown uevent action string";
  else if (!send(ev->action, devpath, std::move(subsystem), std::move(ev->env), kset_vars))
    msg = "failed to send uevent";
  if (!msg) return base::ok();
  if (m_klog) m_klog->log(base::LogLevel::WARNING, "synth uevent: " + devpath + ": " + msg);
  return base::Errno{ev ? ENOMEM : EINVAL};
}

}  // namespace sysfs
