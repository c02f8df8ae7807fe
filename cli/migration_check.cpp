#include "cli/migration_check.h"

#include <fmt/format.h>

#include "migration/offline_check.h"

namespace mdevsim {
namespace {

using migration::CheckReport;
using migration::HostSnapshot;

bool load(const std::string& path, HostSnapshot& s) {
  std::string error;
  auto r = migration::load_snapshot(path, error);
  if (!r) {
    fmt::print(stderr, "mdevsim: {}\n", error);
    return false;
  }
  s = std::move(*r);
  return true;
}

bool check(const HostSnapshot& src, const std::string& guest, const std::string& uuid, const HostSnapshot& dst, CheckReport& out) {
  std::string error;
  auto r = migration::check_migration(src, guest, uuid, dst, error);
  if (!r) {
    fmt::print(stderr, "mdevsim: {}\n", error);
    return false;
  }
  out = std::move(*r);
  return true;
}

}  // namespace

int cmd_migration_check(const std::string& from, const std::string& guest, const std::string& uuid, const std::string& to) {
  HostSnapshot src, dst;
  CheckReport r;
  if (!load(from, src) || !load(to, dst) || !check(src, guest, uuid, dst, r)) return 2;
  fmt::print("{}", migration::format_report(r));
  return r.migrates ? 0 : 1;
}

int cmd_migration_rank(const std::string& from, const std::string& guest, const std::string& uuid,
                       const std::vector<std::string>& destinations) {
  HostSnapshot src;
  if (!load(from, src)) return 2;
  std::vector<CheckReport> reports;
  for (const std::string& path : destinations) {
    HostSnapshot dst;
    CheckReport r;
    if (!load(path, dst) || !check(src, guest, uuid, dst, r)) return 2;
    reports.push_back(std::move(r));
  }
  fmt::print("{}", migration::format_ranking(reports, destinations));
  for (const CheckReport& r : reports)
    if (r.migrates) return 0;
  return 1;
}

}  // namespace mdevsim
