// The VFIO device migration state machine (include/uapi/linux/vfio.h,
// vfio_mig_get_next_state() in drivers/vfio/vfio_main.c): the states, the
// migration flags a device offers, and the next hop from one state towards
// another, which a driver follows arc by arc.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace migration {

enum class MigState : uint32_t {
  ERROR = 0,
  STOP = 1,
  RUNNING = 2,
  STOP_COPY = 3,
  RESUMING = 4,
  RUNNING_P2P = 5,
  PRE_COPY = 6,
  PRE_COPY_P2P = 7,
};
inline constexpr unsigned MIG_STATE_NR = 8;

// struct vfio_device_feature_migration.flags.
inline constexpr uint64_t VFIO_MIGRATION_STOP_COPY = 1 << 0, VFIO_MIGRATION_P2P = 1 << 1,
                          VFIO_MIGRATION_PRE_COPY = 1 << 2;

// "RUNNING", "STOP_COPY", ...; parse_state() takes those names or the number.
std::string_view state_name(MigState s);
std::optional<MigState> parse_state(std::string_view s);

// vfio_mig_get_next_state(): the next state to step to on the way from `cur`
// to `target` for a device with migration flags `flags`: EINVAL if either
// state needs flags the device lacks, or if there is no way (ERROR).
base::Result<MigState> next_state(uint64_t flags, MigState cur, MigState target);

}  // namespace migration
