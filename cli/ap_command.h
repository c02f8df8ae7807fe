// `mdevsim ap ...` on the simulator's side: AP instructions executed as the
// host or as a running guest, and the machine's faults. One request is the
// words after "ap"; the answer is one line of key=value pairs.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mdevsim {

class System;

// Runs `f` under the model's exclusive lock, as the FUSE server does for a
// change (so readers see it at once).
using Mutate = std::function<bool(const std::function<bool()>&)>;

// Requests (APQN as 05.0004; @NAME runs it in guest NAME):
//   tapq [@NAME] APQN | rapq ... | zapq ... | qact [@NAME] APQN CAT
//   aqic [@NAME] APQN on NIB | aqic [@NAME] APQN off
//   qci [@NAME]
//   nqap [@NAME] APQN PSMID HEX [special]
//   dqap [@NAME] APQN LENGTH [WAIT_MS]
//   fault cardXX [config=0|1] [chkstop=0|1]
//   fault XX.YYYY [clear] [lost=..] [deconfigured=..] [checkstopped=..] [busy=..]
//         [hold_reset=..] [reset_polls=N] [hold_irq=..] [fail=..] [stall=..]
// False and a message in `out` for a bad request.
bool ap_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out);

}  // namespace mdevsim
