// Attributes of the css and ccw buses, the css0 root device, channel paths
// (chp.c), subchannels (css.c) and ccw devices (device.c).
#include <fmt/format.h>

#include "base/kstrto.h"
#include "ccw/css.h"

namespace ccw {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

std::string vars_text(const std::vector<std::string>& vars) {
  std::string s;
  for (auto& v : vars) s += v + "\n";
  return s;
}

// ------------------------------------------------------------- css bus

Show drivers_autoprobe_show(Css& css) { return fmt::format("{}\n", css.drivers_autoprobe ? 1 : 0); }
Store drivers_autoprobe_store(Css& css, std::string_view buf) {
  css.drivers_autoprobe = buf[0] != '0';
  return buf.size();
}
// Errors: ENODEV (no such device). Binding nothing is not an error.
Store drivers_probe_store(Css& css, std::string_view buf) {
  SIM_TRY_VOID(css.drivers_probe(base::streq_name(buf)));
  return buf.size();
}
Store bus_uevent_store(Css& css, std::string_view buf) {
  SIM_TRY_VOID(css.uevents().synth(buf, "/bus/css", "bus", {}));
  return buf.size();
}
const sysfs::AttrOps bus_attrs[] = {
    SYSFS_ATTR_RW(Css, drivers_autoprobe),
    SYSFS_ATTR_WO(Css, drivers_probe),
    sysfs::AttrOps{"uevent", 0200, nullptr, sysfs::store_thunk<Css, bus_uevent_store>},
};

// Errors in order: ENODEV (no such subchannel, not of the driver's types, or
// another driver named by its override), EBUSY (bound), the probe's error.
Store bind_store(CssDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.css->bind(drv, base::streq_name(buf)));
  return buf.size();
}
// Errors: ENODEV (no such subchannel, or not bound to this driver).
Store unbind_store(CssDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.css->unbind(drv, base::streq_name(buf)));
  return buf.size();
}
Store driver_uevent_store(CssDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.css->uevents().synth(buf, "/bus/css/drivers/" + drv.name(), "drivers", {}));
  return buf.size();
}
const sysfs::AttrOps driver_attrs[] = {
    SYSFS_ATTR_WO(CssDriver, bind),
    SYSFS_ATTR_WO(CssDriver, unbind),
    sysfs::AttrOps{"uevent", 0200, nullptr, sysfs::store_thunk<CssDriver, driver_uevent_store>},
};

// ---------------------------------------------------------------- css0

Show real_cssid_show(Css& css) { return fmt::format("{:x}\n", css.config().cssid); }
// A rescan finds what the host file configured: nothing changes.
Store rescan_store(Css&, std::string_view buf) { return buf.size(); }
Show root_uevent_show(Css&) { return std::string(); }
Store root_uevent_store(Css& css, std::string_view buf) {
  SIM_TRY_VOID(css.uevents().synth(buf, "/devices/css0", "", {}));
  return buf.size();
}
const sysfs::AttrOps root_attrs[] = {
    SYSFS_ATTR_RO(Css, real_cssid),
    SYSFS_ATTR_WO(Css, rescan),
    sysfs::AttrOps{"uevent", 0644, sysfs::show_thunk<Css, root_uevent_show>, sysfs::store_thunk<Css, root_uevent_store>},
};

// ------------------------------------------------------- channel paths

Show status_show(ChannelPath& chp) { return std::string(chp.online ? "online\n" : "offline\n"); }
// "on" or "off", either case, one trailing newline; EINVAL otherwise.
Store status_store(ChannelPath& chp, std::string_view buf) {
  std::string_view v = base::streq_name(buf);
  std::string lower;
  for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "on") chp.online = true;
  else if (lower == "off") chp.online = false;
  else return Errno{EINVAL};
  return buf.size();
}
Show type_show(ChannelPath& chp) { return fmt::format("{:x}\n", chp.cfg.type); }
Show shared_show(ChannelPath& chp) { return fmt::format("{:x}\n", chp.cfg.shared ? 1 : 0); }
Show chp_uevent_show(ChannelPath&) { return std::string(); }
const sysfs::AttrOps chp_attrs_[] = {
    SYSFS_ATTR_RW(ChannelPath, status),
    SYSFS_ATTR_RO(ChannelPath, type),
    SYSFS_ATTR_RO(ChannelPath, shared),
    sysfs::AttrOps{"uevent", 0444, sysfs::show_thunk<ChannelPath, chp_uevent_show>, nullptr},
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
Show sch_uevent_show(Subchannel& s) { return vars_text(s.css->uevent_vars(s)); }
Store sch_uevent_store(Subchannel& s, std::string_view buf) {
  SIM_TRY_VOID(s.css->uevents().synth(buf, s.css->devpath(s), "css", s.css->uevent_vars(s)));
  return buf.size();
}
const sysfs::AttrOps subchannel_attrs_[] = {
    sysfs::AttrOps{"type", 0444, sysfs::show_thunk<Subchannel, sch_type_show>, nullptr},
    sysfs::AttrOps{"modalias", 0444, sysfs::show_thunk<Subchannel, sch_modalias_show>, nullptr},
    SYSFS_ATTR_RW(Subchannel, driver_override),
    sysfs::AttrOps{"uevent", 0644, sysfs::show_thunk<Subchannel, sch_uevent_show>, sysfs::store_thunk<Subchannel, sch_uevent_store>},
};

Show chpids_show(Subchannel& s) {
  std::string out;
  for (uint8_t c : s.cfg.chpids) out += fmt::format("{:02x} ", c);
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
Store logging_store(Subchannel&, std::string_view buf) { return buf.size(); }
const sysfs::AttrOps io_drv_attrs[] = {
    SYSFS_ATTR_WO(Subchannel, logging),
    SYSFS_ATTR_RO(Subchannel, vpm),
};

// --------------------------------------------------------- ccw devices

Show devtype_show(CcwDevice& d) {
  if (d.cfg.dev_type == 0) return std::string("n/a\n");
  return fmt::format("{:04x}/{:02x}\n", d.cfg.dev_type, d.cfg.dev_model);
}
Show cutype_show(CcwDevice& d) { return fmt::format("{:04x}/{:02x}\n", d.cfg.cu_type, d.cfg.cu_model); }
Show ccw_modalias_show(CcwDevice& d) { return ccw_modalias(d.cfg) + "\n"; }
Show online_show(CcwDevice& d) { return std::string(d.online ? "1\n" : "0\n"); }
Show availability_show(CcwDevice& d) { return std::string(d.sch->cfg.pam & d.sch->cfg.pom ? "good\n" : "no path\n"); }
Show cmb_enable_show(CcwDevice& d) { return fmt::format("{}\n", d.cmb_enable ? 1 : 0); }
Show ccw_uevent_show(CcwDevice& d) { return vars_text(d.sch->css->uevent_vars(d)); }
Store ccw_uevent_store(CcwDevice& d, std::string_view buf) {
  Css& css = *d.sch->css;
  SIM_TRY_VOID(css.uevents().synth(buf, css.devpath(d), "ccw", css.uevent_vars(d)));
  return buf.size();
}
const sysfs::AttrOps ccw_attrs[] = {
    SYSFS_ATTR_RO(CcwDevice, devtype),
    SYSFS_ATTR_RO(CcwDevice, cutype),
    sysfs::AttrOps{"modalias", 0444, sysfs::show_thunk<CcwDevice, ccw_modalias_show>, nullptr},
    SYSFS_ATTR_RO(CcwDevice, online),
    SYSFS_ATTR_RO(CcwDevice, availability),
    SYSFS_ATTR_RO(CcwDevice, cmb_enable),
    sysfs::AttrOps{"uevent", 0644, sysfs::show_thunk<CcwDevice, ccw_uevent_show>, sysfs::store_thunk<CcwDevice, ccw_uevent_store>},
};

}  // namespace

std::span<const sysfs::AttrOps> css_bus_attrs() { return bus_attrs; }
std::span<const sysfs::AttrOps> css_driver_attrs() { return driver_attrs; }
std::span<const sysfs::AttrOps> css_root_attrs() { return root_attrs; }
std::span<const sysfs::AttrOps> chp_attrs() { return chp_attrs_; }
std::span<const sysfs::AttrOps> subchannel_attrs() { return subchannel_attrs_; }
std::span<const sysfs::AttrOps> io_subchannel_type_attrs() { return io_type_attrs; }
std::span<const sysfs::AttrOps> io_subchannel_drv_attrs() { return io_drv_attrs; }
std::span<const sysfs::AttrOps> ccw_device_attrs() { return ccw_attrs; }

}  // namespace ccw
