// `mdevsim ccw fault SUBCHANNEL KEY=VALUE...`: faults of the machine's
// subchannels and the devices behind them, as a test of cio, vfio_ccw,
// QEMU or a guest's drivers needs them. One request is the words after
// "ccw"; the answer is the subchannel's faults after the change.
#pragma once

#include <string>
#include <vector>

#include "cli/ap_command.h"  // Mutate

namespace mdevsim {

// Keys: notoper=0|1 (every instruction but STSCH: cc 3), interrupt=
// normal|hold|lose (a started program's interrupt is held until
// `release`, or never comes: the subchannel stays busy until HALT or
// CLEAR), busy=N (the next N starts find the device busy),
// unit_check=HEX (the next start ends with a unit check and these sense
// bytes, zero-padded to 32), media_error=TRACK (records on that track read
// and write as a data check; several keys add tracks), media_error=none,
// release (present a held interrupt now), clear (all off). A channel path
// lost while a program is active: interrupt=lose, then
// `echo 0 > /sys/devices/css0/chp0.xx/configure`.
bool ccw_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out);

}  // namespace mdevsim
