#include "cli/guest_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace mdevsim {

namespace {

// 8-4-4-4-12 hex digits.
bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

bool guest_start_request(const std::string& name, const std::vector<GuestDeviceOption>& opts, bool no_ap,
                         bool unplug_on_request, const std::string& sysdir, std::string& request, std::string& error) {
  auto in_sys = [&](const std::string& path) {
    return sysdir != "/sys" && path.rfind(sysdir + "/", 0) == 0 ? "/sys" + path.substr(sysdir.size()) : path;
  };
  auto single_word = [&](const std::string& w) {
    if (!w.empty() && w.find_first_of(" \t\n\r\v\f") == std::string::npos) return true;
    error = "\"" + w + "\": names and device arguments are single words";
    return false;
  };
  if (!single_word(name)) return false;
  request = "guest start " + name;
  for (auto& [kind, v] : opts) {
    if (!single_word(v)) return false;
    if (kind == GuestDeviceOption::Mdev) {
      request += " vfio-ap,sysfsdev=" + (v.find('/') == std::string::npos ? "/sys/devices/vfio_ap/matrix/" + v : in_sys(v));
    } else if (kind == GuestDeviceOption::Ccw) {
      size_t comma = v.find(',');
      std::string dev = v.substr(0, comma), props = comma == std::string::npos ? "" : v.substr(comma);
      request += " vfio-ccw" + props + ",sysfsdev=" +
                 (dev.find('/') == std::string::npos ? "/sys/bus/mdev/devices/" + dev : in_sys(dev));
    } else {
      size_t at = v.find("sysfsdev=");
      request += " " + (at == std::string::npos ? v : v.substr(0, at + 9) + in_sys(v.substr(at + 9)));
    }
  }
  if (no_ap) request += " ap=off";
  if (unplug_on_request) request += " unplug-on-request";
  return true;
}

qemu::GuestOptions guest_start_args(const std::vector<std::string>& args) {
  qemu::GuestOptions opts;
  for (auto& a : args) {
    if (a == "ap=off") opts.ap_facility = false;
    else if (a == "unplug-on-request") opts.unplug_on_request = true;
    else if (is_uuid(a)) opts.devices.push_back("vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/" + a);
    else opts.devices.push_back(a);
  }
  return opts;
}

std::string guest_text(const qemu::Guest& g) {
  const ap::ApView& c = g.kvm.crycb;
  std::string out = fmt::format("guest {}\nmdev {}\n", g.name(), g.ap ? g.ap->mdev->uuid : "-");
  out += fmt::format("APM 0x{}\nAQM 0x{}\nADM 0x{}\n", c.apm.hex(), c.aqm.hex(), c.adm.hex());
  out += "APQNs";
  c.apm.for_each([&](unsigned a) { c.aqm.for_each([&](unsigned d) { out += fmt::format(" {:02x}.{:04x}", a, d); }); });
  out += "\ncontrol domains";
  c.adm.for_each([&](unsigned d) { out += fmt::format(" {:04x}", d); });
  out += fmt::format("\nconfiguration changes {}\nremove requests {}\n", g.ap ? g.ap->cfg_chg_count : 0,
                     g.ap ? g.ap->req_count : 0);
  if (g.ccw.empty()) return out;
  // As `info qtree` shows their ids.
  out += "ccw devices\n";
  for (auto& d : g.ccw)
    out += fmt::format("-device {}: dev_id = \"{}\", subch_id = \"{}\"\n", d.arg, qemu::format_css_devid(d.dev_id),
                       qemu::format_css_devid(d.subch_id));
  return out + "lscss\n" + guest_lscss(g);
}

// lscss's default table (zconf/css/lscss.c): its heading keeps the
// trailing blanks of the CHPIDs column; "n/a" device types show 0000/00.
std::string guest_lscss(const qemu::Guest& g) {
  std::vector<const qemu::CcwDevice*> shown;
  for (auto& d : g.ccw)
    if (qemu::VirtualCss::visible(d.subch_id)) shown.push_back(&d);
  std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->subch_id < b->subch_id; });
  std::string out = "Device   Subchan.  DevType CU Type Use  PIM PAM POM  CHPIDs           \n" + std::string(70, '-') + "\n";
  for (auto* d : shown) {
    out += fmt::format("0.{:x}.{:04x} 0.{:x}.{:04x}  {:04x}/{:02x} {:04x}/{:02x} {:<4} {:02x}  {:02x}  {:02x}   ", d->dev_id.ssid,
                       d->dev_id.devid, d->subch_id.ssid, d->subch_id.devid, d->dev_type, d->dev_model, d->cu_type,
                       d->cu_model, d->online ? "yes" : "", d->pim, d->pam, d->pom);
    for (int i = 0; i < 8; ++i) out += fmt::format("{}{:02x}", i == 4 ? " " : "", d->chpids[i]);
    out += "\n";
  }
  return out;
}

}  // namespace mdevsim
