// The vfio_ap matrix device and its mediated devices (vfio_ap_ops.c): what
// each mdev has assigned (`matrix`), what its guest may use (the shadow APCB,
// a pure function of the assignment, the host configuration and the queue
// bindings), simulated KVM guests, and hot plug between them.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apbus/ap_bus.h"
#include "base/bitmap256.h"
#include "mdev/mdev_core.h"

namespace vfio_ap {

using base::Bitmap256;
using base::Errno;
using base::Result;

// struct ap_matrix: adapters, usage domains, control domains.
struct ApMatrix {
  Bitmap256 apm, aqm, adm;
  friend bool operator==(const ApMatrix&, const ApMatrix&) = default;
};

struct MatrixMdev;

// A simulated KVM guest started as QEMU would with -device vfio-ap.
struct Kvm {
  std::string name;
  bool ap_facility = true;  // -cpu ...,ap=on
  bool unplug_on_request = false;  // QEMU unplugs the device when asked
  ApMatrix crycb;           // the masks in the guest's CRYCB
  MatrixMdev* mdev = nullptr;
  uint64_t cfg_chg_count = 0;   // CFG_CHG eventfd signals
  uint64_t req_count = 0;       // REQ eventfd signals (remove requests)
};

// struct ap_matrix_mdev.
struct MatrixMdev {
  mdev::MdevDevice* mdev;
  ApMatrix matrix;       // assigned
  ApMatrix shadow_apcb;  // what the guest gets
  Kvm* kvm = nullptr;
  unsigned remove_requests = 0;  // vfio_ap_mdev_request() calls so far
  std::chrono::steady_clock::time_point last_request;
  const std::string& uuid() const { return mdev->uuid; }
};

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

  // ------------------------------------------------------------- guests
  struct GuestOptions {
    bool ap_facility = true;
    bool unplug_on_request = false;
  };
  // Starts a guest with one -device vfio-ap per UUID (QEMU realize and the
  // VFIO open). `error` is QEMU's message on failure.
  bool start_guest(const std::string& name, const std::vector<std::string>& uuids, const GuestOptions& opts,
                   std::string& error);
  bool stop_guest(const std::string& name, std::string& error);
  const std::map<std::string, std::unique_ptr<Kvm>>& guests() const { return m_guests; }
  // What the guest's AP instructions reach: the firmware interprets them
  // against its CRYCB. AQIC is intercepted and goes through vfio_ap.
  static ap::ApView guest_view(const Kvm& kvm);
  ap::ApQueueStatus guest_aqic(const Kvm& kvm, unsigned apid, unsigned apqi, bool enable, uint64_t nib);

  const std::list<MatrixMdev>& mdevs() const { return m_mdevs; }  // newest first
  MatrixMdev* find(std::string_view uuid);
  ap::ApBus& bus() const { return m_bus; }

  // ^mdev::MdevDriverOps
  Result<void> probe(mdev::MdevDevice& dev) override;
  void remove_attrs(mdev::MdevDevice& dev) override;
  Result<void> remove(mdev::MdevDevice& dev) override;

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
  void close_device(MatrixMdev& m);
  void reset_adapters(const Bitmap256& apm, const Bitmap256& aqm);
  MatrixMdev* assigned_to(unsigned apid, unsigned apqi);
  void log(const MatrixMdev& m, base::LogLevel level, const std::string& text);

  ap::ApBus& m_bus;
  mdev::MdevCore& m_core;
  sysfs::Directory* m_matrix_dir;
  unsigned m_apm_max, m_aqm_max, m_adm_max;
  std::list<MatrixMdev> m_mdevs;
  std::map<std::string, std::unique_ptr<Kvm>> m_guests;
};

}  // namespace vfio_ap
