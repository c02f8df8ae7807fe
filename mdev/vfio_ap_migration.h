// vfio_ap's side of live guest migration (the migration series' file
// vfio_ap_migration.c, spec §8): the per-device migration state that exists
// from the VFIO open to the close, and the two data files.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "migration/ap_config_stream.h"
#include "migration/destination_checks.h"
#include "migration/vfio_mig_state.h"

namespace ap {
class ApBus;
}

namespace vfio_ap {

// vdev migration_flags: STOP_COPY only.
inline constexpr uint64_t VFIO_AP_MIGRATION_FLAGS = migration::VFIO_MIGRATION_STOP_COPY;

// This host as the destination checks (and the source's save) ask it.
class ThisHost final : public migration::TargetHost {
 public:
  explicit ThisHost(ap::ApBus& bus);
  bool bound_to_vfio_ap(unsigned apid, unsigned apqi) const override;
  bool control_domain(unsigned dom) const override;
  Tapq tapq(unsigned apid, unsigned apqi) const override;

 private:
  ap::ApBus& m_bus;
};

// struct vfio_ap_migration_data.
struct MigrationData {
  migration::MigState state = migration::MigState::RUNNING;
  int save_fd = -1;    // the STOP_COPY file, read-only
  int resume_fd = -1;  // the RESUMING file, write-only
  std::optional<std::vector<uint8_t>> saved;  // made at the first read
  size_t read_pos = 0;
  migration::ResumeBuffer resume;
  std::vector<migration::LogLine> resume_log;  // what the last byte's checks found
};

}  // namespace vfio_ap
