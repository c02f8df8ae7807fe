// The vfio_ap matrix device and its mediated devices (vfio_ap_ops.c): what
// each mdev has assigned (`matrix`), what its guest may use (the shadow APCB,
// a pure function of the assignment, the host configuration and the queue
// bindings), what it gives the guest's KVM while QEMU has it open, and hot
// plug between them.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "apbus/ap_bus.h"
#include "base/bitmap256.h"
#include "mdev/mdev_core.h"
#include "mdev/vfio_ap_migration.h"

namespace vfio_ap {

using base::Bitmap256;
using base::Errno;
using base::Result;

// struct ap_matrix: adapters, usage domains, control domains.
struct ApMatrix {
  Bitmap256 apm, aqm, adm;
  friend bool operator==(const ApMatrix&, const ApMatrix&) = default;
};

// struct ap_matrix_mdev.
struct MatrixMdev {
  mdev::MdevDevice* mdev;
  ApMatrix matrix;       // assigned
  ApMatrix shadow_apcb;  // what the guest gets
  unsigned remove_requests = 0;  // vfio_ap_mdev_request() calls so far
  std::chrono::steady_clock::time_point last_request;
  std::unique_ptr<MigrationData> mig;  // while the VFIO device is open
  const std::string& uuid() const { return mdev->uuid; }
  kvm::Kvm* kvm() const { return mdev->kvm; }  // while QEMU has it open
};

// The uapi's eventfd indexes of a vfio-ap device.
inline constexpr unsigned VFIO_AP_REQ_IRQ_INDEX = 0;
inline constexpr unsigned VFIO_AP_CFG_CHG_IRQ_INDEX = 1;

// apq_reset_check(): TAPQs (20 ms apart) one check spends before the
// reset is left pending; the notices a burst of the ratelimit lets out.
inline constexpr int RESET_CHECKS_MAX = 64;
inline constexpr int RESET_NOTICE_BURST = 10;

class MatrixDev final : public mdev::MdevDriverOps {
 public:
  MatrixDev(ap::ApBus& bus, mdev::MdevCore& core, sysfs::Tree& tree);
  ~MatrixDev() override;

  // Limits from the QCI data captured at load (vfio_ap_matrix_init()).
  unsigned apm_max() const { return m_apm_max; }
  unsigned aqm_max() const { return m_aqm_max; }
  unsigned adm_max() const { return m_adm_max; }

  // ------------------------------------------------ mdev attribute stores
  Result<void> assign_adapter(MatrixMdev& m, uint64_t apid);
  Result<void> assign_domain(MatrixMdev& m, uint64_t apqi);
  Result<void> assign_control_domain(MatrixMdev& m, uint64_t id);
  Result<void> unassign_adapter(MatrixMdev& m, uint64_t apid);
  Result<void> unassign_domain(MatrixMdev& m, uint64_t apqi);
  Result<void> unassign_control_domain(MatrixMdev& m, uint64_t id);
  Result<void> set_ap_config(MatrixMdev& m, const ApMatrix& next);

  // -------------------------------------------- vfio_ap AP queue driver
  void probe_queue(ap::ApQueue& q);
  void remove_queue(ap::ApQueue& q);
  Result<void> in_use(const Bitmap256& apm, const Bitmap256& aqm);
  // status_show(): "in use", "assigned" or "unassigned".
  const char* queue_status(const ap::ApQueue& q) const;
  // After a bus scan: host configuration or queue states may have changed.
  void on_scan_complete();

  // ---------------------------- live migration (vfio_ap_migration.cpp)
  // The VFIO_DEVICE_FEATURE calls and the data files' read(2)/write(2) as
  // the migration series implements them. Files are numbered like fds.
  // VFIO_DEVICE_FEATURE_MIGRATION: the flags; ENOTTY on a kernel without it.
  Result<uint64_t> mig_flags() const;
  // MIG_DEVICE_STATE GET: RUNNING before the open.
  Result<migration::MigState> mig_get_state(const MatrixMdev& m) const;
  // MIG_DEVICE_STATE SET, arc by arc: the new data file's number for
  // STOP_COPY and RESUMING, else -1. Before the open: RUNNING does nothing,
  // anything else ENODEV; a state the device lacks or no way there EINVAL.
  Result<int> mig_set_state(MatrixMdev& m, migration::MigState target);
  // MIG_DATA_SIZE: 40 + 16 * the guest's queues.
  Result<size_t> mig_data_size(const MatrixMdev& m) const;
  // read(2) (pread(2) with `positioned`) of a data file: the bytes, empty at
  // the end. EBADF for the RESUMING file or an unknown one.
  Result<std::vector<uint8_t>> mig_read(int fd, size_t len, bool positioned);
  // write(2) / pwrite(2) of the RESUMING file; the last byte runs the
  // destination checks and applies the configuration.
  Result<size_t> mig_write(int fd, std::span<const uint8_t> data, bool positioned);
  void mig_close(int fd);
  // VFIO_DEVICE_RESET: the data files go, the state is RUNNING again.
  void mig_reset(MatrixMdev& m);

  const std::list<MatrixMdev>& mdevs() const { return m_mdevs; }  // newest first
  MatrixMdev* find(std::string_view uuid);
  ap::ApBus& bus() const { return m_bus; }

  // ^mdev::MdevDriverOps
  Result<void> probe(mdev::MdevDevice& dev) override;
  void remove_attrs(mdev::MdevDevice& dev) override;
  Result<void> remove(mdev::MdevDevice& dev) override;
  // vfio_ap_mdev_open_device(): vfio_ap_mdev_set_kvm() puts the shadow APCB
  // into the guest's CRYCB and hooks its PQAP(AQIC).
  Result<void> open_device(mdev::MdevDevice& dev) override;
  // vfio_ap_mdev_close_device(): the CRYCB is cleared, every queue reset.
  void close_device(mdev::MdevDevice& dev) override;

 private:
  // Host configuration as vfio_ap sees it (QCI masks).
  ApMatrix host() const;
  // `leaving` is a queue on its way out of vfio_ap, still bound meanwhile.
  ApMatrix filter(const ApMatrix& matrix, const ap::ApQueue* leaving = nullptr) const;
  Result<void> validate(const MatrixMdev& m, const ApMatrix& candidate);
  Result<void> update_mask(MatrixMdev& m, Bitmap256 ApMatrix::*mask, unsigned max, uint64_t id, bool assign);
  // Installs a new assignment that passed validation, then hot plugs.
  void commit(MatrixMdev& m, const ApMatrix& next);
  // Recomputes the guest view; updates the guest and resets the queues of
  // adapters that left it.
  void update_guest(MatrixMdev& m, const ap::ApQueue* leaving = nullptr);
  void reset_queue(ap::ApQueue& q);
  void check_reset(ap::ApQueue& q);
  // handle_pqap() for a queue of the guest's mdev.
  ap::ApQueueStatus guest_aqic(const MatrixMdev& m, unsigned apid, unsigned apqi, bool enable, uint64_t nib);
  void reset_adapters(const Bitmap256& apm, const Bitmap256& aqm);
  MatrixMdev* assigned_to(unsigned apid, unsigned apqi);
  void log(const MatrixMdev& m, base::LogLevel level, const std::string& text);
  // One migration step (vfio_ap_transition_to_state()).
  Result<int> mig_step(MatrixMdev& m, migration::MigState next);
  Result<void> mig_save(MatrixMdev& m);
  Result<void> mig_resume(MatrixMdev& m);

  ap::ApBus& m_bus;
  mdev::MdevCore& m_core;
  sysfs::Directory* m_matrix_dir;
  unsigned m_apm_max, m_aqm_max, m_adm_max;
  std::list<MatrixMdev> m_mdevs;
  int m_next_fd = 3;
  struct MigFile {
    std::string uuid;  // its mdev
    bool writable;     // O_WRONLY (RESUMING), else O_RDONLY (STOP_COPY)
  };
  std::map<int, MigFile> m_mig_files;
};

}  // namespace vfio_ap
