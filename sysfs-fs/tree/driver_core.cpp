#include "sysfs-fs/tree/driver_core.h"

#include <fmt/format.h>

#include "base/kstrto.h"

namespace sysfs {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

Show drivers_autoprobe_show(Bus& bus) { return fmt::format("{}\n", bus.drivers_autoprobe ? 1 : 0); }
Store drivers_autoprobe_store(Bus& bus, std::string_view buf) {
  bus.drivers_autoprobe = buf[0] != '0';
  return buf.size();
}
Store drivers_probe_store(Bus& bus, std::string_view buf) {
  SIM_TRY_VOID(bus.drivers_probe(base::streq_name(buf)));
  return buf.size();
}
Store bus_uevent_store(Bus& bus, std::string_view buf) {
  SIM_TRY_VOID(bus.uevents().synth(buf, "/bus/" + bus.name(), "bus", {}));
  return buf.size();
}
const AttrOps bus_attrs[] = {
    SYSFS_ATTR_RW(Bus, drivers_autoprobe),
    SYSFS_ATTR_WO(Bus, drivers_probe),
    AttrOps{"uevent", 0200, nullptr, store_thunk<Bus, bus_uevent_store>},
};

Store bind_store(BusDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.on_bus->bind(drv, base::streq_name(buf)));
  return buf.size();
}
Store unbind_store(BusDriver& drv, std::string_view buf) {
  SIM_TRY_VOID(drv.on_bus->unbind(drv, base::streq_name(buf)));
  return buf.size();
}
Store driver_uevent_store(BusDriver& drv, std::string_view buf) {
  Bus& bus = *drv.on_bus;
  SIM_TRY_VOID(bus.uevents().synth(buf, "/bus/" + bus.name() + "/drivers/" + drv.name(), "drivers", {}));
  return buf.size();
}
const AttrOps driver_attrs[] = {
    SYSFS_ATTR_WO(BusDriver, bind),
    SYSFS_ATTR_WO(BusDriver, unbind),
    AttrOps{"uevent", 0200, nullptr, store_thunk<BusDriver, driver_uevent_store>},
};

Show device_uevent_show(BusDevice& dev) {
  std::string s;
  for (auto& v : dev.on_bus->uevent_vars(dev)) s += v + "\n";
  return s;
}
// uevent_store() + kobject_synth_uevent(), with the driver core's line.
Store device_uevent_store(BusDevice& dev, std::string_view buf) {
  Bus& bus = *dev.on_bus;
  auto r = bus.uevents().synth(buf, bus.ops().devpath(dev), bus.name(), bus.uevent_vars(dev));
  if (!r) {
    bus.klog().log(base::LogLevel::ERR, fmt::format("{} {}: uevent: failed to send synthetic uevent: -{}",
                                                    dev.driver ? dev.driver->name() : bus.name(), dev.name, r.error().code));
    return r.error();
  }
  return buf.size();
}
const AttrOps device_uevent_attr = {"uevent", 0644, show_thunk<BusDevice, device_uevent_show>,
                                    store_thunk<BusDevice, device_uevent_store>};

}  // namespace

Bus::Bus(Tree& tree, UeventLog& uevents, base::KernelLog& klog, std::string name, BusOps& ops)
    : m_tree(tree), m_uevents(uevents), m_klog(klog), m_name(std::move(name)), m_ops(ops) {
  m_dir = &tree.root().get_or_add_dir("bus").add_dir(m_name);
  m_devices = &m_dir->add_dir("devices");
  m_drivers = &m_dir->add_dir("drivers");
  m_dir->add_attrs(bus_attrs, this);
}

void Bus::add_driver(BusDriver& drv, const std::string& module) {
  drv.on_bus = this;
  drv.dir = &m_drivers->add_dir(drv.name());
  drv.dir->add_attrs(driver_attrs, &drv);
  if (!module.empty()) {
    auto& mod = m_tree.root().get_or_add_dir("module").get_or_add_dir(module);
    mod.get_or_add_dir("drivers").add_link(m_name + ":" + drv.name(), drv.dir->self());
    drv.dir->add_link("module", mod.self());
  }
  drivers.push_back(&drv);
}

void Bus::device_add(BusDevice& dev, Directory& parent, std::span<const AttrOps> attrs, void* obj) {
  dev.on_bus = this;
  auto& dir = parent.add_dir(dev.name);
  dev.dir = &dir;
  dir.add_attr(device_uevent_attr, &dev);
  dir.add_attrs(attrs, obj);
  dir.add_link("subsystem", m_dir->self());
  m_devices->add_link(dev.name, dir.self());
  send_uevent(dev, "add");
}

void Bus::device_del(BusDevice& dev) {
  device_release_driver(dev);
  m_devices->remove(dev.name);
  send_uevent(dev, "remove");
  dev.dir->parent()->remove(dev.name);
  dev.dir = nullptr;
}

std::vector<std::string> Bus::uevent_vars(const BusDevice& dev) const {
  std::vector<std::string> v;
  if (std::string t = m_ops.devtype(dev); !t.empty()) v.push_back("DEVTYPE=" + t);
  if (dev.driver) v.push_back("DRIVER=" + dev.driver->name());
  for (auto& x : m_ops.bus_uevent_vars(dev)) v.push_back(std::move(x));
  return v;
}

void Bus::send_uevent(const BusDevice& dev, std::string_view action, std::vector<std::string> extra) {
  m_uevents.send(action, m_ops.devpath(dev), m_name, std::move(extra), uevent_vars(dev));
}

Result<void> Bus::driver_probe_device(BusDriver& drv, BusDevice& dev) {
  if (dev.driver) return Errno{EBUSY};
  dev.driver = &drv;
  drv.dir->add_link(dev.name, dev.dir->self());
  dev.dir->add_link("driver", drv.dir->self());
  auto r = m_ops.probe(drv, dev);
  if (!r) {
    drv.dir->remove(dev.name);
    dev.dir->remove("driver");
    dev.driver = nullptr;
    // call_driver_probe(): ENODEV and ENXIO are only debug messages.
    if (r.error().code != ENODEV && r.error().code != ENXIO)
      m_klog.log(base::LogLevel::ERR, fmt::format("{} {}: probe with driver {} failed with error -{}", drv.name(), dev.name,
                                                  drv.name(), r.error().code));
    return r;
  }
  send_uevent(dev, "bind");
  return base::ok();
}

void Bus::device_release_driver(BusDevice& dev) {
  BusDriver* drv = dev.driver;
  if (!drv) return;
  drv->dir->remove(dev.name);
  dev.dir->remove("driver");
  m_ops.remove(*drv, dev);
  dev.driver = nullptr;
  send_uevent(dev, "unbind");
}

void Bus::device_attach(BusDevice& dev, std::span<BusDriver* const> candidates) {
  if (dev.driver) return;
  for (BusDriver* d : candidates)
    if (m_ops.match(dev, *d) && driver_probe_device(*d, dev)) return;
}

Result<void> Bus::bind(BusDriver& drv, std::string_view devname) {
  BusDevice* dev = m_ops.find_device(devname);
  if (!dev || !m_ops.match(*dev, drv)) return Errno{ENODEV};
  return driver_probe_device(drv, *dev);
}

Result<void> Bus::unbind(BusDriver& drv, std::string_view devname) {
  BusDevice* dev = m_ops.find_device(devname);
  if (!dev || dev->driver != &drv) return Errno{ENODEV};
  device_release_driver(*dev);
  return base::ok();
}

Result<void> Bus::drivers_probe(std::string_view devname) {
  BusDevice* dev = m_ops.find_device(devname);
  if (!dev) return Errno{ENODEV};
  device_attach(*dev, drivers);
  return base::ok();
}

}  // namespace sysfs
