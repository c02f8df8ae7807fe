#include "migration/virsh_messages.h"

#include <fmt/format.h>

#include <cstring>

namespace migration::virsh {

std::string mdev_missing(const std::string& uuid) {
  return fmt::format("error: device not found: mediated device '{}' not found", uuid);
}

std::string domain_active(const std::string& name) {
  return fmt::format("error: operation failed: domain '{}' is already active", name);
}

std::string hostdev_not_migratable() {
  return "error: Operation not supported: cannot migrate a domain with <hostdev mode='subsystem' type='mdev'>";
}

std::string vfio_ccw_not_migratable(const std::string& devpath) {
  return fmt::format("vfio-ccw device {} cannot migrate: vfio_ccw has no VFIO migration support (VFIO_DEVICE_FEATURE "
                     "MIGRATION: ENOTTY), and QEMU blocks it: State blocked by non-migratable device '/{}/vfio-ccw'",
                     devpath, devpath);
}

std::string mdev_in_use(const std::string& uuid, const std::string& guest) {
  return fmt::format("error: Requested operation is not valid: mediated device /sys/bus/mdev/devices/{} is in use by "
                     "driver QEMU, domain {}",
                     uuid, guest);
}

std::string migration_in_failed(int err) {
  return fmt::format("error: operation failed: job 'migration in' failed: {}", std::strerror(err));
}

std::string migration_out_failed(int err) {
  return fmt::format("error: operation failed: job 'migration out' failed: {}", std::strerror(err));
}

std::string tapq_failed_apqn(const std::vector<LogLine>& log) {
  std::string apqn = "-";
  for (const LogLine& l : log)
    if (l.apqn >= 0) apqn = fmt::format("{:02x}.{:04x}", l.apqn >> 8, l.apqn & 0xff);
  return apqn;
}

std::string load_failed(int err, const std::string& tapq_failed_apqn) {
  std::string why = tapq_failed_apqn != "-"
                        ? fmt::format("failed to get hardware information for queue device {}", tapq_failed_apqn)
                        : fmt::format("{}: Failed to load vmstate version_id: 1, ret: -{}", std::strerror(err), err);
  return "error: operation failed: migration failed. Message from the source host: operation failed: job 'migration "
         "out' failed: Sibling indicated error 1. Message from the destination host: operation failed: job 'migration "
         "in' failed: load of migration failed: " + why;
}

std::string load_failed(int err, const std::vector<LogLine>& log) { return load_failed(err, tapq_failed_apqn(log)); }

}  // namespace migration::virsh
