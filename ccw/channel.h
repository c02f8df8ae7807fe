// The channel: it runs a command-mode channel program from an ORB against a
// device model, as the hardware does after START SUBCHANNEL. It fetches
// CCWs (format 0 or 1) from channel memory, follows TICs, moves data
// directly or through IDAWs (format 1, or format 2 with 2K or 4K blocks),
// chains data and commands, honours SKIP, SLI and the status modifier, and
// ends with the status a subchannel presents: the address of the last CCW
// plus 8, the residual count, device and channel status.
#pragma once

#include <cstdint>

#include "ccw/channel_memory.h"
#include "ccw/channel_words.h"
#include "ccw/device_model.h"

namespace ccw {

struct ChannelEnd {
  uint32_t cpa = 0;      // the last CCW executed (or the failing one) + 8
  uint16_t count = 0;    // its residual count
  uint8_t dstat = 0;     // device status of the last command
  uint8_t cstat = 0;     // channel status: IL, program check, protection check...
  unsigned ccws = 0;     // CCWs the channel fetched (for the benchmark and tests)
  friend bool operator==(const ChannelEnd&, const ChannelEnd&) = default;
};

// Runs the program at orb.cpa on `path` (a one-bit mask). A program check
// (a misaligned CCW, a TIC to a TIC, a format-0 count of 0, a bad IDAW
// address or alignment, storage the channel cannot reach, ...) ends the
// program at the CCW that failed. PCI is reported in the final status;
// suspending is not supported (a program check).
ChannelEnd run_channel_program(const Orb& orb, uint8_t path, ChannelMemory& mem, DeviceModel& dev);

}  // namespace ccw
