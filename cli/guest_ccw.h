// `mdevsim guest ccw NAME VERB ...`: the simulator acting as the channel
// subsystem and Linux of guest NAME, on one of its vfio-ccw devices (named
// by its device number as the guest sees it, 0.0.1234). One request is
// the words after "guest ccw"; the answer is text.
#pragma once

#include <string>
#include <vector>

#include "cli/ap_command.h"  // Mutate

namespace mdevsim {

// Verbs:
//   ssch DEVNO [fmt0] [lpm=HH] CCW...   START SUBCHANNEL; each CCW is
//       CMD,FLAGS,COUNT[,ADDR][,=HEX] in hex (data at ADDR, else in a buffer
//       of its own; =HEX is what a write sends) -> "cc N" and the layout
//   tsch DEVNO | stsch DEVNO | hsch DEVNO | csch DEVNO -> cc and the block
//   msch DEVNO enable|disable -> cc
//   stcrw -> cc and the CRW
//   read ADDR LENGTH -> hex;  write ADDR HEX -> ok
//   online DEVNO [path-message-once] -> what chccwdev -e prints
//   dmesg -> the guest's kernel log (dmesg -t)
//   dasd-read DEVNO BLOCK [LENGTH] -> hex of the 4 KiB block (its first LENGTH bytes)
//   dasd-write DEVNO BLOCK HEX -> ok (the block: HEX, then zeros)
//   ipl DEVNO -> the PSW the IPL loaded, or why it failed
bool guest_ccw_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out);

// "E4 20 0028" as one CCW word of a request: "E4,20,0028".
std::string ccw_word(const std::string& text);

}  // namespace mdevsim
