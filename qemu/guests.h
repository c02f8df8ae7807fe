// The QEMUs of one simulated host: each guest starts as
// `qemu-system-s390x -name NAME -device ...` would, realizing its devices in
// order, and talks to vfio_ap and vfio_ccw only through VFIO: it opens
// mdevs as VFIO devices with its KVM and answers their eventfds.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ccw/vfio_ccw_drv.h"
#include "mdev/mdev_core.h"
#include "qemu/guest.h"
#include "sysfs-fs/tree/tree.h"

namespace qemu {

class Guests {
 public:
  Guests(sysfs::Tree& tree, mdev::MdevCore& core, ccw::VfioCcwDriver& vfio_ccw)
      : m_tree(tree), m_core(core), m_vfio_ccw(vfio_ccw) {}
  ~Guests();

  // Starts guest NAME. The first device that fails gives `error` as QEMU
  // reports it ("-device ARG: MESSAGE") and nothing of the guest remains.
  // Sysfs paths (sysfsdev=) name the simulated host's /sys.
  bool start(const std::string& name, const GuestOptions& opts, std::string& error);
  // The QEMU quits: its VFIO devices are closed.
  bool stop(const std::string& name, std::string& error);

  Guest* find(std::string_view name) const;

  // The guest's I/O instructions on a ccw device as QEMU's css.c handles
  // them (condition codes); a vfio-ccw device passes SSCH, HSCH and CSCH
  // to vfio_ccw through its regions, as hw/vfio/ccw.c does. Only vfio-ccw
  // devices do I/O here (virtio-ccw is not emulated).
  unsigned ssch(Guest& g, CcwDevice& dev, const ccw::Orb& orb);
  unsigned tsch(Guest& g, CcwDevice& dev, ccw::Irb& irb);
  unsigned stsch(Guest& g, CcwDevice& dev, ccw::Schib& out);
  unsigned msch(Guest& g, CcwDevice& dev, const ccw::Schib& in);
  unsigned hsch(Guest& g, CcwDevice& dev);
  unsigned csch(Guest& g, CcwDevice& dev);
  // STCRW: cc 0 and the oldest CRW, cc 1 and zero when there is none.
  unsigned stcrw(Guest& g, uint32_t& crw);
  const std::map<std::string, std::unique_ptr<Guest>, std::less<>>& all() const { return m_guests; }
  // What each QEMU wrote to its log (libvirt's /var/log/libvirt/qemu/NAME.log),
  // kept after the guest has gone: the last MAX_LOG_LINES lines, as a
  // rotated log keeps them.
  const std::map<std::string, std::deque<std::string>>& logs() const { return m_logs; }
  void log(const std::string& name, std::string line);
  void clear_log(const std::string& name) { m_logs[name].clear(); }
  static constexpr size_t MAX_LOG_LINES = 1000;

 private:
  base::Result<std::shared_ptr<sysfs::Node>> lookup(const std::string& path) const;
  bool plug(Guest& g, const std::string& arg, std::string& error);
  bool realize_vfio_ap(Guest& g, const std::string& arg, const std::string* sysfsdev, std::string& error);
  bool realize_vfio_ccw(Guest& g, CcwDevice dev, const std::string* sysfsdev, std::optional<CssDevId> devno,
                        std::string& error);
  bool realize_virtio_ccw(Guest& g, CcwDevice dev, std::optional<CssDevId> devno, std::string& error);
  // vfio_device_attach(): the device's IOMMU group, its /dev/vfio/N (one
  // open per host), the device from the group, opened with the guest's KVM.
  mdev::MdevDevice* attach(Guest& g, const std::string& sysfsdev, std::string& error);
  // The guest's eventfd handlers.
  void on_irq(Guest& g, mdev::MdevDevice& dev, unsigned index);
  // vfio_ccw_io_notifier_handler() and vfio_ccw_crw_read().
  void io_notify(Guest& g, CcwDevice& dev);
  void crw_read(Guest& g, CcwDevice& dev);
  // The I/O interrupt for the guest (css_inject_io_interrupt()).
  void inject_io_interrupt(Guest& g, CcwDevice& dev);
  // A write to one of the device's regions; EAGAIN is tried again.
  base::Result<size_t> region_write(CcwDevice& dev, unsigned index, std::span<const uint8_t> bytes);
  void unplug_ccw(Guest& g, size_t i);
  void close_all(Guest& g);

  sysfs::Tree& m_tree;
  mdev::MdevCore& m_core;
  ccw::VfioCcwDriver& m_vfio_ccw;
  std::map<std::string, std::unique_ptr<Guest>, std::less<>> m_guests;
  std::map<std::string, std::deque<std::string>> m_logs;
  uint64_t m_boots = 0;
};

}  // namespace qemu
