// A host's AP configuration as the migration checks need it, taken from a
// running simulator (`mdevsim snapshot`) and kept as JSON: the bus masks, the
// QCI masks, every queue device with its driver, its TAPQ answer and its CCA
// master-key verification patterns, the mdevs with their assignments and
// guest views, and the guests. The offline check reads two of them.
#pragma once

#include <cstdint>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bitmap256.h"
#include "base/result.h"
#include "migration/destination_checks.h"

namespace migration {

struct QueueSnapshot {
  uint16_t apqn;        // apid << 8 | apqi
  std::string driver;   // "" if none is bound
  TargetHost::Tapq tapq;
  // The CURrent master keys' verification patterns, as the CCA coprocessor
  // reports them; none for other queues. Kept inline: a check compares
  // them for every queue.
  struct MasterKeys {
    static constexpr const char* NAMES[3] = {"AES", "APKA", "ASYM"};
    std::array<std::array<uint8_t, 16>, 3> reg{};  // AES and APKA use 8 bytes
    static constexpr size_t size(int r) { return r == 2 ? 16 : 8; }
    friend bool operator==(const MasterKeys&, const MasterKeys&) = default;
  };
  std::optional<MasterKeys> mkvps;
  unsigned apid() const { return apqn >> 8; }
  unsigned apqi() const { return apqn & 0xff; }
};

// Adapters, domains and control domains.
struct Masks {
  base::Bitmap256 apm, aqm, adm;
  friend bool operator==(const Masks&, const Masks&) = default;
};

struct MdevSnapshot {
  std::string uuid;
  Masks matrix;       // assigned (matrix, control_domains)
  Masks guest_matrix; // the guest's view (guest_matrix): what migrates
  std::string guest;  // the guest using it, or ""
};

struct GuestSnapshot {
  std::string name;
  std::string mdev;  // its vfio-ap device, or ""
  // Its vfio-ccw devices, by the device number QEMU gave them (fe.0.1234):
  // none of them can migrate.
  std::vector<std::string> vfio_ccw{};
};

struct HostSnapshot {
  std::string host;                // a name for people
  bool migratable = true;          // matrix features name "migratable"
  base::Bitmap256 apmask, aqmask;  // /sys/bus/ap/apmask, aqmask
  Masks config;                    // QCI: ap_adapter_mask, ap_usage_domain_mask, ap_control_domain_mask
  std::vector<QueueSnapshot> queues;  // ascending APQN
  std::vector<MdevSnapshot> mdevs;
  std::vector<GuestSnapshot> guests;

  // The queue device of an APQN, or nullptr. Call index() after changing queues.
  const QueueSnapshot* queue(unsigned apid, unsigned apqi) const {
    int i = m_index.empty() ? -1 : m_index[apid << 8 | apqi];
    return i < 0 ? nullptr : &queues[static_cast<size_t>(i)];
  }
  // Its queue device is bound to vfio_ap.
  bool vfio_ap(unsigned apid, unsigned apqi) const { return !m_vfio_ap.empty() && m_vfio_ap[apid << 8 | apqi]; }
  const MdevSnapshot* mdev(std::string_view uuid) const;
  const GuestSnapshot* guest(std::string_view name) const;
  void index();

 private:
  std::vector<int32_t> m_index;  // APQN -> position in queues, -1 for none
  std::vector<bool> m_vfio_ap;   // APQN -> bound to vfio_ap
};

std::string to_json(const HostSnapshot& s);
// Every error names the key and the reason; a snapshot with any error yields nothing.
base::Result<HostSnapshot> parse_snapshot(std::string_view json_text, std::string& error);
base::Result<HostSnapshot> load_snapshot(const std::string& path, std::string& error);

// A snapshot as the destination checks ask their host.
class SnapshotHost final : public TargetHost {
 public:
  explicit SnapshotHost(const HostSnapshot& s) : m_s(s) {}
  bool bound_to_vfio_ap(unsigned apid, unsigned apqi) const override { return m_s.vfio_ap(apid, apqi); }
  bool control_domain(unsigned dom) const override { return m_s.config.adm.test(dom); }
  Tapq tapq(unsigned apid, unsigned apqi) const override {
    const QueueSnapshot* q = m_s.queue(apid, apqi);
    return q ? q->tapq : Tapq{0x01, false, 0};  // AP_RESPONSE_Q_NOT_AVAIL
  }

 private:
  const HostSnapshot& m_s;
};

}  // namespace migration
