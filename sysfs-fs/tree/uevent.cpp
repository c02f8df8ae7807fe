#include "sysfs-fs/tree/uevent.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cctype>

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

void UeventLog::send(std::string_view action, std::string devpath, std::string subsystem, std::vector<std::string> extra,
                     const std::vector<std::string>& kset_vars) {
  extra.insert(extra.end(), kset_vars.begin(), kset_vars.end());
  // zap_modalias_env() drops every MODALIAS= variable, the caller's included.
  if (action == "unbind") std::erase_if(extra, [](const std::string& v) { return v.starts_with("MODALIAS="); });
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - m_boot).count();
  m_events.push_back({++m_seqnum, static_cast<uint64_t>(usec), std::string(action), std::move(devpath),
                      std::move(subsystem), std::move(extra)});
  if (m_events.size() > CAPACITY) m_events.pop_front();
}

namespace {

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

base::Result<SynthUevent> parse_synth_uevent(std::string_view buf) {
  buf = buf.substr(0, buf.find('\0'));
  if (!buf.empty() && buf.back() == '\n') buf.remove_suffix(1);
  static constexpr std::array<std::string_view, 8> actions = {"add",    "remove",  "change", "move",
                                                               "online", "offline", "bind",   "unbind"};
  size_t sp = buf.find(' ');
  std::string_view action = buf.substr(0, sp);
  bool known = false;
  for (auto a : actions) known |= a == action;
  if (!known) return base::Errno{EINVAL};
  SynthUevent ev{std::string(action), {}};
  if (sp == std::string_view::npos) {
    ev.env.push_back("SYNTH_UUID=0");
    return ev;
  }
  std::string_view args = buf.substr(sp + 1);
  size_t next = args.find(' ');
  std::string_view uuid = args.substr(0, next);
  if (!is_uuid(uuid)) return base::Errno{EINVAL};
  ev.env.push_back("SYNTH_UUID=" + std::string(uuid));
  while (next != std::string_view::npos) {
    args = args.substr(next + 1);
    next = args.find(' ');
    std::string_view kv = args.substr(0, next);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || !alnum(kv.substr(0, eq)) || !alnum(kv.substr(eq + 1))) return base::Errno{EINVAL};
    ev.env.push_back("SYNTH_ARG_" + std::string(kv));
  }
  return ev;
}

}  // namespace sysfs
