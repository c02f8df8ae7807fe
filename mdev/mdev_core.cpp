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

// Kernel: mdev_sysfs.c remove_store(): kstrtoul; 0 does nothing.
Store remove_store(MdevDevice& dev, std::string_view buf) {
  uint64_t v = SIM_TRY(base::kstrtoul(buf));
  if (v) SIM_TRY_VOID(dev.type->core().remove(dev));
  return buf.size();
}

std::vector<std::string> mdev_uevent_vars(const MdevDevice& dev, const std::string& driver) {
  std::vector<std::string> v;
  if (!driver.empty()) v.push_back("DRIVER=" + driver);
  v.push_back("MDEV_TYPE=" + dev.type->name());
  return v;
}

Show uevent_show(MdevDevice& dev) {
  std::string s;
  for (auto& v : mdev_uevent_vars(dev, dev.dir && dev.dir->find("driver") ? "vfio_ap_mdev" : "")) s += v + "\n";
  return s;
}
Store uevent_store(MdevDevice& dev, std::string_view buf) {
  auto ev = SIM_TRY(sysfs::parse_synth_uevent(buf));
  auto& core = dev.type->core();
  core.uevents().send(ev.action, core.devpath(dev), "mdev", ev.env, mdev_uevent_vars(dev, "vfio_ap_mdev"));
  return buf.size();
}

const sysfs::AttrOps device_attrs[] = {
    SYSFS_ATTR_RW(MdevDevice, uevent),
    SYSFS_ATTR_WO(MdevDevice, remove),
};

}  // namespace

MdevCore::MdevCore(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog)
    : m_tree(tree), m_uevents(uevents), m_klog(klog) {
  auto& bus = tree.root().get_or_add_dir("bus").add_dir("mdev");
  m_bus_devices = &bus.add_dir("devices");
  m_bus_drivers = &bus.add_dir("drivers");
  m_iommu_groups = &tree.root().get_or_add_dir("kernel").add_dir("iommu_groups");
  tree.root().get_or_add_dir("class").add_dir("mdev_bus");
}

MdevCore::~MdevCore() = default;

MdevType& MdevCore::register_parent(sysfs::Directory& parent_dir, const std::string& parent_devpath,
                                    const std::string& driver, const std::string& sysfs_name,
                                    const std::string& pretty_name, const std::string& device_api,
                                    unsigned max_instances, const std::string& mdev_driver, MdevDriverOps& ops) {
  auto t = std::make_unique<MdevType>();
  t->m_core = this;
  t->m_name = driver + "-" + sysfs_name;
  t->m_sysfs_name = sysfs_name;
  t->m_pretty_name = pretty_name;
  t->m_device_api = device_api;
  t->m_parent_name = std::string(parent_dir.name());
  t->m_available = max_instances;
  t->m_ops = &ops;
  t->m_parent_dir = &parent_dir;
  t->m_dir = &parent_dir.get_or_add_dir("mdev_supported_types").add_dir(t->m_name);
  t->m_dir->add_attrs(type_attrs, t.get());
  t->m_devices_dir = &t->m_dir->add_dir("devices");
  m_tree.root().find_dir("class")->find_dir("mdev_bus")->add_link(t->m_parent_name, parent_dir.self());
  if (!m_bus_drivers->find(mdev_driver)) m_bus_drivers->add_dir(mdev_driver);
  m_parent_devpath[t.get()] = parent_devpath;
  m_types.push_back(std::move(t));
  return *m_types.back();
}

std::string MdevCore::devpath(const MdevDevice& dev) const { return m_parent_devpath.at(dev.type) + "/" + dev.uuid; }

MdevDevice* MdevCore::find(std::string_view uuid) const {
  std::string key(uuid);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = m_devices.find(key);
  return it == m_devices.end() ? nullptr : it->second.get();
}

Result<void> MdevCore::create(MdevType& type, std::string_view buf) {
  if (buf.size() != 36 && buf.size() != 37) return Errno{EINVAL};
  if (!uuid_is_valid(buf)) return Errno{EINVAL};
  std::string uuid(buf.substr(0, 36));
  std::transform(uuid.begin(), uuid.end(), uuid.begin(), [](unsigned char c) { return std::tolower(c); });
  if (m_devices.count(uuid)) return Errno{EEXIST};
  if (type.m_available == 0) return Errno{EUSERS};

  auto dev = std::make_unique<MdevDevice>();
  dev->uuid = uuid;
  dev->type = &type;
  auto& dir = type.m_parent_dir->add_dir(uuid);
  dev->dir = &dir;
  dir.add_attrs(device_attrs, dev.get());
  dir.add_link("subsystem", m_bus_devices->parent()->self());
  dir.add_link("mdev_type", type.m_dir->self());
  m_bus_devices->add_link(uuid, dir.self());
  type.m_devices_dir->add_link(uuid, dir.self());
  // vfio_register_emulated_iommu_dev(): a group of its own.
  dev->iommu_group = m_next_group++;
  auto& group = m_iommu_groups->add_dir(std::to_string(dev->iommu_group));
  group.add_dir("devices").add_link(uuid, dir.self());
  dir.add_link("iommu_group", group.self());
  m_uevents.send("add", devpath(*dev), "mdev", {}, mdev_uevent_vars(*dev, ""));

  // Bind to the parent's mdev driver.
  auto* drv = m_bus_drivers->find_dir("vfio_ap_mdev");
  drv->add_link(uuid, dir.self());
  dir.add_link("driver", drv->self());
  MdevDevice& ref = *dev;
  m_devices.emplace(uuid, std::move(dev));
  auto r = type.m_ops->probe(ref);
  if (!r) {
    drv->remove(uuid);
    dir.remove("driver");
    return r;
  }
  --type.m_available;
  m_uevents.send("bind", devpath(ref), "mdev", {}, mdev_uevent_vars(ref, "vfio_ap_mdev"));
  return base::ok();
}

Result<void> MdevCore::remove(MdevDevice& dev) {
  MdevType& type = *dev.type;
  SIM_TRY_VOID(type.m_ops->remove(dev));
  std::string uuid = dev.uuid;
  std::string path = devpath(dev);
  m_bus_drivers->find_dir("vfio_ap_mdev")->remove(uuid);
  dev.dir->remove("driver");
  m_uevents.send("unbind", path, "mdev", {}, mdev_uevent_vars(dev, ""));
  m_iommu_groups->remove(std::to_string(dev.iommu_group));
  type.m_devices_dir->remove(uuid);
  m_bus_devices->remove(uuid);
  m_uevents.send("remove", path, "mdev", {}, mdev_uevent_vars(dev, ""));
  type.m_parent_dir->remove(uuid);
  ++type.m_available;
  m_devices.erase(uuid);
  return base::ok();
}

}  // namespace mdev
