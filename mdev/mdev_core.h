// The mediated-device core (drivers/vfio/mdev): parents register types; a
// UUID written to a type's `create` makes an mdev device under the parent,
// bound to the parent's mdev driver, in its own (emulated) IOMMU group.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/klog.h"
#include "base/result.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace mdev {

using base::Errno;
using base::Result;

class MdevCore;
class MdevType;

struct MdevDevice {
  std::string uuid;  // lower case
  MdevType* type;
  sysfs::Directory* dir = nullptr;
  int iommu_group = -1;
  void* driver_data = nullptr;  // the parent driver's state (struct ap_matrix_mdev)
};

// What the parent's mdev driver does for its devices.
class MdevDriverOps {
 public:
  virtual ~MdevDriverOps() = default;
  // Probe: the driver's attributes and state for a new device.
  virtual Result<void> probe(MdevDevice& dev) = 0;
  // Remove; sysfs::WAIT_FOR_CHANGE while the device is open.
  virtual Result<void> remove(MdevDevice& dev) = 0;
};

class MdevType {
 public:
  const std::string& name() const { return m_name; }  // "vfio_ap-passthrough"
  const std::string& pretty_name() const { return m_pretty_name; }
  const std::string& device_api() const { return m_device_api; }
  unsigned available_instances() const { return m_available; }
  MdevCore& core() const { return *m_core; }
  MdevDriverOps* ops() const { return m_ops; }
  const std::string& parent_name() const { return m_parent_name; }

 private:
  friend class MdevCore;
  MdevCore* m_core;
  std::string m_name, m_sysfs_name, m_pretty_name, m_device_api, m_parent_name;
  unsigned m_available;
  MdevDriverOps* m_ops;
  sysfs::Directory* m_dir;          // .../mdev_supported_types/<name>
  sysfs::Directory* m_devices_dir;  // .../<name>/devices
  sysfs::Directory* m_parent_dir;   // the parent device
};

class MdevCore {
 public:
  MdevCore(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog);
  ~MdevCore();

  // mdev_register_parent(): the type directory under `parent_dir`, the
  // /sys/class/mdev_bus link, and the mdev driver `driver_name` on the bus.
  MdevType& register_parent(sysfs::Directory& parent_dir, const std::string& parent_devpath, const std::string& driver,
                            const std::string& sysfs_name, const std::string& pretty_name,
                            const std::string& device_api, unsigned max_instances, const std::string& mdev_driver,
                            MdevDriverOps& ops);

  // create_store(): errors in order: EINVAL (not 36/37 bytes, not a UUID),
  // EEXIST (a device with that UUID exists), EUSERS (no instances left).
  Result<void> create(MdevType& type, std::string_view buf);
  // remove_store() with a non-zero value.
  Result<void> remove(MdevDevice& dev);

  MdevDevice* find(std::string_view uuid) const;
  const std::map<std::string, std::unique_ptr<MdevDevice>>& devices() const { return m_devices; }
  std::string devpath(const MdevDevice& dev) const;

  sysfs::UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }

 private:
  sysfs::Tree& m_tree;
  sysfs::UeventLog& m_uevents;
  base::KernelLog& m_klog;
  sysfs::Directory* m_bus_devices;  // /sys/bus/mdev/devices
  sysfs::Directory* m_bus_drivers;  // /sys/bus/mdev/drivers
  sysfs::Directory* m_iommu_groups; // /sys/kernel/iommu_groups
  int m_next_group = 0;
  std::vector<std::unique_ptr<MdevType>> m_types;
  std::map<std::string, std::unique_ptr<MdevDevice>> m_devices;  // by uuid
  std::map<const MdevType*, std::string> m_parent_devpath;
};

}  // namespace mdev
