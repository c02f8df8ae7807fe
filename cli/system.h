// System: one simulated s390 host: its sysfs tree, kernel log, uevents, AP
// bus with its drivers, all behind one coarse model lock.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "apbus/ap_bus.h"
#include "apbus/host_config.h"
#include "base/klog.h"
#include "ccw/css.h"
#include "ccw/css_config.h"
#include "mdev/matrix_dev.h"
#include "guest/linux_guest.h"
#include "mdev/mdev_core.h"
#include "qemu/guests.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace mdevsim {

// A host file: the LPAR's AP configuration and its channel subsystem.
struct Host {
  ap::HostConfig ap;
  ccw::CssConfig css;
  ccw::DeviceModels devices{};  // the DASDs with image files, opened
};
// Both sections of a host file; `error` names the file, the key and why.
base::Result<Host> load_host_file(const std::string& path, std::string& error);
// The default host: the vfio-ap document's LPAR and the vfio-ccw
// document's DASD (ap::DEFAULT_HOST_JSON, ccw::DEFAULT_CSS_JSON).
Host default_host();

class System {
 public:
  // Boots: registers the AP drivers (cex4card, cex4queue), loads vfio_ap
  // (the matrix device, its mdev type and its AP queue driver) and runs the
  // first AP bus scan.
  explicit System(ap::HostConfig host, ccw::CssConfig css = {}, ccw::DeviceModels devices = {});
  explicit System(Host host) : System(std::move(host.ap), std::move(host.css), std::move(host.devices)) {}

  // Exclusive for changes, shared for reads (show(), lookups).
  std::shared_mutex& lock() { return m_lock; }
  sysfs::Tree& tree() { return m_tree; }
  base::KernelLog& klog() { return m_klog; }
  sysfs::UeventLog& uevents() { return m_uevents; }
  ap::ApBus& ap_bus() { return *m_ap_bus; }
  mdev::MdevCore& mdev_core() { return *m_mdev_core; }
  vfio_ap::MatrixDev& matrix_dev() { return *m_matrix_dev; }
  ccw::Css& css() { return *m_css; }
  ccw::VfioCcwDriver& vfio_ccw() { return *m_vfio_ccw; }
  // The guests and their QEMUs (logs kept after a guest has gone).
  qemu::Guests& guests() { return *m_guests; }
  // The Linux inside a running guest (a guest started anew starts afresh).
  guest::LinuxGuest& guest_kernel(const qemu::Guest& g) {
    auto& [boot, kernel] = m_guest_kernels[g.name()];
    if (boot != g.boot) {
      boot = g.boot;
      kernel = {};
    }
    return kernel;
  }

 private:
  std::shared_mutex m_lock;
  sysfs::Tree m_tree;
  base::KernelLog m_klog;
  sysfs::UeventLog m_uevents{&m_klog};
  std::unique_ptr<ap::ApBus> m_ap_bus;
  std::unique_ptr<mdev::MdevCore> m_mdev_core;
  std::unique_ptr<vfio_ap::MatrixDev> m_matrix_dev;
  std::unique_ptr<ccw::Css> m_css;
  ccw::VfioCcwDriver* m_vfio_ccw;  // registered with m_css
  std::unique_ptr<qemu::Guests> m_guests;  // last: its QEMUs close their devices first
  std::map<std::string, std::pair<uint64_t, guest::LinuxGuest>> m_guest_kernels;
};

}  // namespace mdevsim
