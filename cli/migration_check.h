// `mdevsim migration check` and `mdevsim migration rank`: the offline
// compatibility check between snapshots (migration/offline_check.h).
#pragma once

#include <string>
#include <vector>

namespace mdevsim {

// Exit status: 0 the migration would succeed, 1 it would fail, 2 bad input.
int cmd_migration_check(const std::string& from, const std::string& guest, const std::string& uuid, const std::string& to);
// 0 if some destination would take the guest, 1 if none, 2 bad input.
int cmd_migration_rank(const std::string& from, const std::string& guest, const std::string& uuid,
                       const std::vector<std::string>& destinations);

}  // namespace mdevsim
