#include "mdev/matrix_dev.h"

#include <fmt/format.h>

#include "mdev/vfio_ap_mdev_attrs.h"

namespace vfio_ap {

using ap::ApQueue;
using base::LogLevel;

namespace {

using Show = Result<std::string>;

// /sys/devices/vfio_ap/matrix/features (vfio_ap_drv.c).
// With the migration series (v3 patch 14) "migratable" follows.
Show features_show(MatrixDev& md) {
  return std::string(md.bus().host().vfio_ap_migration ? "guest_matrix hotplug ap_config migratable\n"
                                                        : "guest_matrix hotplug ap_config\n");
}
Show matrix_uevent_show(MatrixDev&) { return std::string("DRIVER=vfio_ap\n"); }
const sysfs::AttrOps matrix_attrs[] = {
    SYSFS_ATTR_RO(MatrixDev, features),
    sysfs::AttrOps{"uevent", 0644, sysfs::show_thunk<MatrixDev, matrix_uevent_show>, nullptr},
};

// The response codes _queue_passable() lets through: a queue whose last
// reset failed otherwise keeps its whole adapter from the guest.
bool passable(int rc) { return rc == 0 || rc == 3 || rc == 4; }
// Answers after which apq_reset_check() keeps waiting.
bool rc_pending(int rc) { return rc == ap::AP_RESPONSE_RESET_IN_PROGRESS || rc == ap::AP_RESPONSE_BUSY; }

ap::ApView crycb_masks(const ApMatrix& m) { return {m.apm, m.aqm, m.adm}; }

}  // namespace

MatrixDev::MatrixDev(ap::ApBus& bus, mdev::MdevCore& core, sysfs::Tree& tree) : m_bus(bus), m_core(core) {
  const auto& qci = bus.host().qci;
  m_apm_max = qci.apxa ? bus.host().max_adapter_id : 63;
  m_aqm_max = m_adm_max = qci.apxa ? bus.host().max_domain_id : 15;
  // vfio_ap_matrix_dev_create(): root device, the matrix bus, its device
  // and driver.
  auto& root = tree.root();
  auto& vfio_ap_root = root.get_or_add_dir("devices").add_dir("vfio_ap");
  vfio_ap_root.add_link("module", root.get_or_add_dir("module").get_or_add_dir("vfio_ap").self());
  m_matrix_dir = &vfio_ap_root.add_dir("matrix");
  auto& matrix_bus = root.get_or_add_dir("bus").add_dir("matrix");
  auto& bus_devices = matrix_bus.add_dir("devices");
  auto& drv = matrix_bus.add_dir("drivers").add_dir("vfio_ap");
  m_matrix_dir->add_attrs(matrix_attrs, this);
  m_matrix_dir->add_link("subsystem", matrix_bus.self());
  m_matrix_dir->add_link("driver", drv.self());
  bus_devices.add_link("matrix", m_matrix_dir->self());
  drv.add_link("matrix", m_matrix_dir->self());
  bus.uevents().send("add", "/devices/vfio_ap/matrix", "matrix", {}, {});
  bus.uevents().send("bind", "/devices/vfio_ap/matrix", "matrix", {}, {"DRIVER=vfio_ap"});
  // vfio_ap_mdev_register(): MAX_ZDEV_ENTRIES_EXT instances.
  core.register_parent(*m_matrix_dir, "/devices/vfio_ap/matrix", "vfio_ap", "passthrough", "VFIO AP Passthrough Device",
                       "vfio-ap", 256 * 256, "vfio_ap_mdev", "vfio_ap", *this, "matrix", {"DRIVER=vfio_ap"});
}

MatrixDev::~MatrixDev() = default;

MatrixMdev* MatrixDev::find(std::string_view uuid) {
  for (auto& m : m_mdevs)
    if (m.uuid() == uuid) return &m;
  return nullptr;
}

void MatrixDev::log(const MatrixMdev& m, LogLevel level, const std::string& text) {
  m_bus.klog().log(level, fmt::format("vfio_ap_mdev {}: {}", m.uuid(), text));
}

ApMatrix MatrixDev::host() const { return {m_bus.qci_apm(), m_bus.qci_aqm(), m_bus.qci_adm()}; }

// vfio_ap_mdev_filter_matrix() + vfio_ap_mdev_filter_cdoms(): an adapter
// reaches the guest only if every one of its APQNs in the guest's domains
// is bound to vfio_ap and passable.
ApMatrix MatrixDev::filter(const ApMatrix& matrix, const ApQueue* leaving) const {
  ApMatrix h = host();
  ApMatrix s{matrix.apm & h.apm, matrix.aqm & h.aqm, matrix.adm & h.adm};
  Bitmap256 apm = s.apm;
  apm.for_each([&](unsigned apid) {
    bool ok = true;
    s.aqm.for_each([&](unsigned apqi) {
      const ApQueue* q = m_bus.queue(apid, apqi);
      if (!q || q == leaving || !q->driver || q->driver->name() != "vfio_ap" || !passable(q->reset_rc)) ok = false;
    });
    if (!ok) s.apm.clear(apid);
  });
  return s;
}

MatrixMdev* MatrixDev::assigned_to(unsigned apid, unsigned apqi) {
  for (auto& m : m_mdevs)
    if (m.matrix.apm.test(apid) && m.matrix.aqm.test(apqi)) return &m;
  return nullptr;
}

// vfio_ap_mdev_validate_masks(): EADDRNOTAVAIL when the host's default
// drivers own an APQN of the new matrix, then EADDRINUSE when the first
// other mdev (newest first) shares one, with a warning per shared APQN.
Result<void> MatrixDev::validate(const MatrixMdev& m, const ApMatrix& c) {
  bool owned = false;
  c.apm.for_each([&](unsigned apid) {
    c.aqm.for_each([&](unsigned apqi) { owned = owned || m_bus.apqn_owned_by_def_drv(apid, apqi); });
  });
  if (owned) return Errno{EADDRNOTAVAIL};
  for (auto& other : m_mdevs) {
    if (&other == &m) continue;
    Bitmap256 apm = c.apm & other.matrix.apm, aqm = c.aqm & other.matrix.aqm;
    if (apm.none() || aqm.none()) continue;
    apm.for_each([&](unsigned apid) {
      aqm.for_each([&](unsigned apqi) {
        log(m, LogLevel::WARNING,
            fmt::format("Userspace may not assign queue {:02x}.{:04x} to mdev: already assigned to {}", apid, apqi, other.uuid()));
      });
    });
    return Errno{EADDRINUSE};
  }
  return base::ok();
}

// vfio_ap_mdev_reset_queue(): ZAPQ; unless the adapter is deconfigured or
// checkstopped, apq_reset_check() follows.
void MatrixDev::reset_queue(ApQueue& q) {
  q.reset_rc = m_bus.engine().zapq(m_bus.engine().host_view(), q.apid(), q.apqi).response_code;
  q.reset_waited_ms = 0;
  q.reset_pending = false;
  if (q.reset_rc == ap::AP_RESPONSE_NORMAL || q.reset_rc == ap::AP_RESPONSE_RESET_IN_PROGRESS ||
      q.reset_rc == ap::AP_RESPONSE_BUSY)
    check_reset(q);
}

// apq_reset_check(): TAPQ every 20 ms until the reset is done, ZAPQ again
// after a busy or in-progress answer; the notice goes out as the ratelimit
// lets it (10 a burst). A reset the hardware holds stays pending until a
// later scan finds it done.
void MatrixDev::check_reset(ApQueue& q) {
  for (int i = 0; i < RESET_CHECKS_MAX; ++i) {
    q.reset_waited_ms += 20;
    ap::ApQueueStatus st = m_bus.tapq(q.apid(), q.apqi).status;
    uint8_t rc = st.response_code;
    if (rc == ap::AP_RESPONSE_RESET_IN_PROGRESS || rc == ap::AP_RESPONSE_BUSY) {
      if (q.reset_waited_ms <= 20 * RESET_NOTICE_BURST)
        m_bus.klog().log(LogLevel::NOTICE, fmt::format("Waited {}ms for reset of queue {:02x}.{:04x} ({}, {}, {})",
                                                       q.reset_waited_ms, q.apid(), q.apqi, rc, st.queue_empty ? 1 : 0,
                                                       st.irq_enabled ? 1 : 0));
      continue;
    }
    if (rc != ap::AP_RESPONSE_NORMAL && rc != ap::AP_RESPONSE_DECONFIGURED && rc != ap::AP_RESPONSE_CHECKSTOPPED) break;
    if (q.reset_rc == ap::AP_RESPONSE_RESET_IN_PROGRESS || q.reset_rc == ap::AP_RESPONSE_BUSY) {
      q.reset_rc = m_bus.engine().zapq(m_bus.engine().host_view(), q.apid(), q.apqi).response_code;
      continue;
    }
    q.reset_pending = false;
    return;
  }
  q.reset_pending = rc_pending(q.reset_rc);
}

void MatrixDev::reset_adapters(const Bitmap256& apm, const Bitmap256& aqm) {
  apm.for_each([&](unsigned apid) {
    aqm.for_each([&](unsigned apqi) {
      ApQueue* q = m_bus.queue(apid, apqi);
      if (q && q->driver && q->driver->name() == "vfio_ap") reset_queue(*q);
    });
  });
}

void MatrixDev::update_guest(MatrixMdev& m, const ApQueue* leaving) {
  ApMatrix next = filter(m.matrix, leaving);
  if (next == m.shadow_apcb) return;
  ApMatrix old = m.shadow_apcb;
  m.shadow_apcb = next;
  if (kvm::Kvm* kvm = m.kvm()) {
    kvm->crycb = crycb_masks(next);  // kvm_arch_crypto_set_masks()
    m.mdev->signal_irq(VFIO_AP_CFG_CHG_IRQ_INDEX);
  }
  // Queues that were in the guest view and are no longer: reset them.
  reset_adapters(old.apm.andnot(next.apm), old.aqm);
  reset_adapters(next.apm, old.aqm.andnot(next.aqm));
}

void MatrixDev::commit(MatrixMdev& m, const ApMatrix& next) {
  m.matrix = next;
  update_guest(m);
}

// The six assign/unassign stores after parsing: ENODEV beyond the maximum;
// setting a set bit or clearing a clear one succeeds at once; adapters and
// usage domains being assigned are validated (EADDRNOTAVAIL, EADDRINUSE).
Result<void> MatrixDev::update_mask(MatrixMdev& m, Bitmap256 ApMatrix::*mask, unsigned max, uint64_t id, bool assign) {
  if (id > max) return Errno{ENODEV};
  auto bit = static_cast<unsigned>(id);
  if ((m.matrix.*mask).test(bit) == assign) return base::ok();
  ApMatrix next = m.matrix;
  (next.*mask).assign(bit, assign);
  if (assign && mask != &ApMatrix::adm) SIM_TRY_VOID(validate(m, next));
  commit(m, next);
  return base::ok();
}

Result<void> MatrixDev::assign_adapter(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::apm, m_apm_max, id, true); }
Result<void> MatrixDev::assign_domain(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::aqm, m_aqm_max, id, true); }
Result<void> MatrixDev::assign_control_domain(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::adm, m_adm_max, id, true); }
Result<void> MatrixDev::unassign_adapter(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::apm, m_apm_max, id, false); }
Result<void> MatrixDev::unassign_domain(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::aqm, m_aqm_max, id, false); }
Result<void> MatrixDev::unassign_control_domain(MatrixMdev& m, uint64_t id) { return update_mask(m, &ApMatrix::adm, m_adm_max, id, false); }

// ap_config_store(): validation in the order EADDRNOTAVAIL, EADDRINUSE,
// ENODEV (a bit beyond the maxima); nothing changes on error.
Result<void> MatrixDev::set_ap_config(MatrixMdev& m, const ApMatrix& next) {
  SIM_TRY_VOID(validate(m, next));
  if (next.apm.last() > static_cast<int>(m_apm_max) || next.aqm.last() > static_cast<int>(m_aqm_max) ||
      next.adm.last() > static_cast<int>(m_adm_max))
    return Errno{ENODEV};
  commit(m, next);
  return base::ok();
}

// ------------------------------------------------------------ AP queues

void MatrixDev::probe_queue(ApQueue& q) {
  q.reset_rc = 0;
  q.reset_pending = false;
  if (MatrixMdev* m = assigned_to(q.apid(), q.apqi)) update_guest(*m);
}

// vfio_ap_mdev_remove_queue(): a queue leaving vfio_ap takes its whole
// adapter out of the guest; the queue itself is reset. The assignment stays.
void MatrixDev::remove_queue(ApQueue& q) {
  MatrixMdev* m = assigned_to(q.apid(), q.apqi);
  if (m) update_guest(*m, &q);
  // Outside the host configuration a ZAPQ could only fail with rc 01.
  if (host().apm.test(q.apid()) && host().aqm.test(q.apqi)) reset_queue(q);
}

Result<void> MatrixDev::in_use(const Bitmap256& apm, const Bitmap256& aqm) {
  for (auto& m : m_mdevs) {
    Bitmap256 a = apm & m.matrix.apm, d = aqm & m.matrix.aqm;
    if (a.none() || d.none()) continue;
    a.for_each([&](unsigned apid) {
      d.for_each([&](unsigned apqi) {
        log(m, LogLevel::WARNING, fmt::format("Can not reserve queue {:02x}.{:04x} for host driver: in use by mdev", apid, apqi));
      });
    });
    return Errno{EADDRINUSE};
  }
  return base::ok();
}

const char* MatrixDev::queue_status(const ApQueue& q) const {
  for (auto& m : m_mdevs) {
    if (!m.matrix.apm.test(q.apid()) || !m.matrix.aqm.test(q.apqi)) continue;
    if (m.kvm() && m.shadow_apcb.apm.test(q.apid()) && m.shadow_apcb.aqm.test(q.apqi)) return "in use";
    return "assigned";
  }
  return "unassigned";
}

void MatrixDev::on_scan_complete() {
  m_bus.for_each_queue([&](ApQueue& q) {
    if (q.reset_pending && q.driver && q.driver->name() == "vfio_ap") check_reset(q);
  });
  for (auto& m : m_mdevs) update_guest(m);
}

// ------------------------------------------------------------- mdevs

Result<void> MatrixDev::probe(mdev::MdevDevice& dev) {
  m_mdevs.push_front(MatrixMdev{});  // list_add(): newest first
  m_mdevs.front().mdev = &dev;
  dev.driver_data = &m_mdevs.front();
  dev.dir->add_attrs(vfio_ap_mdev_attrs(), &m_mdevs.front());
  return base::ok();
}

void MatrixDev::remove_attrs(mdev::MdevDevice& dev) { dev.dir->remove_attrs(vfio_ap_mdev_attrs()); }

// vfio_ap_mdev_remove(): vfio_unregister_group_dev() waits for the user to
// close the device, asking it at once and every 10 s (vfio_ap_mdev_request():
// the guest loses its AP resources, QEMU gets the REQ eventfd); then the
// queues are reset and unlinked.
Result<void> MatrixDev::remove(mdev::MdevDevice& dev) {
  auto& m = *static_cast<MatrixMdev*>(dev.driver_data);
  if (m.kvm()) {
    auto now = std::chrono::steady_clock::now();
    if (m.remove_requests == 0 || now - m.last_request >= std::chrono::seconds(10)) {
      m.kvm()->crycb = {};  // kvm_arch_crypto_clear_masks()
      dev.signal_irq(VFIO_AP_CFG_CHG_IRQ_INDEX);
      if (m.remove_requests % 10 == 0)
        log(m, LogLevel::NOTICE, fmt::format("Relaying device request to user (#{})", m.remove_requests));
      ++m.remove_requests;
      m.last_request = now;
      dev.signal_irq(VFIO_AP_REQ_IRQ_INDEX);  // a QEMU that unplugs closes the device here
    }
    if (m.kvm()) return sysfs::WAIT_FOR_CHANGE;
  }
  reset_adapters(m.matrix.apm, m.matrix.aqm);
  m_mdevs.remove_if([&](const MatrixMdev& x) { return &x == &m; });
  return base::ok();
}

// ------------------------------------------------------------- VFIO

Result<void> MatrixDev::open_device(mdev::MdevDevice& dev) {
  auto& m = *static_cast<MatrixMdev*>(dev.driver_data);
  kvm::Kvm& kvm = *dev.kvm;
  kvm.crycb = crycb_masks(m.shadow_apcb);
  kvm.pqap_hook = [this, &m](unsigned apid, unsigned apqi, bool enable, uint64_t nib) {
    return guest_aqic(m, apid, apqi, enable, nib);
  };
  m.remove_requests = 0;
  if (m_bus.host().vfio_ap_migration) m.mig = std::make_unique<MigrationData>();
  return base::ok();
}

void MatrixDev::close_device(mdev::MdevDevice& dev) {
  auto& m = *static_cast<MatrixMdev*>(dev.driver_data);
  dev.kvm->crycb = {};
  dev.kvm->pqap_hook = nullptr;
  m.mig.reset();  // its data files stay open, answering ENODEV
  reset_adapters(m.matrix.apm, m.matrix.aqm);
}

// handle_pqap(): the queue must be linked to the guest's mdev (assigned and
// bound to vfio_ap), else rc 01; vfio_ap_irq_enable() refuses a zero
// notification byte address with rc 06 before it issues AQIC.
ap::ApQueueStatus MatrixDev::guest_aqic(const MatrixMdev& m, unsigned apid, unsigned apqi, bool enable, uint64_t nib) {
  const ApQueue* q = m_bus.queue(apid, apqi);
  if (!q || !m.matrix.apm.test(apid) || !m.matrix.aqm.test(apqi) || !q->driver || q->driver->name() != "vfio_ap")
    return ap::ApQueueStatus{.response_code = ap::AP_RESPONSE_Q_NOT_AVAIL};
  if (enable && nib == 0) return ap::ApQueueStatus{.response_code = ap::AP_RESPONSE_INVALID_ADDRESS};
  return m_bus.engine().aqic(m_bus.engine().host_view(), apid, apqi, enable, nib);
}

}  // namespace vfio_ap
