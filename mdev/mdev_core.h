// The mediated-device core (drivers/vfio/mdev): a parent registers its type;
// a UUID written to the type's `create` makes an mdev device under the
// parent, bound to the parent's mdev driver, in an emulated IOMMU group.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/klog.h"
#include "base/result.h"
#include "kvm/kvm.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace mdev {

using base::Errno;
using base::Result;

// The eventfds a VFIO user sets with VFIO_DEVICE_SET_IRQS: the driver
// signals one by its uapi index (VFIO_AP_REQ_IRQ_INDEX, VFIO_CCW_IO_IRQ_INDEX
// ...) and the user's handler runs.
using IrqSignal = std::function<void(unsigned index)>;

class MdevCore;
class MdevType;

struct MdevDevice {
  enum class State { Bound, Detaching, Unbound };
  std::string uuid;  // lower case
  MdevType* type;
  sysfs::Directory* dir = nullptr;
  int iommu_group = -1;
  State state = State::Bound;
  bool removing = false;  // remove_store() has started
  void* driver_data = nullptr;  // the mdev driver's state (struct ap_matrix_mdev)
  // While a VFIO user (a QEMU) has the device open: the KVM its group was
  // set with, and its eventfds.
  kvm::Kvm* kvm = nullptr;
  IrqSignal irq;
  void signal_irq(unsigned index) const {
    // A copy: the handler may close the device, which clears `irq`.
    if (IrqSignal handler = irq) handler(index);
  }
};

// The parent's mdev driver (struct mdev_driver with its vfio_device_ops).
class MdevDriverOps {
 public:
  virtual ~MdevDriverOps() = default;
  // Probe: the driver's state and attributes for a new device.
  virtual Result<void> probe(MdevDevice& dev) = 0;
  // The driver's attributes go before its remove runs (device_remove()).
  virtual void remove_attrs(MdevDevice& dev) = 0;
  // Remove; sysfs::WAIT_FOR_CHANGE while the VFIO device is open (the
  // kernel keeps asking the user to release it).
  virtual Result<void> remove(MdevDevice& dev) = 0;
  // vfio_device_ops open_device / close_device, with dev.kvm set.
  virtual Result<void> open_device(MdevDevice& dev) = 0;
  virtual void close_device(MdevDevice& dev) = 0;
};

class MdevType {
 public:
  const std::string& name() const { return m_name; }  // "vfio_ap-passthrough"
  const std::string& pretty_name() const { return m_pretty_name; }
  const std::string& device_api() const { return m_device_api; }
  unsigned available_instances() const { return m_available; }
  MdevCore& core() const { return *m_core; }
  MdevDriverOps* ops() const { return m_ops; }
  const std::string& driver() const { return m_driver; }  // "vfio_ap_mdev"

 private:
  friend class MdevCore;
  MdevCore* m_core;
  std::string m_name, m_pretty_name, m_device_api, m_driver, m_parent_driver, m_parent_devpath;
  unsigned m_available;
  MdevDriverOps* m_ops;
  sysfs::Directory* m_dir;          // .../mdev_supported_types/<name>
  sysfs::Directory* m_devices_dir;  // .../<name>/devices
  sysfs::Directory* m_parent_dir;   // the parent device
  sysfs::Directory* m_driver_dir;   // /sys/bus/mdev/drivers/<driver>
};

class MdevCore {
 public:
  MdevCore(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog);
  ~MdevCore();

  // mdev_register_driver() + mdev_register_parent(): the driver on the mdev
  // bus, the type directory under the parent, the /sys/class/mdev_bus link,
  // the "MDEV: Registered" log line and MDEV_STATE=registered uevent.
  MdevType& register_parent(sysfs::Directory& parent_dir, const std::string& parent_devpath,
                            const std::string& parent_driver, const std::string& sysfs_name,
                            const std::string& pretty_name, const std::string& device_api, unsigned max_instances,
                            const std::string& mdev_driver, const std::string& module, MdevDriverOps& ops,
                            const std::string& parent_subsystem, const std::vector<std::string>& parent_vars);
  // mdev_unregister_parent(): "MDEV: Unregistering", the class link, every
  // mdev of the type, the type directory, MDEV_STATE=unregistered. The
  // parent's uevent variables are those it has while still bound.
  void unregister_parent(MdevType& type, const std::string& parent_subsystem,
                         const std::vector<std::string>& parent_vars);

  // create_store(): errors in order: EINVAL (not 36 or 37 bytes, not a
  // UUID), EEXIST (that UUID exists, any case), EUSERS (no instance left).
  Result<void> create(MdevType& type, std::string_view buf);
  // remove_store() with a non-zero value; WAIT_FOR_CHANGE while open.
  Result<void> remove(MdevDevice& dev);
  // The driver directory's unbind: the device stays, driverless.
  Result<void> unbind(MdevDevice& dev);

  // The VFIO device's first open by a user with a KVM (vfio_df_open()):
  // EBUSY while another user has it (the group is open), ENODEV when the
  // mdev has no driver (no VFIO device); the driver's error otherwise.
  Result<void> open_device(MdevDevice& dev, kvm::Kvm& kvm, IrqSignal irq);
  // The user's last close: the driver lets go of the guest.
  void close_device(MdevDevice& dev);

  MdevDevice* find(std::string_view uuid) const;
  const std::map<std::string, std::unique_ptr<MdevDevice>>& devices() const { return m_devices; }
  std::string devpath(const MdevDevice& dev) const;

  sysfs::UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }

 private:
  Result<void> detach(MdevDevice& dev);
  std::vector<std::string> uevent_vars(const MdevDevice& dev) const;

  sysfs::Tree& m_tree;
  sysfs::UeventLog& m_uevents;
  base::KernelLog& m_klog;
  sysfs::Directory* m_bus;           // /sys/bus/mdev
  sysfs::Directory* m_bus_devices;   // /sys/bus/mdev/devices
  sysfs::Directory* m_iommu_groups;  // /sys/kernel/iommu_groups
  std::set<int> m_groups_in_use;     // ida of iommu group ids
  std::vector<std::unique_ptr<MdevType>> m_types;
  std::map<std::string, std::unique_ptr<MdevDevice>> m_devices;  // by uuid
};

}  // namespace mdev
