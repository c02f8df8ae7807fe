// Css: the channel subsystem of one simulated LPAR (drivers/s390/cio/css.c,
// chp.c, device.c): the css0 root device with its channel paths and
// subchannels, the css bus with its subchannel drivers, and the ccw bus
// with the devices io_subchannel finds behind I/O subchannels.
#pragma once

#include <map>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/klog.h"
#include "base/result.h"
#include "ccw/css_config.h"
#include "ccw/device_model.h"
#include "ccw/machine_subchannel.h"
#include "sysfs-fs/tree/driver_core.h"
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

// struct ccw_device: the device behind an I/O subchannel, 0.0.2b09, on the
// ccw bus (name, directory, driver: sysfs::BusDevice).
struct CcwDevice : sysfs::BusDevice {
  Subchannel* sch;
  DeviceConfig cfg;
  bool online = false;
  bool cmb_enable = false;
  CcwDevice(Subchannel* s, const DeviceConfig& c) : sch(s), cfg(c) {}
};

// struct subchannel: 0.0.0313 under css0, on the css bus.
struct Subchannel : sysfs::BusDevice {
  Css* css;
  SubchannelConfig cfg;
  std::string driver_override;  // empty: none ("(null)")
  std::unique_ptr<CcwDevice> cdev;  // while io_subchannel drives it
  // sch->lpm and sch->opm: the paths cio lets I/O use, the ones varied on.
  uint8_t lpm = 0, opm = 0;
  // The machine's side: the subchannel and the device behind it.
  std::unique_ptr<DeviceModel> device;
  std::unique_ptr<MachineSubchannel> hw;
  bool is_io() const { return cfg.type == 0; }
};

// The device models of a host's devices, by subchannel; a device without
// one gets a model made from its configuration (a 3390 in memory).
using DeviceModels = std::map<BusId, std::unique_ptr<DeviceModel>>;

// struct css_driver: io_subchannel, vfio_ccw.
class CssDriver : public sysfs::BusDriver {
 public:
  virtual const std::string& module() const = 0;  // "" if built in
  // The subchannel types of its id table.
  virtual bool matches(const Subchannel& sch) const { return sch.is_io(); }
  virtual Result<void> probe(Subchannel& sch) = 0;
  virtual void remove(Subchannel& sch) = 0;
  // The I/O interrupt, after cio's TEST SUBCHANNEL stored `irb`.
  virtual void irq(Subchannel&, const Irb&) {}
  // A channel path of the subchannel (`mask`) changed (chp.h CHP_*).
  enum class ChpEvent { VaryOff, VaryOn, Offline, Online };
  virtual void chp_event(Subchannel&, uint8_t /*mask*/, unsigned /*chpid*/, ChpEvent) {}

  Css* css = nullptr;
};

class Css : sysfs::BusOps {
 public:
  Css(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, CssConfig config,
      DeviceModels devices = {});
  ~Css();
  Css(const Css&) = delete;
  Css& operator=(const Css&) = delete;

  // bus_add_driver() + driver_attach().
  CssDriver& register_driver(std::unique_ptr<CssDriver> drv);

  const CssConfig& config() const { return m_config; }
  Subchannel* subchannel(std::string_view name) const;
  const std::map<BusId, std::unique_ptr<Subchannel>>& subchannels() const { return m_subchannels; }
  const std::map<unsigned, std::unique_ptr<ChannelPath>>& chps() const { return m_chps; }

  // The css bus (bind, unbind, drivers_probe through the driver core).
  sysfs::Bus& bus() { return m_css_bus; }
  // driver_set_override(): EINVAL for a page or more; the first line.
  Result<void> set_driver_override(Subchannel& sch, std::string_view buf);
  // Channel measurement (cm_enable; chsc_secm() always succeeds here).
  bool cm_enabled = false;

  // The ccw device io_subchannel registers for a subchannel with a device,
  // and its removal (io_subchannel_probe() / io_subchannel_remove()).
  void ccw_device_add(Subchannel& sch);
  void ccw_device_del(Subchannel& sch);

  // Uevents: dev_uevent() + css_uevent().
  std::vector<std::string> uevent_vars(const Subchannel& sch) const { return m_css_bus.uevent_vars(sch); }
  std::string devpath(const Subchannel& sch) const { return "/devices/css0/" + sch.name; }

  // The machine presents a subchannel's interrupt: cio's handler stores
  // the IRB with TEST SUBCHANNEL and passes it to the subchannel's driver.
  void io_interrupt(Subchannel& sch);
  // A channel path varied (status) or configured: the machine's PAM, cio's
  // masks, and each driver's chp_event().
  void chp_changed(ChannelPath& chp, CssDriver::ChpEvent event);

  sysfs::UeventLog& uevents() const { return m_uevents; }
  base::KernelLog& klog() const { return m_klog; }

 private:
  // css_bus_type: css_bus_match() (the id table, then driver_override),
  // css_probe(), css_remove(), css_uevent().
  sysfs::BusDevice* find_device(std::string_view name) const override;
  bool match(const sysfs::BusDevice& dev, const sysfs::BusDriver& drv) const override;
  void make_machine_subchannel(Subchannel& sch, DeviceModels& devices);
  Result<void> probe(sysfs::BusDriver& drv, sysfs::BusDevice& dev) override;
  void remove(sysfs::BusDriver& drv, sysfs::BusDevice& dev) override;
  std::string devpath(const sysfs::BusDevice& dev) const override { return devpath(static_cast<const Subchannel&>(dev)); }
  std::vector<std::string> bus_uevent_vars(const sysfs::BusDevice& dev) const override;

  // ccw_bus_type: devices without drivers yet; ccw_uevent().
  class CcwBus : public sysfs::BusOps {
   public:
    explicit CcwBus(Css& css) : m_css(css) {}
    sysfs::BusDevice* find_device(std::string_view name) const override;
    bool match(const sysfs::BusDevice&, const sysfs::BusDriver&) const override { return false; }
    Result<void> probe(sysfs::BusDriver&, sysfs::BusDevice&) override { return Errno{ENODEV}; }
    void remove(sysfs::BusDriver&, sysfs::BusDevice&) override {}
    std::string devpath(const sysfs::BusDevice& dev) const override;
    std::vector<std::string> bus_uevent_vars(const sysfs::BusDevice& dev) const override;

   private:
    Css& m_css;
  };

  sysfs::UeventLog& m_uevents;
  base::KernelLog& m_klog;
  CssConfig m_config;
  std::map<unsigned, std::unique_ptr<ChannelPath>> m_chps;
  std::map<BusId, std::unique_ptr<Subchannel>> m_subchannels;
  std::map<BusId, CcwDevice*> m_ccw_devices;  // by device number
  std::vector<std::unique_ptr<CssDriver>> m_drivers;  // registration order
  sysfs::Bus m_css_bus;
  CcwBus m_ccw_ops{*this};
  sysfs::Bus m_ccw_bus;
  sysfs::Directory* m_css0;  // /sys/devices/css0
};

// A bus id as the kernel writes it, "0.0.0313" (lower-case hex only).
std::optional<BusId> parse_bus_id(std::string_view name);

// "ccw:t3990me9dt3390dm0e", or "...dtdm" when SENSE ID gave no device type.
std::string ccw_modalias(const DeviceConfig& d);

// Attribute tables (css_attrs.cpp).
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
