// The driver core's binding (drivers/base/bus.c, dd.c, core.c) for any bus:
// /sys/bus/<name> with devices/, drivers/, drivers_autoprobe, drivers_probe
// and uevent; per driver bind, unbind, uevent and the module links; per
// device the uevent file, the subsystem and driver links and the ADD, BIND,
// UNBIND and REMOVE events. The bus decides what matches, what a probe and
// a remove do, and its devices' paths and uevent variables (BusOps).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/klog.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace sysfs {

class Bus;

// The driver core's part of struct device_driver.
class BusDriver {
 public:
  virtual ~BusDriver() = default;
  virtual const std::string& name() const = 0;
  Directory* dir = nullptr;  // /sys/bus/<bus>/drivers/<name>
  Bus* on_bus = nullptr;
};

// The driver core's part of struct device.
struct BusDevice {
  std::string name;
  Directory* dir = nullptr;
  BusDriver* driver = nullptr;
  Bus* on_bus = nullptr;
};

// struct bus_type's callbacks.
class BusOps {
 public:
  virtual ~BusOps() = default;
  virtual BusDevice* find_device(std::string_view name) const = 0;
  // bus->match(), e.g. by id table and driver_override.
  virtual bool match(const BusDevice& dev, const BusDriver& drv) const = 0;
  // bus->probe() / bus->remove(), with dev.driver already set.
  virtual Result<void> probe(BusDriver& drv, BusDevice& dev) = 0;
  virtual void remove(BusDriver& drv, BusDevice& dev) = 0;
  virtual std::string devpath(const BusDevice& dev) const = 0;
  // The device type's name (DEVTYPE=), "" for none.
  virtual std::string devtype(const BusDevice&) const { return ""; }
  // bus->uevent(): what follows DRIVER=.
  virtual std::vector<std::string> bus_uevent_vars(const BusDevice& dev) const = 0;
};

class Bus {
 public:
  Bus(Tree& tree, UeventLog& uevents, base::KernelLog& klog, std::string name, BusOps& ops);
  const std::string& name() const { return m_name; }
  Directory& dir() const { return *m_dir; }
  UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }
  BusOps& ops() const { return m_ops; }

  // bus_add_driver() without driver_attach(): the directory and files, and
  // the module links ("" for a built-in driver).
  void add_driver(BusDriver& drv, const std::string& module);
  // device_add(): directory under `parent`, uevent file, `attrs` (for
  // `obj`, the bus's own device object), subsystem link, bus link, ADD.
  void device_add(BusDevice& dev, Directory& parent, std::span<const AttrOps> attrs, void* obj);
  // device_del(): the driver released, the bus link, REMOVE, the directory.
  void device_del(BusDevice& dev);

  // dev_uevent() (DEVTYPE=, DRIVER=) and the bus's variables.
  std::vector<std::string> uevent_vars(const BusDevice& dev) const;
  void send_uevent(const BusDevice& dev, std::string_view action, std::vector<std::string> extra = {});

  // really_probe(): EBUSY if bound; the links, then the bus's probe (a
  // failure other than ENODEV/ENXIO is logged), then BIND.
  Result<void> driver_probe_device(BusDriver& drv, BusDevice& dev);
  // __device_release_driver(): the links, the bus's remove, UNBIND.
  void device_release_driver(BusDevice& dev);
  // device_attach(): the first driver in `drivers` that matches and probes.
  void device_attach(BusDevice& dev, std::span<BusDriver* const> drivers);
  // The attributes' stores. bind: ENODEV unless the device exists and
  // matches, then driver_probe_device()'s errors. unbind: ENODEV unless it
  // is bound to `drv`. drivers_probe: ENODEV for no such device only.
  Result<void> bind(BusDriver& drv, std::string_view devname);
  Result<void> unbind(BusDriver& drv, std::string_view devname);
  Result<void> drivers_probe(std::string_view devname);

  bool drivers_autoprobe = true;
  // Registration order, for device_attach() and drivers_probe.
  std::vector<BusDriver*> drivers;

 private:
  Tree& m_tree;
  UeventLog& m_uevents;
  base::KernelLog& m_klog;
  std::string m_name;
  BusOps& m_ops;
  Directory* m_dir;
  Directory* m_devices;
  Directory* m_drivers;
};

}  // namespace sysfs
