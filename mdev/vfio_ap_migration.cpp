// Live guest migration in vfio_ap (the migration series, spec §8): the
// source's STOP_COPY file gives the guest's AP configuration with each
// queue's TAPQ word; the destination's RESUMING file takes it, checks it
// against this host and installs it as the mdev's assignment, which hot
// plugs it into the guest.
#include <fmt/format.h>

#include "mdev/matrix_dev.h"
#include "migration/destination_checks.h"

namespace vfio_ap {

using base::LogLevel;
using migration::MigState;

ThisHost::ThisHost(ap::ApBus& bus) : m_bus(bus) {}
bool ThisHost::bound_to_vfio_ap(unsigned apid, unsigned apqi) const {
  const ap::ApQueue* q = m_bus.queue(apid, apqi);
  return q && q->driver && q->driver->name() == "vfio_ap";
}
bool ThisHost::control_domain(unsigned dom) const { return m_bus.qci_adm().test(dom); }
migration::TargetHost::Tapq ThisHost::tapq(unsigned apid, unsigned apqi) const {
  auto r = m_bus.engine().tapq(m_bus.engine().host_view(), apid, apqi);
  return {r.status.response_code, r.status.async, r.hwinfo};
}

namespace {

void emit(base::KernelLog& klog, const std::vector<migration::LogLine>& lines) {
  for (const auto& l : lines) klog.log_ratelimited(l.func, l.site, LogLevel::ERR, l.text);
}

}  // namespace

Result<uint64_t> MatrixDev::mig_flags() const {
  if (!m_bus.host().vfio_ap_migration) return Errno{ENOTTY};
  return VFIO_AP_MIGRATION_FLAGS;
}

Result<MigState> MatrixDev::mig_get_state(const MatrixMdev& m) const {
  SIM_TRY(mig_flags());
  return m.mig ? m.mig->state : MigState::RUNNING;
}

Result<int> MatrixDev::mig_set_state(MatrixMdev& m, MigState target) {
  uint64_t flags = SIM_TRY(mig_flags());
  if (!m.mig) {
    if (target == MigState::RUNNING) return -1;
    return Errno{ENODEV};
  }
  int fd = -1;
  while (m.mig->state != target) {
    MigState next = SIM_TRY(migration::next_state(flags, m.mig->state, target));
    fd = SIM_TRY(mig_step(m, next));
    m.mig->state = next;
  }
  return fd;
}

// vfio_ap_transition_to_state(): the arcs a STOP_COPY-only device has.
Result<int> MatrixDev::mig_step(MatrixMdev& m, MigState next) {
  MigrationData& d = *m.mig;
  const MigState cur = d.state;
  auto open_file = [&](int& slot, bool writable) {
    slot = m_next_fd++;
    m_mig_files[slot] = {m.uuid(), writable};
    return slot;
  };
  if (cur == MigState::STOP && next == MigState::STOP_COPY) {
    d.saved.reset();
    d.read_pos = 0;
    return open_file(d.save_fd, false);
  }
  if (cur == MigState::STOP && next == MigState::RESUMING) {
    d.resume = {};
    return open_file(d.resume_fd, true);
  }
  if (cur == MigState::STOP_COPY && next == MigState::STOP) {
    d.save_fd = -1;  // vfio_ap_release_stop_copy_file(): the fd stays open but stale
    d.saved.reset();
    return -1;
  }
  if (cur == MigState::RESUMING && next == MigState::STOP) {
    d.resume_fd = -1;
    return -1;
  }
  if ((cur == MigState::STOP && next == MigState::RUNNING) || (cur == MigState::RUNNING && next == MigState::STOP))
    return -1;
  return Errno{EINVAL};  // WARN_ON in the kernel; next_state() never leads here
}

Result<size_t> MatrixDev::mig_data_size(const MatrixMdev& m) const {
  SIM_TRY(mig_flags());
  if (!m.mig) return Errno{ENODEV};
  return migration::config_size(static_cast<size_t>(m.shadow_apcb.apm.count()) *
                                static_cast<size_t>(m.shadow_apcb.aqm.count()));
}

// vfio_ap_get_config(): the guest's queues APID-major with their TAPQ
// words, and its control domains. Nothing is kept if a TAPQ fails.
Result<void> MatrixDev::mig_save(MatrixMdev& m) {
  migration::ApConfig c;
  c.adm = m.shadow_apcb.adm;
  ThisHost host(m_bus);
  std::vector<migration::LogLine> lines;
  int err = 0;
  m.shadow_apcb.apm.for_each([&](unsigned apid) {
    m.shadow_apcb.aqm.for_each([&](unsigned apqi) {
      if (err) return;
      auto t = host.tapq(apid, apqi);
      err = migration::hardware_info(m.uuid(), apid, apqi, t, lines);
      c.queues.push_back({t.hwinfo, static_cast<uint16_t>(apid << 8 | apqi)});
    });
  });
  emit(m_bus.klog(), lines);
  if (err) return Errno{err};
  m.mig->saved = migration::encode(c);
  return base::ok();
}

Result<std::vector<uint8_t>> MatrixDev::mig_read(int fd, size_t len, bool positioned) {
  // The VFS refuses a file not open for reading before the driver is asked.
  auto it = m_mig_files.find(fd);
  if (it == m_mig_files.end() || it->second.writable) return Errno{EBADF};
  if (positioned) return Errno{ESPIPE};
  MatrixMdev* m = find(it->second.uuid);
  if (!m || !m->mig) return Errno{ENODEV};
  MigrationData& d = *m->mig;
  if (fd != d.save_fd) return Errno{EINVAL};
  if (!d.saved) SIM_TRY_VOID(mig_save(*m));
  const std::vector<uint8_t>& s = *d.saved;
  size_t n = d.read_pos >= s.size() ? 0 : std::min(len, s.size() - d.read_pos);
  std::vector<uint8_t> out(s.begin() + static_cast<long>(d.read_pos), s.begin() + static_cast<long>(d.read_pos + n));
  d.read_pos += n;
  return out;
}

Result<size_t> MatrixDev::mig_write(int fd, std::span<const uint8_t> data, bool positioned) {
  auto it = m_mig_files.find(fd);
  if (it == m_mig_files.end() || !it->second.writable) return Errno{EBADF};
  MatrixMdev* m = find(it->second.uuid);
  if (positioned) return Errno{ESPIPE};
  if (data.empty()) return Errno{EINVAL};
  if (!m || !m->mig) return Errno{ENODEV};
  if (fd != m->mig->resume_fd) return Errno{ENXIO};
  size_t n = SIM_TRY(m->mig->resume.write(data, false));
  if (m->mig->resume.complete()) SIM_TRY_VOID(mig_resume(*m));
  return n;
}

// do_post_copy_processing(): the checks, then the source's configuration
// replaces the mdev's with ap_config's validation; on error nothing changes.
Result<void> MatrixDev::mig_resume(MatrixMdev& m) {
  const migration::ApConfig c = m.mig->resume.config();
  std::vector<migration::LogLine>& lines = m.mig->resume_log;
  int err = migration::post_copy_validation(m.uuid(), c, ThisHost(m_bus), lines);
  emit(m_bus.klog(), lines);
  if (err) return Errno{err};
  ApMatrix next;
  for (const auto& q : c.queues) {
    next.apm.set(q.apid());
    next.aqm.set(q.apqi());
  }
  next.adm = c.adm;
  return set_ap_config(m, next);
}

void MatrixDev::mig_close(int fd) { m_mig_files.erase(fd); }

void MatrixDev::mig_reset(MatrixMdev& m) {
  if (!m.mig) return;
  m.mig = std::make_unique<MigrationData>();
}

}  // namespace vfio_ap
