#include "mdev/mdev_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/kstrto.h"

namespace mdev {
namespace {

using Show = Result<std::string>;
using Store = Result<size_t>;

// lib/uuid.c uuid_is_valid(): hex digits of either case, '-' at 8/13/18/23.
bool uuid_is_valid(std::string_view s) {
  if (s.size() < 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// ------------------------------------------------------ type directory

Show name_show(MdevType& t) { return t.pretty_name() + "\n"; }
Show device_api_show(MdevType& t) { return t.device_api() + "\n"; }
Show available_instances_show(MdevType& t) { return fmt::format("{}\n", t.available_instances()); }
Store create_store(MdevType& t, std::string_view buf) {
  SIM_TRY_VOID(t.core().create(t, buf));
  return buf.size();
}

const sysfs::AttrOps type_attrs[] = {
    SYSFS_ATTR_RO(MdevType, name),
    SYSFS_ATTR_RO(MdevType, device_api),
    SYSFS_ATTR_RO(MdevType, available_instances),
    SYSFS_ATTR_WO(MdevType, create),
};

// ------------------------------------------------------ mdev device

// Errors: EINVAL (any kstrtoul failure). 0 does nothing.
Store remove_store(MdevDevice& dev, std::string_view buf) {
  auto v = base::kstrtoul(buf);
  if (!v) return Errno{EINVAL};
  if (*v) SIM_TRY_VOID(dev.type->core().remove(dev));
  return buf.size();
}

// No bus uevent and no device type: only DRIVER while bound.
Show uevent_show(MdevDevice& dev) {
  return dev.state == MdevDevice::State::Bound ? "DRIVER=" + dev.type->driver() + "\n" : std::string();
}
Store uevent_store(MdevDevice& dev, std::string_view buf) {
  auto& core = dev.type->core();
  std::vector<std::string> vars;
  if (dev.state == MdevDevice::State::Bound) vars.push_back("DRIVER=" + dev.type->driver());
  SIM_TRY_VOID(core.uevents().synth(buf, core.devpath(dev), "mdev", vars));
  return buf.size();
}

const sysfs::AttrOps uevent_attr = SYSFS_ATTR_RW(MdevDevice, uevent);
const sysfs::AttrOps remove_attr = SYSFS_ATTR_WO(MdevDevice, remove);

// -------------------------------------------------------- iommu group

// An emulated group has no default domain and no reserved regions.
Show type_show(int&) { return std::string("unknown\n"); }
Show reserved_regions_show(int&) { return std::string(); }
Show name_show_group(int&) { return std::string("vfio-noiommu\n"); }
const sysfs::AttrOps group_attrs[] = {
    sysfs::AttrOps{"name", 0444, sysfs::show_thunk<int, name_show_group>, nullptr},
    SYSFS_ATTR_RO(int, reserved_regions),
    sysfs::AttrOps{"type", 0644, sysfs::show_thunk<int, type_show>, nullptr},
};

// ------------------------------------------------ driver and bus files

// mdev_match() never matches: bind always fails.
Store bind_store(MdevType&, std::string_view) { return Errno{ENODEV}; }
Store unbind_store(MdevType& t, std::string_view buf) {
  MdevDevice* dev = t.core().find(base::streq_name(buf));
  if (!dev || dev->type->driver() != t.driver() || dev->state == MdevDevice::State::Unbound) return Errno{ENODEV};
  SIM_TRY_VOID(t.core().unbind(*dev));
  return buf.size();
}
const sysfs::AttrOps driver_attrs[] = {SYSFS_ATTR_WO(MdevType, bind), SYSFS_ATTR_WO(MdevType, unbind)};

Show drivers_autoprobe_show(MdevCore&) { return std::string("1\n"); }
Store drivers_autoprobe_store(MdevCore&, std::string_view buf) { return buf.size(); }
// Nothing matches mdevs automatically; an unknown name is ENODEV.
Store drivers_probe_store(MdevCore& core, std::string_view buf) {
  if (!core.find(base::streq_name(buf))) return Errno{ENODEV};
  return buf.size();
}
const sysfs::AttrOps bus_attrs[] = {SYSFS_ATTR_RW(MdevCore, drivers_autoprobe), SYSFS_ATTR_WO(MdevCore, drivers_probe)};

}  // namespace

MdevCore::MdevCore(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog)
    : m_tree(tree), m_uevents(uevents), m_klog(klog) {
  m_bus = &tree.root().get_or_add_dir("bus").add_dir("mdev");
  m_bus_devices = &m_bus->add_dir("devices");
  m_bus->add_dir("drivers");
  m_bus->add_attrs(bus_attrs, this);
  m_iommu_groups = &tree.root().get_or_add_dir("kernel").add_dir("iommu_groups");
  tree.root().get_or_add_dir("class").add_dir("mdev_bus");
}

MdevCore::~MdevCore() = default;

MdevType& MdevCore::register_parent(sysfs::Directory& parent_dir, const std::string& parent_devpath,
                                    const std::string& parent_driver, const std::string& sysfs_name,
                                    const std::string& pretty_name, const std::string& device_api,
                                    unsigned max_instances, const std::string& mdev_driver, const std::string& module,
                                    MdevDriverOps& ops, const std::string& parent_subsystem,
                                    const std::vector<std::string>& parent_vars) {
  auto t = std::make_unique<MdevType>();
  t->m_core = this;
  t->m_name = parent_driver + "-" + sysfs_name;
  t->m_pretty_name = pretty_name;
  t->m_device_api = device_api;
  t->m_driver = mdev_driver;
  t->m_parent_devpath = parent_devpath;
  t->m_parent_driver = parent_driver;
  t->m_available = max_instances;
  t->m_ops = &ops;
  t->m_parent_dir = &parent_dir;
  // mdev_register_driver() at the driver's first parent: the driver
  // directory and its module links.
  auto& drivers = *m_bus->find_dir("drivers");
  sysfs::Directory* drv = drivers.find_dir(mdev_driver);
  if (!drv) {
    drv = &drivers.add_dir(mdev_driver);
    drv->add_attrs(driver_attrs, t.get());
    auto& mod = m_tree.root().get_or_add_dir("module").get_or_add_dir(module);
    mod.get_or_add_dir("drivers").add_link("mdev:" + mdev_driver, drv->self());
    drv->add_link("module", mod.self());
  }
  t->m_driver_dir = drv;
  // mdev_register_parent()
  t->m_dir = &parent_dir.get_or_add_dir("mdev_supported_types").add_dir(t->m_name);
  t->m_dir->add_attrs(type_attrs, t.get());
  t->m_devices_dir = &t->m_dir->add_dir("devices");
  m_tree.root().find_dir("class")->find_dir("mdev_bus")->add_link(std::string(parent_dir.name()), parent_dir.self());
  m_klog.log(base::LogLevel::INFO, fmt::format("{} {}: MDEV: Registered", parent_driver, parent_dir.name()));
  m_uevents.send("change", parent_devpath, parent_subsystem, {"MDEV_STATE=registered"}, parent_vars);
  m_types.push_back(std::move(t));
  return *m_types.back();
}

void MdevCore::unregister_parent(MdevType& type, const std::string& parent_subsystem,
                                 const std::vector<std::string>& parent_vars) {
  sysfs::Directory& parent = *type.m_parent_dir;
  m_klog.log(base::LogLevel::INFO, fmt::format("{} {}: MDEV: Unregistering", type.m_parent_driver, parent.name()));
  m_tree.root().find_dir("class")->find_dir("mdev_bus")->remove(parent.name());
  // mdev_device_remove() of every child; an open one is asked to let go,
  // and QEMU unplugs a vfio-ccw device when asked.
  std::vector<MdevDevice*> children;
  for (auto& [uuid, dev] : m_devices)
    if (dev->type == &type) children.push_back(dev.get());
  for (MdevDevice* dev : children) (void)remove(*dev);
  parent.remove("mdev_supported_types");
  m_uevents.send("change", type.m_parent_devpath, parent_subsystem, {"MDEV_STATE=unregistered"}, parent_vars);
  std::erase_if(m_types, [&](auto& t) { return t.get() == &type; });
}

std::string MdevCore::devpath(const MdevDevice& dev) const { return dev.type->m_parent_devpath + "/" + dev.uuid; }

std::vector<std::string> MdevCore::uevent_vars(const MdevDevice& dev) const {
  if (dev.state != MdevDevice::State::Bound) return {};
  return {"DRIVER=" + dev.type->m_driver};
}

MdevDevice* MdevCore::find(std::string_view uuid) const {
  auto it = m_devices.find(lower(uuid));
  return it == m_devices.end() ? nullptr : it->second.get();
}

Result<void> MdevCore::create(MdevType& type, std::string_view buf) {
  if (buf.size() < 36 || buf.size() > 37 || !uuid_is_valid(buf)) return Errno{EINVAL};
  std::string uuid = lower(buf.substr(0, 36));
  if (m_devices.count(uuid)) return Errno{EEXIST};
  if (type.m_available == 0) return Errno{EUSERS};
  --type.m_available;

  auto owned = std::make_unique<MdevDevice>();
  MdevDevice& dev = *owned;
  dev.uuid = uuid;
  dev.type = &type;
  m_devices.emplace(uuid, std::move(owned));
  // device_add(): the directory, uevent and remove, the bus links, ADD.
  auto& dir = type.m_parent_dir->add_dir(uuid);
  dev.dir = &dir;
  dev.state = MdevDevice::State::Unbound;
  dir.add_attr(uevent_attr, &dev);
  dir.add_attr(remove_attr, &dev);
  dir.add_link("subsystem", m_bus->self());
  m_bus_devices->add_link(uuid, dir.self());
  m_uevents.send("add", devpath(dev), "mdev", {}, {});

  // device_driver_attach(): links, then the probe, which registers the
  // VFIO device in an emulated IOMMU group of its own (the lowest free id).
  dev.state = MdevDevice::State::Bound;
  type.m_driver_dir->add_link(uuid, dir.self());
  dir.add_link("driver", type.m_driver_dir->self());
  int group = 0;
  while (m_groups_in_use.count(group)) ++group;
  m_groups_in_use.insert(group);
  dev.iommu_group = group;
  auto& gdir = m_iommu_groups->add_dir(std::to_string(group));
  gdir.add_attrs(group_attrs, &dev.iommu_group);
  gdir.add_dir("devices").add_link(uuid, dir.self());
  dir.add_link("iommu_group", gdir.self());
  m_klog.log(base::LogLevel::INFO, fmt::format("{} {}: Adding to iommu group {}", type.m_driver, uuid, group));
  SIM_TRY_VOID(type.m_ops->probe(dev));
  m_uevents.send("bind", devpath(dev), "mdev", {}, uevent_vars(dev));
  // mdev_create_sysfs_files()
  type.m_devices_dir->add_link(uuid, dir.self());
  dir.add_link("mdev_type", type.m_dir->self());
  return base::ok();
}

// __device_release_driver(): links, the driver's attributes, then its
// remove, which may have to wait for the VFIO device to be released; then
// the IOMMU group goes and the UNBIND event follows.
Result<void> MdevCore::detach(MdevDevice& dev) {
  MdevType& type = *dev.type;
  if (dev.state == MdevDevice::State::Bound) {
    dev.state = MdevDevice::State::Detaching;
    type.m_driver_dir->remove(dev.uuid);
    dev.dir->remove("driver");
    type.m_ops->remove_attrs(dev);
  }
  SIM_TRY_VOID(type.m_ops->remove(dev));
  m_klog.log(base::LogLevel::INFO, fmt::format("{} {}: Removing from iommu group {}", type.m_driver, dev.uuid, dev.iommu_group));
  dev.dir->remove("iommu_group");
  m_iommu_groups->remove(std::to_string(dev.iommu_group));
  m_groups_in_use.erase(dev.iommu_group);
  dev.state = MdevDevice::State::Unbound;
  m_uevents.send("unbind", devpath(dev), "mdev", {}, {});
  return base::ok();
}

Result<void> MdevCore::unbind(MdevDevice& dev) { return detach(dev); }

Result<void> MdevCore::open_device(MdevDevice& dev, kvm::Kvm& kvm, IrqSignal irq) {
  if (dev.state != MdevDevice::State::Bound) return Errno{ENODEV};
  if (dev.kvm) return Errno{EBUSY};
  dev.kvm = &kvm;
  dev.irq = std::move(irq);
  Result<void> r = dev.type->m_ops->open_device(dev);
  if (!r) {
    dev.kvm = nullptr;
    dev.irq = nullptr;
  }
  return r;
}

void MdevCore::close_device(MdevDevice& dev) {
  if (!dev.kvm) return;
  dev.type->m_ops->close_device(dev);
  dev.kvm = nullptr;
  dev.irq = nullptr;
}

Result<void> MdevCore::remove(MdevDevice& dev) {
  MdevType& type = *dev.type;
  if (!dev.removing) {
    // device_remove_file_self(), mdev_remove_sysfs_files(), device_del().
    dev.removing = true;
    dev.dir->remove("remove");
    dev.dir->remove("mdev_type");
    type.m_devices_dir->remove(dev.uuid);
    dev.dir->remove("uevent");
    dev.dir->remove("subsystem");
    m_bus_devices->remove(dev.uuid);
  }
  if (dev.state != MdevDevice::State::Unbound) SIM_TRY_VOID(detach(dev));
  std::string uuid = dev.uuid;
  m_uevents.send("remove", devpath(dev), "mdev", {}, {});
  type.m_parent_dir->remove(uuid);
  ++type.m_available;  // mdev_device_release()
  m_devices.erase(uuid);
  return base::ok();
}

}  // namespace mdev
