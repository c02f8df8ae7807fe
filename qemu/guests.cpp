#include "qemu/guests.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "mdev/matrix_dev.h"

namespace qemu {
namespace {

// The virtio-ccw device models and their virtio device ids (virtio_ids.h),
// which become the control unit model of their SENSE ID (CU type 3832).
struct VirtioModel {
  const char* name;
  unsigned id;
};
constexpr VirtioModel VIRTIO_MODELS[] = {
    {"virtio-net-ccw", 1},      {"virtio-blk-ccw", 2},      {"virtio-serial-ccw", 3},  {"virtio-rng-ccw", 4},
    {"virtio-balloon-ccw", 5},  {"virtio-scsi-ccw", 8},     {"vhost-scsi-ccw", 8},     {"virtio-9p-ccw", 9},
    {"virtio-gpu-ccw", 16},     {"virtio-mouse-ccw", 18},   {"virtio-keyboard-ccw", 18}, {"virtio-tablet-ccw", 18},
    {"vhost-vsock-ccw", 19},    {"virtio-crypto-ccw", 20},
};
constexpr unsigned VIRTIO_CCW_CU_TYPE = 0x3832;

// QemuOpts: "driver,key=value,..."; ",," is a comma inside a value, a bare
// key means key=on.
struct DeviceArg {
  std::string driver;
  std::vector<std::pair<std::string, std::string>> props;
  const std::string* get(std::string_view key) const {
    const std::string* v = nullptr;
    for (auto& [k, val] : props)
      if (k == key) v = &val;  // the last one wins
    return v;
  }
};

DeviceArg parse_device_arg(const std::string& arg) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] != ',') parts.back() += arg[i];
    else if (i + 1 < arg.size() && arg[i + 1] == ',') parts.back() += arg[i++];
    else parts.emplace_back();
  }
  DeviceArg d{parts[0], {}};
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    if (eq == std::string::npos) d.props.emplace_back(parts[i], "on");
    else d.props.emplace_back(parts[i].substr(0, eq), parts[i].substr(eq + 1));
  }
  return d;
}

std::string basename(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

// The simulated host's /sys is the tree: "/sys/bus/..." is "bus/...";
// nothing else exists.
base::Result<std::shared_ptr<sysfs::Node>> Guests::lookup(const std::string& path) const {
  if (path != "/sys" && path.rfind("/sys/", 0) != 0) return base::Errno{ENOENT};
  return m_tree.lookup(path.substr(4));
}

// The QEMUs quit before the host's drivers go.
Guests::~Guests() {
  for (auto& [name, g] : m_guests) close_all(*g);
}

void Guests::log(const std::string& name, std::string line) {
  auto& lines = m_logs[name];
  lines.push_back(std::move(line));
  if (lines.size() > MAX_LOG_LINES) lines.pop_front();
}

Guest* Guests::find(std::string_view name) const {
  auto it = m_guests.find(name);
  return it == m_guests.end() ? nullptr : it->second.get();
}

bool Guests::start(const std::string& name, const GuestOptions& opts, std::string& error) {
  if (m_guests.count(name)) {
    error = fmt::format("guest {} is already running", name);
    return false;
  }
  auto g = std::make_unique<Guest>();
  g->boot = ++m_boots;
  g->kvm.name = name;
  g->kvm.ap_facility = opts.ap_facility;
  g->opts = opts;
  for (const std::string& arg : opts.devices) {
    std::string msg;
    if (!plug(*g, arg, msg)) {
      error = fmt::format("-device {}: {}", arg, msg);
      log(name, "qemu-system-s390x: " + error);
      close_all(*g);
      return false;
    }
  }
  m_guests.emplace(name, std::move(g));
  return true;
}

bool Guests::stop(const std::string& name, std::string& error) {
  auto it = m_guests.find(name);
  if (it == m_guests.end()) {
    error = fmt::format("no guest {}", name);
    return false;
  }
  close_all(*it->second);
  m_guests.erase(it);
  return true;
}

void Guests::close_all(Guest& g) {
  if (g.ap) m_core.close_device(*g.ap->mdev);
  g.ap.reset();
  while (!g.ccw.empty()) unplug_ccw(g, g.ccw.size() - 1);
}

// qdev_device_add(): the model, its bus, the properties, then realize.
bool Guests::plug(Guest& g, const std::string& arg, std::string& error) {
  DeviceArg d = parse_device_arg(arg);
  const VirtioModel* virtio = nullptr;
  for (auto& m : VIRTIO_MODELS)
    if (d.driver == m.name) virtio = &m;
  if (d.driver != "vfio-ap" && d.driver != "vfio-ccw" && !virtio) {
    error = fmt::format("'{}' is not a valid device model name", d.driver);
    return false;
  }
  // The AP bus exists with the AP facility and takes one device.
  if (d.driver == "vfio-ap" && (!g.kvm.ap_facility || g.ap)) {
    error = "No 'ap-bus' bus found for device 'vfio-ap'";
    return false;
  }
  // The properties simulated: id everywhere, devno on ccw devices, sysfsdev on vfio ones.
  const bool vfio = d.driver.rfind("vfio-", 0) == 0;
  std::optional<CssDevId> devno;
  for (auto& [key, value] : d.props) {
    if (key != "id" && !(key == "devno" && d.driver != "vfio-ap") && !(key == "sysfsdev" && vfio)) {
      error = fmt::format("Property '{}.{}' not found", d.driver, key);
      return false;
    }
    if (key == "devno" && !(devno = parse_css_devid(d.driver, value, error))) return false;
  }
  if (d.driver == "vfio-ap") return realize_vfio_ap(g, arg, d.get("sysfsdev"), error);
  CcwDevice dev{.driver = d.driver, .arg = arg};
  if (virtio) {
    dev.cu_type = VIRTIO_CCW_CU_TYPE;
    dev.cu_model = virtio->id;
    return realize_virtio_ccw(g, std::move(dev), devno, error);
  }
  return realize_vfio_ccw(g, std::move(dev), d.get("sysfsdev"), devno, error);
}

mdev::MdevDevice* Guests::attach(Guest& g, const std::string& sysfsdev, std::string& error) {
  auto link = lookup(sysfsdev + "/iommu_group");
  if (!link) {
    error = fmt::format("no iommu_group found: {}", std::strerror(link.error().code));
    return nullptr;
  }
  std::string group((*link)->name());
  mdev::MdevDevice* dev = nullptr;
  for (auto& [uuid, d] : m_core.devices())
    if (std::to_string(d->iommu_group) == group) dev = d.get();
  if (!dev) {
    error = fmt::format("Could not open '/dev/vfio/{}': No such file or directory", group);
    return nullptr;
  }
  if (dev->kvm == &g.kvm) {
    error = "device is already attached";
    return nullptr;
  }
  if (dev->kvm) {
    error = fmt::format("Could not open '/dev/vfio/{}': Device or resource busy", group);
    return nullptr;
  }
  auto r = m_core.open_device(*dev, g.kvm, [this, &g, dev](unsigned index) { on_irq(g, *dev, index); });
  if (!r) {
    error = fmt::format("error getting device from group {}: {}", group, std::strerror(r.error().code));
    return nullptr;
  }
  return dev;
}

// vfio_ap_realize(): vfio_device_get_name() (the sysfsdev must exist), then
// the attach; its errors name the device.
bool Guests::realize_vfio_ap(Guest& g, const std::string& arg, const std::string* sysfsdev, std::string& error) {
  // Without sysfsdev QEMU stat()s a null path.
  std::string path = sysfsdev ? *sysfsdev : "(null)";
  auto node = sysfsdev ? lookup(*sysfsdev) : base::Errno{EFAULT};
  if (!node) {
    error = fmt::format("vfio {}: no such host device: {}", path, std::strerror(node.error().code));
    return false;
  }
  mdev::MdevDevice* dev = attach(g, path, error);
  if (!dev) {
    error = fmt::format("vfio {}: {}", basename(path), error);
    return false;
  }
  g.ap = VfioApDevice{arg, dev};
  return true;
}

// s390_ccw_realize() + vfio_ccw_realize(): the host subchannel is the
// mdev's parent directory; a subchannel in the virtual css; the SCHIB from
// the host's sysfs; then the VFIO device.
bool Guests::realize_vfio_ccw(Guest& g, CcwDevice dev, const std::string* sysfsdev, std::optional<CssDevId> devno,
                              std::string& error) {
  if (!sysfsdev) {
    error = "No host device provided\nUse -device vfio-ccw,sysfsdev=PATH_TO_DEVICE";
    return false;
  }
  auto node = lookup(*sysfsdev);
  if (!node) {
    error = fmt::format("Host device '{}' not found: {}", *sysfsdev, std::strerror(node.error().code));
    return false;
  }
  // The basename of realpath()'s dirname: "/sys/devices/css0/0.0.0313/UUID"
  // gives 0.0.0313.
  std::string real = "/sys/" + (*node)->path();
  std::string parent = real == "/sys/" ? "/" : basename(real.substr(0, real.find_last_of('/')));
  unsigned cssid, ssid, schno;
  if (std::sscanf(parent.c_str(), "%2x.%1x.%4x", &cssid, &ssid, &schno) != 3) {
    // errno is what realpath() left behind: EINVAL with glibc.
    error = fmt::format("Failed to read {}: Invalid argument", parent);
    return false;
  }
  std::string warning;
  if (!g.css.create_sch(devno, dev.subch_id, dev.dev_id, error, warning)) return false;
  if (!warning.empty()) log(g.name(), warning);
  auto fail = [&] {
    g.css.release(dev.subch_id, dev.dev_id);
    return false;
  };
  // css_sch_build_schib(): PIM, PAM, POM and the CHPIDs as the host shows them.
  std::string host_sch = fmt::format("bus/css/devices/{:x}.{:x}.{:04x}/", cssid, ssid, schno);
  auto ppp = m_tree.read(host_sch + "pimpampom");
  auto chp = m_tree.read(host_sch + "chpids");
  unsigned v[8] = {}, p[3] = {};
  if (!ppp || !chp || std::sscanf(ppp->c_str(), "%x %x %x", &p[0], &p[1], &p[2]) != 3 ||
      std::sscanf(chp->c_str(), "%x %x %x %x %x %x %x %x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
    log(g.name(), fmt::format("qemu-system-s390x: css_sch_build_schib: open /sys/{}{} failed", host_sch, ppp ? "chpids" : "pimpampom"));
    error = "s390_ccw_realize: Failed to build initial schib: Invalid argument";
    return fail();
  }
  dev.pim = static_cast<uint8_t>(p[0]);
  dev.pam = static_cast<uint8_t>(p[1]);
  dev.pom = static_cast<uint8_t>(p[2]);
  for (int i = 0; i < 8; ++i) dev.chpids[i] = static_cast<uint8_t>(v[i]);
  mdev::MdevDevice* m = attach(g, *sysfsdev, error);
  if (!m) return fail();
  const ccw::VfioCcwPrivate* priv = m_vfio_ccw.private_of(*m);
  if (!priv) {
    m_core.close_device(*m);
    error = "vfio: Um, this isn't a vfio-ccw device";
    return fail();
  }
  // What the guest's SENSE ID through the device will find.
  if (const auto& id = priv->sch->cfg.dev) {
    dev.cu_type = id->cu_type;
    dev.cu_model = id->cu_model;
    dev.dev_type = id->dev_type;
    dev.dev_model = id->dev_model;
  }
  dev.mdev = m;
  // vfio_ccw_register_irq_notifier() for the I/O, CRW and request eventfds.
  auto& vp = *m_vfio_ccw.private_of(*m);
  for (unsigned irq : {ccw::VFIO_CCW_IO_IRQ_INDEX, ccw::VFIO_CCW_CRW_IRQ_INDEX, ccw::VFIO_CCW_REQ_IRQ_INDEX})
    (void)m_vfio_ccw.set_irqs(vp, irq, true, ccw::VfioCcwDriver::IrqData::Eventfd, static_cast<int>(irq) + 100);
  // css_sch_build_schib(): a disabled subchannel with the host's paths.
  ccw::Pmcw& pmcw = dev.schib.pmcw;
  pmcw.dnv = true;
  pmcw.dev = static_cast<uint16_t>(dev.dev_id.devid);
  pmcw.pim = dev.pim;
  pmcw.pam = dev.pam;
  pmcw.pom = dev.pom;
  pmcw.lpm = dev.pim;
  pmcw.chpid = dev.chpids;
  g.ccw.push_back(std::move(dev));
  return true;
}

// virtio_ccw_device_realize(): a virtual SCHIB (one path, CHPID 00) and
// online in a Linux guest, where virtio_ccw sets it online.
bool Guests::realize_virtio_ccw(Guest& g, CcwDevice dev, std::optional<CssDevId> devno, std::string& error) {
  std::string warning;
  if (!g.css.create_sch(devno, dev.subch_id, dev.dev_id, error, warning)) return false;
  if (!warning.empty()) log(g.name(), warning);
  dev.pim = dev.pam = 0x80;
  dev.pom = 0xff;
  dev.online = true;
  g.ccw.push_back(std::move(dev));
  return true;
}

void Guests::on_irq(Guest& g, mdev::MdevDevice& dev, unsigned index) {
  if (g.ap && g.ap->mdev == &dev) {
    if (index == vfio_ap::VFIO_AP_CFG_CHG_IRQ_INDEX) ++g.ap->cfg_chg_count;
    if (index != vfio_ap::VFIO_AP_REQ_IRQ_INDEX) return;
    ++g.ap->req_count;
    // vfio_ap_req_notifier_handler(): the device goes if it can be unplugged.
    if (g.opts.unplug_on_request) {
      m_core.close_device(dev);
      g.ap.reset();
    }
    return;
  }
  for (size_t i = 0; i < g.ccw.size(); ++i) {
    if (g.ccw[i].mdev != &dev) continue;
    switch (index) {
      case ccw::VFIO_CCW_IO_IRQ_INDEX: return io_notify(g, g.ccw[i]);
      case ccw::VFIO_CCW_CRW_IRQ_INDEX: return crw_read(g, g.ccw[i]);
      // vfio_ccw_req_notifier_handler(): qdev_unplug() of the device.
      case ccw::VFIO_CCW_REQ_IRQ_INDEX: return unplug_ccw(g, i);
    }
  }
}

void Guests::unplug_ccw(Guest& g, size_t i) {
  CcwDevice& dev = g.ccw[i];
  if (dev.mdev) m_core.close_device(*dev.mdev);
  g.css.release(dev.subch_id, dev.dev_id);
  g.ccw.erase(g.ccw.begin() + static_cast<long>(i));
}

}  // namespace qemu
