// Attributes of the css and ccw buses, the css0 root device, channel paths
// (chp.c), subchannels (css.c) and ccw devices (device.c).
#include <strings.h>

#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "base/kstrto.h"
#include "ccw/css.h"

namespace ccw {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;


// ---------------------------------------------------------------- css0

// The parse of kobject_synth_uevent(); the event itself is filtered.
Store busless_uevent_store(void*, std::string_view buf) {
  SIM_TRY_VOID(sysfs::parse_synth_uevent(buf));
  return buf.size();
}
Show busless_uevent_show(void*) { return std::string(); }

Show real_cssid_show(Css& css) { return fmt::format("{:x}\n", css.config().cssid); }
// A rescan finds what the host file configured: nothing changes.
Store rescan_store(Css&, std::string_view buf) { return buf.size(); }
Show cm_enable_show(Css& css) { return fmt::format("{:x}\n", css.cm_enabled ? 1 : 0); }
// Errors: kstrtoul(buf, 16)'s, then EINVAL for anything but 0 and 1.
Store cm_enable_store(Css& css, std::string_view buf) {
  uint64_t v = SIM_TRY(base::kstrtoul_base(buf, 16));
  if (v > 1) return Errno{EINVAL};
  css.cm_enabled = v == 1;
  return buf.size();
}
#define CSS_ROOT_ATTRS SYSFS_ATTR_RO(Css, real_cssid), SYSFS_ATTR_WO(Css, rescan), busless_uevent_attr
const sysfs::AttrOps root_attrs[] = {CSS_ROOT_ATTRS, SYSFS_ATTR_RW(Css, cm_enable)};
const sysfs::AttrOps root_attrs_no_cm[] = {CSS_ROOT_ATTRS};
#undef CSS_ROOT_ATTRS

// ------------------------------------------------------- channel paths

Show status_show(ChannelPath& chp) { return std::string(chp.online ? "online\n" : "offline\n"); }
// chp_status_write(): the first word; "on"/"off" as prefixes in any case,
// or "1"/"0"; nothing at all is accepted and does nothing; else EINVAL.
Store status_store(ChannelPath& chp, std::string_view buf) {
  std::string cmd;
  size_t i = 0;
  buf = base::c_str(buf);
  while (i < buf.size() && std::isspace(static_cast<unsigned char>(buf[i]))) ++i;
  while (i < buf.size() && !std::isspace(static_cast<unsigned char>(buf[i])) && cmd.size() < 5) cmd += buf[i++];
  auto prefix = [&](std::string_view w) {
    return cmd.size() >= w.size() && strncasecmp(cmd.c_str(), w.data(), w.size()) == 0;
  };
  if (cmd.empty()) return buf.size();
  bool on;
  if (prefix("on") || cmd == "1") on = true;
  else if (prefix("off") || cmd == "0") on = false;
  else return Errno{EINVAL};
  // s390_vary_chpid(): the subchannels hear of a change only.
  if (on != chp.online) {
    chp.online = on;
    chp.css->chp_changed(chp, on ? CssDriver::ChpEvent::VaryOn : CssDriver::ChpEvent::VaryOff);
  }
  return buf.size();
}
// chp_info_get_status(): 1, configured.
Show configure_show(ChannelPath& chp) { return fmt::format("{}\n", chp.configured ? 1 : 0); }
// chp_configure_write(): "%d" alone, 0 or 1; else EINVAL.
Store configure_store(ChannelPath& chp, std::string_view buf) {
  std::string text(base::c_str(buf));
  int v = 0;
  char delim = 0;
  if (std::sscanf(text.c_str(), "%d %c", &v, &delim) != 1 || (v != 0 && v != 1)) return Errno{EINVAL};
  // The machine configures the path in or out; the CRW that follows makes
  // cio post CHP_ONLINE or CHP_OFFLINE to its subchannels.
  if (chp.configured != (v == 1)) {
    chp.configured = v == 1;
    chp.css->chp_changed(chp, v == 1 ? CssDriver::ChpEvent::Online : CssDriver::ChpEvent::Offline);
  }
  return buf.size();
}
Show type_show(ChannelPath& chp) { return fmt::format("{:x}\n", chp.cfg.type); }
bool measured(const ChannelPath& chp) { return chp.css->config().measurement; }
Show cmg_show(ChannelPath& chp) { return measured(chp) ? fmt::format("{}\n", chp.cfg.cmg) : std::string("unknown\n"); }
Show shared_show(ChannelPath& chp) { return measured(chp) ? fmt::format("{:x}\n", chp.cfg.shared ? 1 : 0) : std::string("unknown\n"); }
// Empty unless the machine reports the physical channel id.
Show chid_show(ChannelPath& chp) { return chp.cfg.chid ? fmt::format("{:04x}\n", *chp.cfg.chid) : std::string(); }
Show chid_external_show(ChannelPath& chp) { return chp.cfg.chid ? fmt::format("{:x}\n", chp.cfg.chid_external ? 1 : 0) : std::string(); }
Show esc_show(ChannelPath&) { return std::string("0\n"); }
// apply_max_suffix(): divided by 1000 while it divides evenly, K M G T.
Show speed_bps_show(ChannelPath& chp) {
  uint64_t v = measured(chp) ? chp.cfg.speed_bps : 0;
  const char* suffix = "KMGT";
  int i = -1;
  while (v >= 1000 && v % 1000 == 0 && i < 3) {
    v /= 1000;
    ++i;
  }
  return i < 0 ? fmt::format("{}\n", v) : fmt::format("{}{}\n", v, suffix[i]);
}
const sysfs::AttrOps chp_attrs_[] = {
    SYSFS_ATTR_RW(ChannelPath, status),     SYSFS_ATTR_RW(ChannelPath, configure),
    SYSFS_ATTR_RO(ChannelPath, type),       SYSFS_ATTR_RO(ChannelPath, cmg),
    SYSFS_ATTR_RO(ChannelPath, shared),     SYSFS_ATTR_RO(ChannelPath, chid),
    SYSFS_ATTR_RO(ChannelPath, chid_external), SYSFS_ATTR_RO(ChannelPath, esc),
    SYSFS_ATTR_RO(ChannelPath, speed_bps),  busless_uevent_attr,
};

// --------------------------------------------------------- subchannels

Show sch_type_show(Subchannel& s) { return fmt::format("{:01x}\n", s.cfg.type); }
Show sch_modalias_show(Subchannel& s) { return fmt::format("css:t{:01X}\n", s.cfg.type); }
// An unset override prints as the kernel's "%s" of NULL does.
Show driver_override_show(Subchannel& s) { return s.driver_override.empty() ? std::string("(null)\n") : s.driver_override + "\n"; }
Store driver_override_store(Subchannel& s, std::string_view buf) {
  SIM_TRY_VOID(s.css->set_driver_override(s, buf));
  return buf.size();
}
const sysfs::AttrOps subchannel_attrs_[] = {
    sysfs::AttrOps{"type", 0444, sysfs::show_thunk<Subchannel, sch_type_show>, nullptr},
    sysfs::AttrOps{"modalias", 0444, sysfs::show_thunk<Subchannel, sch_modalias_show>, nullptr},
    SYSFS_ATTR_RW(Subchannel, driver_override),
};

// Installed paths (PIM) show their CHPID, the others 00.
Show chpids_show(Subchannel& s) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += fmt::format("{:02x} ", s.cfg.pim & (0x80 >> i) ? s.cfg.chpids[i] : 0);
  return out + "\n";
}
Show pimpampom_show(Subchannel& s) { return fmt::format("{:02x} {:02x} {:02x}\n", s.cfg.pim, s.cfg.pam, s.cfg.pom); }
Show dev_busid_show(Subchannel& s) {
  if (!s.cfg.dev) return std::string("none\n");
  return format_bus_id({s.cfg.schid.ssid, s.cfg.dev->devno}) + "\n";
}
const sysfs::AttrOps io_type_attrs[] = {
    SYSFS_ATTR_RO(Subchannel, chpids),
    SYSFS_ATTR_RO(Subchannel, pimpampom),
    SYSFS_ATTR_RO(Subchannel, dev_busid),
};

// The verified path mask: every available path that is operational.
Show vpm_show(Subchannel& s) { return fmt::format("{:02x}\n", s.cfg.pam & s.cfg.pom); }
// initiate_logging(): the input is not looked at; CHSC SIOSL succeeds.
Store logging_store(Subchannel& s, std::string_view buf) {
  s.css->klog().log(base::LogLevel::NOTICE, fmt::format("cio: Logging for subchannel {} was triggered", s.name));
  return buf.size();
}
const sysfs::AttrOps io_drv_attrs[] = {
    SYSFS_ATTR_WO(Subchannel, logging),
    SYSFS_ATTR_RO(Subchannel, vpm),
};

// --------------------------------------------------------- ccw devices

// cmf/ while measurement is on (cmf.c, extended format, as current machines
// autodetect): no I/O has been measured yet.
Show cmf_zero_show(CcwDevice&) { return std::string("0\n"); }
Show cmf_no_samples_show(CcwDevice&) { return std::string("-1\n"); }
Show cmf_utilization_show(CcwDevice&) { return std::string("00.0%\n"); }
#define CMF_ZERO(name) sysfs::AttrOps{name, 0444, sysfs::show_thunk<CcwDevice, cmf_zero_show>, nullptr}
const sysfs::AttrOps cmf_attrs_[] = {
    sysfs::AttrOps{"avg_sample_interval", 0444, sysfs::show_thunk<CcwDevice, cmf_no_samples_show>, nullptr},
    sysfs::AttrOps{"avg_utilization", 0444, sysfs::show_thunk<CcwDevice, cmf_utilization_show>, nullptr},
    CMF_ZERO("ssch_rsch_count"), CMF_ZERO("sample_count"), CMF_ZERO("avg_device_connect_time"),
    CMF_ZERO("avg_function_pending_time"), CMF_ZERO("avg_device_disconnect_time"),
    CMF_ZERO("avg_control_unit_queuing_time"), CMF_ZERO("avg_device_active_only_time"),
    CMF_ZERO("avg_device_busy_time"), CMF_ZERO("avg_initial_command_response_time"),
};
#undef CMF_ZERO
std::span<const sysfs::AttrOps> cmf_attrs() { return cmf_attrs_; }

Show devtype_show(CcwDevice& d) {
  if (d.cfg.dev_type == 0) return std::string("n/a\n");
  return fmt::format("{:04x}/{:02x}\n", d.cfg.dev_type, d.cfg.dev_model);
}
Show cutype_show(CcwDevice& d) { return fmt::format("{:04x}/{:02x}\n", d.cfg.cu_type, d.cfg.cu_model); }
Show ccw_modalias_show(CcwDevice& d) { return ccw_modalias(d.cfg) + "\n"; }
Show online_show(CcwDevice& d) { return std::string(d.online ? "1\n" : "0\n"); }
// online_store(): "force" (any prefix of "force\n") or kstrtoul(buf, 16)'s
// errors; then 0 and 1 need a ccw driver with set_offline/set_online, and
// no ccw driver is loaded (EINVAL); other values EINVAL.
Store online_store(CcwDevice&, std::string_view buf) {
  bool force = buf.size() <= 6 && std::string_view("force\n").substr(0, buf.size()) == buf;
  if (!force) SIM_TRY(base::kstrtoul_base(buf, 16));
  return Errno{EINVAL};
}
Show availability_show(CcwDevice& d) { return std::string(d.sch->cfg.pam & d.sch->cfg.pom ? "good\n" : "no path\n"); }
Show cmb_enable_show(CcwDevice& d) { return fmt::format("{}\n", d.cmb_enable ? 1 : 0); }
// cmb_enable_store(): kstrtoul(buf, 16)'s errors; 1 enables (again: resets
// the data); 0 disables, EINVAL if not enabled (set_cmbe()); else EINVAL.
Store cmb_enable_store(CcwDevice& d, std::string_view buf) {
  uint64_t v = SIM_TRY(base::kstrtoul_base(buf, 16));
  if (v > 1 || (v == 0 && !d.cmb_enable)) return Errno{EINVAL};
  if (v == 1 && !d.cmb_enable) d.dir->add_dir("cmf").add_attrs(cmf_attrs(), &d);
  if (v == 0) d.dir->remove("cmf");
  d.cmb_enable = v == 1;
  return buf.size();
}
const sysfs::AttrOps ccw_attrs[] = {
    SYSFS_ATTR_RO(CcwDevice, devtype),
    SYSFS_ATTR_RO(CcwDevice, cutype),
    sysfs::AttrOps{"modalias", 0444, sysfs::show_thunk<CcwDevice, ccw_modalias_show>, nullptr},
    SYSFS_ATTR_RW(CcwDevice, online),
    SYSFS_ATTR_RO(CcwDevice, availability),
    SYSFS_ATTR_RW(CcwDevice, cmb_enable),
};

}  // namespace

const sysfs::AttrOps busless_uevent_attr = {"uevent", 0644, busless_uevent_show, busless_uevent_store};

std::span<const sysfs::AttrOps> css_root_attrs() { return root_attrs; }
std::span<const sysfs::AttrOps> css_root_attrs_no_cm() { return root_attrs_no_cm; }
std::span<const sysfs::AttrOps> chp_attrs() { return chp_attrs_; }
std::span<const sysfs::AttrOps> subchannel_attrs() { return subchannel_attrs_; }
std::span<const sysfs::AttrOps> io_subchannel_type_attrs() { return io_type_attrs; }
std::span<const sysfs::AttrOps> io_subchannel_drv_attrs() { return io_drv_attrs; }
std::span<const sysfs::AttrOps> ccw_device_attrs() { return ccw_attrs; }

}  // namespace ccw
