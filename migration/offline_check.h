// Can a guest's AP configuration move from one host to another? Answered
// from two snapshots, without a running guest: each of seed 004's rules with
// its verdict, and the outcome a live migration would have, in the order
// libvirt, QEMU and vfio_ap check (the same functions decide it): the
// destination's kernel lines and the source's console message. Beyond the
// kernel: CCA master-key verification patterns compared per queue (the
// seed leaves their synchronisation to the administrator), and a ranking of
// several destinations.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "migration/host_snapshot.h"

namespace migration {

struct Verdict {
  enum Kind { PASS, FAIL, WARN };
  Kind kind = PASS;
  const char* topic;                 // a short name for summaries
  std::string rule;                  // the requirement, in the seed's words
  std::vector<std::string> details;  // what breaks it, one per queue or domain
};

struct CheckReport {
  std::string guest, uuid;  // the guest may be "" (an mdev's configuration without one)
  std::string from, to;     // the hosts' names
  std::vector<Verdict> verdicts;
  // The outcome of a live migration.
  bool migrates = false;
  std::vector<std::string> source_log, destination_log;  // kernel lines, ratelimited as printed
  std::string console;                                    // virsh on the source, on failure

  int count(Verdict::Kind k) const;
  // 0 migrates, 1 migrates but warns, 2 needs only set-up on the destination
  // (mdev, vfio_ap bindings, other mdevs' assignments), 3 incompatible.
  int rank_class() const;
};

// The configuration of guest `guest` or, if empty, of mdev `uuid` on `src`.
// An error (no such guest or mdev) yields nothing.
base::Result<CheckReport> check_migration(const HostSnapshot& src, const std::string& guest, const std::string& uuid,
                                          const HostSnapshot& dst, std::string& error);

std::string format_report(const CheckReport& r);

// Every destination ranked: migrates, migrates with warnings, needs set-up,
// incompatible; then fewer warnings and problems first. `names[i]` labels dsts[i].
std::string format_ranking(const std::vector<CheckReport>& reports, const std::vector<std::string>& names);

}  // namespace migration
