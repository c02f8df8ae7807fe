#include "mdev/vfio_ap_drv.h"

#include "apbus/ap_bus.h"
#include "sysfs-fs/tree/node.h"

namespace vfio_ap {
namespace {

using ap::ApDevice;
using ap::ApQueue;

// Kernel: status_show(): "in use" when assigned to an mdev whose guest has
// it, "assigned" when only assigned, else "unassigned". No mediated device
// can be assigned a queue until the matrix device exists.
base::Result<std::string> status_show(ApQueue&) { return std::string("unassigned\n"); }

const sysfs::AttrOps status_attrs[] = {SYSFS_ATTR_RO(ApQueue, status)};

class VfioApDriver final : public ap::ApDriver {
 public:
  VfioApDriver() : ApDriver("vfio_ap", "vfio_ap", 0, false) {}
  // vfio_ap_mdev_probe_queue(): the `status` group.
  base::Result<void> probe(ApDevice& dev) override {
    dev.dir->add_attrs(status_attrs, &dev);
    return base::ok();
  }
  // vfio_ap_mdev_remove_queue().
  void remove(ApDevice& dev) override { dev.dir->remove_attrs(status_attrs); }
};

}  // namespace

std::unique_ptr<ap::ApDriver> make_vfio_ap_driver() { return std::make_unique<VfioApDriver>(); }

}  // namespace vfio_ap
