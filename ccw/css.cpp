#include "ccw/css.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/kstrto.h"
#include "ccw/device_models.h"

namespace ccw {

Css::Css(sysfs::Tree& tree, sysfs::UeventLog& uevents, base::KernelLog& klog, CssConfig config, DeviceModels devices)
    : m_uevents(uevents),
      m_klog(klog),
      m_config(std::move(config)),
      m_css_bus(tree, uevents, klog, "css", *this),
      m_ccw_bus(tree, uevents, klog, "ccw", m_ccw_ops) {
  m_css0 = &tree.root().get_or_add_dir("devices").add_dir(fmt::format("css{:x}", m_config.cssid));
  m_css0->add_attrs(m_config.measurement ? css_root_attrs() : css_root_attrs_no_cm(), this);
  // The pseudo subchannel orphaned ccw devices move to; on no bus.
  m_css0->add_dir("defunct").add_attr(busless_uevent_attr, this);

  // chp_new() for every installed channel path.
  for (auto& c : m_config.chpids) {
    auto chp = std::make_unique<ChannelPath>(ChannelPath{this, c, fmt::format("chp{:x}.{:02x}", m_config.cssid, c.id)});
    chp->dir = &m_css0->add_dir(chp->name);
    chp->dir->add_attrs(chp_attrs(), chp.get());
    m_chps.emplace(c.id, std::move(chp));
  }
  // css_register_subchannel(): the devices; drivers bind as they register.
  for (auto& c : m_config.subchannels) {
    auto sch = std::make_unique<Subchannel>();
    sch->css = this;
    sch->cfg = c;
    sch->name = format_bus_id(c.schid);
    make_machine_subchannel(*sch, devices);
    m_css_bus.device_add(*sch, *m_css0, subchannel_attrs(), sch.get());
    if (sch->is_io()) sch->dir->add_attrs(io_subchannel_type_attrs(), sch.get());
    m_subchannels.emplace(c.schid, std::move(sch));
  }
}

Css::~Css() = default;

void Css::make_machine_subchannel(Subchannel& sch, DeviceModels& devices) {
  const SubchannelConfig& c = sch.cfg;
  Pmcw p;
  p.qf = c.qdio;
  p.st = static_cast<uint8_t>(c.type);
  p.pim = c.pim;
  p.pam = c.pam;
  p.pom = c.pom;
  p.chpid = c.chpids;
  if (c.dev) {
    p.dnv = true;
    p.dev = static_cast<uint16_t>(c.dev->devno);
    if (auto it = devices.find(c.schid); it != devices.end()) {
      sch.device = std::move(it->second);
    } else {
      std::string error;
      DeviceConfig memory = *c.dev;
      memory.image.clear();
      sch.device = make_device_model(memory, error).value();
    }
  }
  sch.lpm = sch.opm = c.pam;
  sch.hw = std::make_unique<MachineSubchannel>(p, sch.device.get());
  sch.hw->on_interrupt = [this, s = &sch] { io_interrupt(*s); };
}

void Css::io_interrupt(Subchannel& sch) {
  Irb irb;
  if (sch.hw->tsch(irb) != 0) return;
  if (auto* drv = dynamic_cast<CssDriver*>(sch.driver)) drv->irq(sch, irb);
}

void Css::chp_changed(ChannelPath& chp, CssDriver::ChpEvent event) {
  using E = CssDriver::ChpEvent;
  for (auto& [id, sch] : m_subchannels) {
    uint8_t mask = 0;
    for (int i = 0; i < 8; ++i)
      if ((sch->cfg.pim & (0x80 >> i)) && sch->cfg.chpids[i] == chp.cfg.id) mask |= static_cast<uint8_t>(0x80 >> i);
    if (!mask || !sch->hw) continue;
    // Configured off, the path is gone from the machine's PAM.
    // Configured off, the path is gone from the machine's PAM; varied off,
    // cio stops using it (chp_event handling in css.c, vfio_ccw_drv.c).
    const uint8_t off = static_cast<uint8_t>(~mask);
    switch (event) {
      case E::Offline: sch->hw->lose_path(mask); break;
      case E::Online: sch->hw->set_pam(sch->hw->schib().pmcw.pam | (sch->cfg.pam & mask)); break;
      case E::VaryOff: sch->opm &= off, sch->lpm &= off; break;
      case E::VaryOn: sch->opm |= mask, sch->lpm |= mask; break;
    }
    if (event == E::Online) sch->lpm |= mask & sch->opm;
    if (auto* drv = dynamic_cast<CssDriver*>(sch->driver)) drv->chp_event(*sch, mask, chp.cfg.id, event);
  }
}

// "0.<ssid>.<4 hex digits>", exactly as the kernel names it.
std::optional<BusId> parse_bus_id(std::string_view name) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (name.size() != 8 || name.substr(0, 2) != "0." || name[3] != '.' || name[2] < '0' || name[2] > '3' ||
      !std::all_of(name.begin() + 4, name.end(), hex))
    return std::nullopt;
  return BusId{static_cast<unsigned>(name[2] - '0'), static_cast<unsigned>(std::stoul(std::string(name.substr(4)), nullptr, 16))};
}

Subchannel* Css::subchannel(std::string_view name) const {
  auto id = parse_bus_id(name);
  auto it = id ? m_subchannels.find(*id) : m_subchannels.end();
  return it == m_subchannels.end() ? nullptr : it->second.get();
}

std::string ccw_modalias(const DeviceConfig& d) {
  if (d.dev_type == 0) return fmt::format("ccw:t{:04X}m{:02X}dtdm", d.cu_type, d.cu_model);
  return fmt::format("ccw:t{:04X}m{:02X}dt{:04X}dm{:02X}", d.cu_type, d.cu_model, d.dev_type, d.dev_model);
}

CssDriver& Css::register_driver(std::unique_ptr<CssDriver> drv) {
  CssDriver& d = *drv;
  d.css = this;
  m_css_bus.add_driver(d, d.module());
  m_drivers.push_back(std::move(drv));
  // driver_attach(): at boot each subchannel goes to the driver its host
  // file names (the one the LPAR's configuration starts it on).
  for (auto& [id, s] : m_subchannels)
    if (!s->driver && s->cfg.driver == d.name() && match(*s, d)) (void)m_css_bus.driver_probe_device(d, *s);
  return d;
}

// ------------------------------------------------------------ css bus

sysfs::BusDevice* Css::find_device(std::string_view name) const { return subchannel(name); }

bool Css::match(const sysfs::BusDevice& dev, const sysfs::BusDriver& drv) const {
  auto& sch = static_cast<const Subchannel&>(dev);
  if (!sch.driver_override.empty() && sch.driver_override != drv.name()) return false;
  return static_cast<const CssDriver&>(drv).matches(sch);
}

Result<void> Css::probe(sysfs::BusDriver& drv, sysfs::BusDevice& dev) {
  return static_cast<CssDriver&>(drv).probe(static_cast<Subchannel&>(dev));
}

void Css::remove(sysfs::BusDriver& drv, sysfs::BusDevice& dev) {
  static_cast<CssDriver&>(drv).remove(static_cast<Subchannel&>(dev));
}

std::vector<std::string> Css::bus_uevent_vars(const sysfs::BusDevice& dev) const {
  auto& sch = static_cast<const Subchannel&>(dev);
  return {fmt::format("ST={:01X}", sch.cfg.type), fmt::format("MODALIAS=css:t{:01X}", sch.cfg.type)};
}

Result<void> Css::set_driver_override(Subchannel& sch, std::string_view buf) {
  if (buf.size() >= sysfs::PAGE_SIZE - 1) return Errno{EINVAL};
  buf = base::c_str(buf);
  sch.driver_override = std::string(buf.substr(0, buf.find('\n')));
  return base::ok();
}

// ------------------------------------------------------- ccw devices

sysfs::BusDevice* Css::CcwBus::find_device(std::string_view name) const {
  auto id = parse_bus_id(name);
  auto it = id ? m_css.m_ccw_devices.find(*id) : m_css.m_ccw_devices.end();
  return it == m_css.m_ccw_devices.end() ? nullptr : it->second;
}

std::string Css::CcwBus::devpath(const sysfs::BusDevice& dev) const {
  auto& cdev = static_cast<const CcwDevice&>(dev);
  return m_css.devpath(*cdev.sch) + "/" + cdev.name;
}

// ccw_uevent().
std::vector<std::string> Css::CcwBus::bus_uevent_vars(const sysfs::BusDevice& dev) const {
  const DeviceConfig& d = static_cast<const CcwDevice&>(dev).cfg;
  return {fmt::format("CU_TYPE={:04X}", d.cu_type), fmt::format("CU_MODEL={:02X}", d.cu_model),
          fmt::format("DEV_TYPE={:04X}", d.dev_type), fmt::format("DEV_MODEL={:02X}", d.dev_model),
          "MODALIAS=" + ccw_modalias(d)};
}

void Css::ccw_device_add(Subchannel& sch) {
  if (!sch.cfg.dev || sch.cdev) return;
  sch.cdev = std::make_unique<CcwDevice>(&sch, *sch.cfg.dev);
  BusId id{sch.cfg.schid.ssid, sch.cfg.dev->devno};
  sch.cdev->name = format_bus_id(id);
  m_ccw_devices[id] = sch.cdev.get();
  m_ccw_bus.device_add(*sch.cdev, *sch.dir, ccw_device_attrs(), sch.cdev.get());
}

void Css::ccw_device_del(Subchannel& sch) {
  if (!sch.cdev) return;
  m_ccw_bus.device_del(*sch.cdev);
  m_ccw_devices.erase({sch.cfg.schid.ssid, sch.cfg.dev->devno});
  sch.cdev.reset();
}

}  // namespace ccw
