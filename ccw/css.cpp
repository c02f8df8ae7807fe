#include "ccw/css.h"

#include <algorithm>

#include <fmt/format.h>

namespace ccw {

Css::Css(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, CssConfig config)
    : m_tree(tree), m_uevents(uevents), m_klog(klog), m_config(std::move(config)) {
  auto& root = tree.root();
  auto& bus = root.get_or_add_dir("bus");
  m_css_bus = &bus.add_dir("css");
  m_css_devices = &m_css_bus->add_dir("devices");
  m_css_drivers = &m_css_bus->add_dir("drivers");
  m_css_bus->add_attrs(css_bus_attrs(), this);
  m_ccw_bus = &bus.add_dir("ccw");
  m_ccw_devices = &m_ccw_bus->add_dir("devices");
  m_ccw_bus->add_dir("drivers");
  m_css0 = &root.get_or_add_dir("devices").add_dir(fmt::format("css{:x}", m_config.cssid));
  m_css0->add_attrs(m_config.measurement ? css_root_attrs() : css_root_attrs_no_cm(), this);
  // The pseudo subchannel orphaned ccw devices move to; on no bus.
  m_css0->add_dir("defunct").add_attr(busless_uevent_attr, this);

  // chp_new() for every installed channel path.
  for (auto& c : m_config.chpids) {
    auto chp = std::make_unique<ChannelPath>(ChannelPath{this, c, fmt::format("chp{:x}.{:02x}", m_config.cssid, c.id)});
    chp->dir = &m_css0->add_dir(chp->name);
    chp->dir->add_attrs(chp_attrs(), chp.get());
    m_chps.emplace(c.id, std::move(chp));
  }
  // css_register_subchannel(): the devices; drivers bind as they register.
  for (auto& c : m_config.subchannels) {
    auto sch = std::make_unique<Subchannel>();
    sch->css = this;
    sch->cfg = c;
    sch->name = format_bus_id(c.schid);
    auto& dir = m_css0->add_dir(sch->name);
    sch->dir = &dir;
    dir.add_attrs(subchannel_attrs(), sch.get());
    if (sch->is_io()) dir.add_attrs(io_subchannel_type_attrs(), sch.get());
    dir.add_link("subsystem", m_css_bus->self());
    m_css_devices->add_link(sch->name, dir.self());
    m_uevents.send("add", devpath(*sch), "css", {}, uevent_vars(*sch));
    m_subchannels.emplace(c.schid, std::move(sch));
  }
}

Css::~Css() = default;

Subchannel* Css::subchannel(std::string_view name) const {
  for (auto& [id, s] : m_subchannels)
    if (s->name == name) return s.get();
  return nullptr;
}

ChannelPath* Css::chp(unsigned id) const {
  auto it = m_chps.find(id);
  return it == m_chps.end() ? nullptr : it->second.get();
}

CssDriver* Css::driver(std::string_view name) const {
  for (auto& d : m_drivers)
    if (d->name() == name) return d.get();
  return nullptr;
}

// dev_uevent() (DRIVER=) then css_uevent().
std::vector<std::string> Css::uevent_vars(const Subchannel& sch) const {
  std::vector<std::string> v;
  if (sch.driver) v.push_back("DRIVER=" + sch.driver->name());
  v.push_back(fmt::format("ST={:01X}", sch.cfg.type));
  v.push_back(fmt::format("MODALIAS=css:t{:01X}", sch.cfg.type));
  return v;
}

std::string ccw_modalias(const DeviceConfig& d) {
  if (d.dev_type == 0) return fmt::format("ccw:t{:04X}m{:02X}dtdm", d.cu_type, d.cu_model);
  return fmt::format("ccw:t{:04X}m{:02X}dt{:04X}dm{:02X}", d.cu_type, d.cu_model, d.dev_type, d.dev_model);
}

// ccw_uevent().
std::vector<std::string> Css::uevent_vars(const CcwDevice& cdev) const {
  const DeviceConfig& d = cdev.cfg;
  return {fmt::format("CU_TYPE={:04X}", d.cu_type), fmt::format("CU_MODEL={:02X}", d.cu_model),
          fmt::format("DEV_TYPE={:04X}", d.dev_type), fmt::format("DEV_MODEL={:02X}", d.dev_model),
          "MODALIAS=" + ccw_modalias(d)};
}

CssDriver& Css::register_driver(std::unique_ptr<CssDriver> drv) {
  CssDriver& d = *drv;
  d.css = this;
  d.dir = &m_css_drivers->add_dir(d.name());
  d.dir->add_attrs(css_driver_attrs(), &d);
  if (!d.module().empty()) {
    auto& mod = m_tree.root().get_or_add_dir("module").get_or_add_dir(d.module());
    mod.get_or_add_dir("drivers").add_link("css:" + d.name(), d.dir->self());
    d.dir->add_link("module", mod.self());
  }
  m_drivers.push_back(std::move(drv));
  // driver_attach(): at boot each subchannel goes to the driver its host
  // file names (the one the LPAR's configuration starts it on).
  for (auto& [id, s] : m_subchannels)
    if (!s->driver && s->cfg.driver == d.name() && d.matches(*s)) (void)driver_probe_device(d, *s);
  return d;
}

// ------------------------------------------------------------- binding

void Css::bus_probe_device(Subchannel& sch) {
  if (!drivers_autoprobe || sch.driver) return;
  for (auto& d : m_drivers)
    if (d->matches(sch) && driver_probe_device(*d, sch)) return;
}

// really_probe() after css_bus_match(): an override names the only driver.
Result<void> Css::driver_probe_device(CssDriver& drv, Subchannel& sch) {
  if (sch.driver) return Errno{EBUSY};
  if (!sch.driver_override.empty() && sch.driver_override != drv.name()) return Errno{ENODEV};
  sch.driver = &drv;
  drv.dir->add_link(sch.name, sch.dir->self());
  sch.dir->add_link("driver", drv.dir->self());
  auto r = drv.probe(sch);
  if (!r) {
    drv.dir->remove(sch.name);
    sch.dir->remove("driver");
    sch.driver = nullptr;
    return r;
  }
  m_uevents.send("bind", devpath(sch), "css", {}, uevent_vars(sch));
  return base::ok();
}

void Css::device_release_driver(Subchannel& sch) {
  CssDriver* drv = sch.driver;
  if (!drv) return;
  drv->dir->remove(sch.name);
  sch.dir->remove("driver");
  drv->remove(sch);
  sch.driver = nullptr;
  m_uevents.send("unbind", devpath(sch), "css", {}, uevent_vars(sch));
}

Result<void> Css::bind(CssDriver& drv, std::string_view devname) {
  Subchannel* sch = subchannel(devname);
  if (!sch || !drv.matches(*sch) || (!sch->driver_override.empty() && sch->driver_override != drv.name()))
    return Errno{ENODEV};
  if (sch->driver) return Errno{EBUSY};
  SIM_TRY_VOID(driver_probe_device(drv, *sch));
  return base::ok();
}

Result<void> Css::unbind(CssDriver& drv, std::string_view devname) {
  Subchannel* sch = subchannel(devname);
  if (!sch || sch->driver != &drv) return Errno{ENODEV};
  device_release_driver(*sch);
  return base::ok();
}

Result<void> Css::drivers_probe(std::string_view devname) {
  Subchannel* sch = subchannel(devname);
  if (!sch) return Errno{ENODEV};
  if (!sch->driver)
    for (auto& d : m_drivers)
      if (d->matches(*sch) && driver_probe_device(*d, *sch)) break;
  return base::ok();
}

// driver_set_override(): a page or more is EINVAL; up to the first newline;
// empty clears.
Result<void> Css::set_driver_override(Subchannel& sch, std::string_view buf) {
  if (buf.size() >= sysfs::PAGE_SIZE) return Errno{EINVAL};
  std::string_view v = buf.substr(0, buf.find('\n'));
  sch.driver_override = std::string(v);
  return base::ok();
}

// ------------------------------------------------------- ccw devices

void Css::ccw_device_add(Subchannel& sch) {
  if (!sch.cfg.dev || sch.cdev) return;
  auto cdev = std::make_unique<CcwDevice>(CcwDevice{&sch, *sch.cfg.dev, format_bus_id({sch.cfg.schid.ssid, sch.cfg.dev->devno})});
  auto& dir = sch.dir->add_dir(cdev->name);
  cdev->dir = &dir;
  dir.add_attrs(ccw_device_attrs(), cdev.get());
  dir.add_link("subsystem", m_ccw_bus->self());
  m_ccw_devices->add_link(cdev->name, dir.self());
  m_uevents.send("add", devpath(*cdev), "ccw", {}, uevent_vars(*cdev));
  sch.cdev = std::move(cdev);
}

void Css::ccw_device_del(Subchannel& sch) {
  if (!sch.cdev) return;
  m_ccw_devices->remove(sch.cdev->name);
  m_uevents.send("remove", devpath(*sch.cdev), "ccw", {}, uevent_vars(*sch.cdev));
  sch.dir->remove(sch.cdev->name);
  sch.cdev.reset();
}

}  // namespace ccw
