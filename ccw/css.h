// Css: the channel subsystem of one simulated LPAR (drivers/s390/cio/css.c,
// chp.c, device.c): the css0 root device with its channel paths and
// subchannels, the css bus with its subchannel drivers, and the ccw bus
// with the devices io_subchannel finds behind I/O subchannels.
#pragma once

#include <map>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/klog.h"
#include "base/result.h"
#include "ccw/css_config.h"
#include "sysfs-fs/tree/tree.h"
#include "sysfs-fs/tree/uevent.h"

namespace ccw {

using base::Errno;
using base::Result;

class Css;
class CssDriver;
struct Subchannel;

// struct channel_path: chp0.1a under css0.
struct ChannelPath {
  Css* css;
  ChpConfig cfg;
  std::string name;  // "chp0.1a"
  bool online = true;      // status: varied on
  bool configured = true;  // configure: 1
  sysfs::Directory* dir = nullptr;
};

// struct ccw_device: the device behind an I/O subchannel, 0.0.2b09.
struct CcwDevice {
  Subchannel* sch;
  DeviceConfig cfg;
  std::string name;  // "0.0.2b09"
  bool online = false;
  bool cmb_enable = false;
  sysfs::Directory* dir = nullptr;
};

// struct subchannel: 0.0.0313 under css0.
struct Subchannel {
  Css* css;
  SubchannelConfig cfg;
  std::string name;  // "0.0.0313"
  std::string driver_override;  // empty: none ("(null)")
  CssDriver* driver = nullptr;
  std::unique_ptr<CcwDevice> cdev;  // while io_subchannel drives it
  sysfs::Directory* dir = nullptr;
  void* driver_data = nullptr;      // the bound driver's state
  bool is_io() const { return cfg.type == 0; }
};

// struct css_driver: io_subchannel, vfio_ccw.
class CssDriver {
 public:
  virtual ~CssDriver() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& module() const = 0;  // "" if built in
  // css_bus_match(): the subchannel types it drives.
  virtual bool matches(const Subchannel& sch) const { return sch.is_io(); }
  virtual Result<void> probe(Subchannel& sch) = 0;
  virtual void remove(Subchannel& sch) = 0;

  Css* css = nullptr;
  sysfs::Directory* dir = nullptr;  // /sys/bus/css/drivers/<name>
};

class Css {
 public:
  Css(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, CssConfig config);
  ~Css();
  Css(const Css&) = delete;
  Css& operator=(const Css&) = delete;

  // bus_add_driver() + driver_attach().
  CssDriver& register_driver(std::unique_ptr<CssDriver> drv);
  CssDriver* driver(std::string_view name) const;

  const CssConfig& config() const { return m_config; }
  Subchannel* subchannel(std::string_view name) const;
  ChannelPath* chp(unsigned id) const;
  const std::map<BusId, std::unique_ptr<Subchannel>>& subchannels() const { return m_subchannels; }

  // Driver core: bind_store(), unbind_store(), drivers_probe, and
  // driver_override_store() (EINVAL for a name of a page or more).
  Result<void> bind(CssDriver& drv, std::string_view devname);
  Result<void> unbind(CssDriver& drv, std::string_view devname);
  Result<void> drivers_probe(std::string_view devname);
  Result<void> set_driver_override(Subchannel& sch, std::string_view buf);
  bool drivers_autoprobe = true;
  // Channel measurement (cm_enable; chsc_secm() always succeeds here).
  bool cm_enabled = false;

  // The ccw device io_subchannel registers for a subchannel with a device,
  // and its removal (io_subchannel_probe() / io_subchannel_remove()).
  void ccw_device_add(Subchannel& sch);
  void ccw_device_del(Subchannel& sch);

  // Uevents: dev_uevent() + css_uevent() / ccw_uevent().
  std::vector<std::string> uevent_vars(const Subchannel& sch) const;
  std::vector<std::string> uevent_vars(const CcwDevice& cdev) const;
  std::string devpath(const Subchannel& sch) const { return "/devices/css0/" + sch.name; }
  std::string devpath(const CcwDevice& cdev) const { return devpath(*cdev.sch) + "/" + cdev.name; }

  sysfs::Tree& tree() const { return m_tree; }
  sysfs::UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }

 private:
  void bus_probe_device(Subchannel& sch);
  Result<void> driver_probe_device(CssDriver& drv, Subchannel& sch);
  void device_release_driver(Subchannel& sch);

  sysfs::Tree& m_tree;
  sysfs::UeventLog& m_uevents;
  base::KernelLog& m_klog;
  CssConfig m_config;
  std::map<unsigned, std::unique_ptr<ChannelPath>> m_chps;
  std::map<BusId, std::unique_ptr<Subchannel>> m_subchannels;
  std::vector<std::unique_ptr<CssDriver>> m_drivers;  // registration order
  sysfs::Directory* m_css_bus;      // /sys/bus/css
  sysfs::Directory* m_css_devices;  // /sys/bus/css/devices
  sysfs::Directory* m_css_drivers;  // /sys/bus/css/drivers
  sysfs::Directory* m_ccw_bus;      // /sys/bus/ccw
  sysfs::Directory* m_ccw_devices;  // /sys/bus/ccw/devices
  sysfs::Directory* m_css0;         // /sys/devices/css0
};

// "ccw:t3990me9dt3390dm0e", or "...dtdm" when SENSE ID gave no device type.
std::string ccw_modalias(const DeviceConfig& d);

// Attribute tables (css_attrs.cpp).
std::span<const sysfs::AttrOps> css_bus_attrs();
std::span<const sysfs::AttrOps> css_driver_attrs();
std::span<const sysfs::AttrOps> css_root_attrs();  // with cm_enable if measured
std::span<const sysfs::AttrOps> css_root_attrs_no_cm();
// The uevent file of a device with no bus (css0, defunct, channel paths):
// the kernel filters their events, so a valid write sends nothing.
extern const sysfs::AttrOps busless_uevent_attr;
std::span<const sysfs::AttrOps> chp_attrs();
std::span<const sysfs::AttrOps> subchannel_attrs();
std::span<const sysfs::AttrOps> io_subchannel_type_attrs();  // chpids pimpampom dev_busid
std::span<const sysfs::AttrOps> io_subchannel_drv_attrs();   // vpm logging
std::span<const sysfs::AttrOps> ccw_device_attrs();

}  // namespace ccw
