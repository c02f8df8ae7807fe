#include "migration/vfio_mig_state.h"

#include <array>
#include <charconv>

namespace migration {
namespace {

using S = MigState;
constexpr S ERR = S::ERROR, STP = S::STOP, RUN = S::RUNNING, SC = S::STOP_COPY, RES = S::RESUMING,
            R2P = S::RUNNING_P2P, PC = S::PRE_COPY, PC2P = S::PRE_COPY_P2P;

// vfio_from_fsm_table[cur][new], indexed by the enum values.
constexpr std::array<std::array<S, MIG_STATE_NR>, MIG_STATE_NR> FSM = {{
    //           ERROR STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P
    /* ERROR */ {ERR, ERR, ERR, ERR, ERR, ERR, ERR, ERR},
    /* STOP */ {ERR, STP, R2P, SC, RES, R2P, R2P, R2P},
    /* RUNNING */ {ERR, R2P, RUN, R2P, R2P, R2P, PC, R2P},
    /* STOP_COPY */ {ERR, STP, STP, SC, STP, STP, ERR, ERR},
    /* RESUMING */ {ERR, STP, STP, STP, RES, STP, STP, STP},
    /* RUNNING_P2P */ {ERR, STP, RUN, STP, STP, R2P, RUN, PC2P},
    /* PRE_COPY */ {ERR, RUN, RUN, PC2P, RUN, RUN, PC, PC2P},
    /* PRE_COPY_P2P */ {ERR, R2P, R2P, SC, R2P, R2P, PC, PC2P},
}};

// state_flags_table: the flags a device needs to offer a state.
constexpr std::array<uint64_t, MIG_STATE_NR> NEEDS = {
    ~uint64_t{0},                                                          // ERROR: never
    VFIO_MIGRATION_STOP_COPY,                                              // STOP
    VFIO_MIGRATION_STOP_COPY,                                              // RUNNING
    VFIO_MIGRATION_STOP_COPY,                                              // STOP_COPY
    VFIO_MIGRATION_STOP_COPY,                                              // RESUMING
    VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P,                         // RUNNING_P2P
    VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY,                    // PRE_COPY
    VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY,  // PRE_COPY_P2P
};

constexpr std::array<std::string_view, MIG_STATE_NR> NAMES = {"ERROR",    "STOP",        "RUNNING",  "STOP_COPY",
                                                             "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P"};

bool supported(uint64_t flags, S s) { return (NEEDS[static_cast<unsigned>(s)] & flags) == NEEDS[static_cast<unsigned>(s)]; }

}  // namespace

std::string_view state_name(MigState s) {
  auto i = static_cast<unsigned>(s);
  return i < MIG_STATE_NR ? NAMES[i] : "?";
}

std::optional<MigState> parse_state(std::string_view s) {
  for (unsigned i = 0; i < MIG_STATE_NR; ++i)
    if (s == NAMES[i]) return static_cast<MigState>(i);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size() && !s.empty() && v < MIG_STATE_NR) return static_cast<MigState>(v);
  return std::nullopt;
}

base::Result<MigState> next_state(uint64_t flags, MigState cur, MigState target) {
  if (static_cast<unsigned>(cur) >= MIG_STATE_NR || static_cast<unsigned>(target) >= MIG_STATE_NR)
    return base::Errno{EINVAL};
  if (!supported(flags, cur) || !supported(flags, target)) return base::Errno{EINVAL};
  // Hops through states the device does not offer are skipped; ERROR ends
  // the walk (the 2026 fix of an endless loop on STOP_COPY -> PRE_COPY).
  S next = FSM[static_cast<unsigned>(cur)][static_cast<unsigned>(target)];
  while (next != S::ERROR && !supported(flags, next)) next = FSM[static_cast<unsigned>(next)][static_cast<unsigned>(target)];
  if (next == S::ERROR) return base::Errno{EINVAL};
  return next;
}

}  // namespace migration
