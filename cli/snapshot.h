// `mdevsim snapshot`: the running simulator's AP configuration as the
// migration checks need it (migration/host_snapshot.h).
#pragma once

#include <string>

#include "migration/host_snapshot.h"

namespace mdevsim {

class System;

// Under the model lock (shared).
migration::HostSnapshot take_snapshot(System& sys, const std::string& name);

}  // namespace mdevsim
