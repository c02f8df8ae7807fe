#include "mdev/vfio_ap_drv.h"

#include "apbus/ap_bus.h"
#include "mdev/matrix_dev.h"
#include "sysfs-fs/tree/node.h"

namespace vfio_ap {
namespace {

using ap::ApDevice;
using ap::ApQueue;

class VfioApDriver final : public ap::ApDriver {
 public:
  explicit VfioApDriver(MatrixDev& matrix) : ApDriver("vfio_ap", "vfio_ap", 0, false), m_matrix(matrix) {}

  // vfio_ap_mdev_probe_queue(): the `status` group, then link and hot plug.
  base::Result<void> probe(ApDevice& dev) override {
    dev.dir->add_attrs(status_attrs, &dev);
    m_matrix.probe_queue(static_cast<ApQueue&>(dev));
    return base::ok();
  }
  // vfio_ap_mdev_remove_queue().
  void remove(ApDevice& dev) override {
    dev.dir->remove_attrs(status_attrs);
    m_matrix.remove_queue(static_cast<ApQueue&>(dev));
  }
  base::Result<void> in_use(const base::Bitmap256& apm, const base::Bitmap256& aqm) override {
    return m_matrix.in_use(apm, aqm);
  }
  void on_scan_complete() override { m_matrix.on_scan_complete(); }

 private:
  // status_show(): "in use", "assigned" or "unassigned".
  static base::Result<std::string> status_show(ApQueue& q) {
    return std::string(static_cast<VfioApDriver*>(q.driver)->m_matrix.queue_status(q)) + "\n";
  }
  static constexpr sysfs::AttrOps status_attrs[] = {SYSFS_ATTR_RO(ApQueue, status)};
  MatrixDev& m_matrix;
};

}  // namespace

std::unique_ptr<ap::ApDriver> make_vfio_ap_driver(MatrixDev& matrix) { return std::make_unique<VfioApDriver>(matrix); }

}  // namespace vfio_ap
