// What the source host's console (virsh migrate) prints when a live
// migration of a guest with a vfio-ap device fails, in seed 004's words, so
// that the live path and the offline check say the same.
#pragma once

#include <string>
#include <vector>

#include "migration/destination_checks.h"

namespace migration::virsh {

// qemuMigrationSrcIsAllowedHostdev(): a vfio-ccw mdev cannot migrate.
std::string hostdev_not_migratable();
// Why, said plainly for the vfio-ccw device at `devpath` ("fe.0.1234", the
// virtual css bus's "%02x.%1x.%04x"): vfio_ccw has no migration support and
// QEMU's unmigratable vmstate blocks it (qemu_savevm_state_blocked()).
std::string vfio_ccw_not_migratable(const std::string& devpath);
// libvirt's prepare step on the destination.
std::string mdev_missing(const std::string& uuid);
std::string domain_active(const std::string& name);
std::string mdev_in_use(const std::string& uuid, const std::string& guest);
std::string migration_in_failed(int err);   // the destination's device refused RESUMING
std::string migration_out_failed(int err);  // the source's device could not be saved
// The destination's load failed with `err`; `log` is what its vfio_ap
// logged: a queue whose TAPQ failed is named instead of the errno.
std::string load_failed(int err, const std::vector<LogLine>& log);
// The same from what travels back to the source: the errno and that queue
// ("XX.YYYY", or "-").
std::string load_failed(int err, const std::string& tapq_failed_apqn);
// The queue of the last "Failed to get hwinfo" line, or "-".
std::string tapq_failed_apqn(const std::vector<LogLine>& log);

}  // namespace migration::virsh
