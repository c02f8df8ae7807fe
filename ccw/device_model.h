// What a control unit and its device answer the channel, one command at a
// time: the channel (ccw/channel) fetches the CCWs, moves the data and
// builds the status; a device model (ccw/eckd_dasd) only sees commands and
// their bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "ccw/channel_words.h"

namespace ccw {

// The direction of a command, by its code (the low bits of every CCW
// command: x1 write, x2 read, x3 control, 4 sense, C read backward).
inline bool is_input_command(uint8_t cmd) {
  return (cmd & 3) == 2 || (cmd & 0x0f) == 4 || (cmd & 0x0f) == 0x0c;
}

struct CommandEnd {
  // Device status at the end of the command: CE|DE, with SM when a search
  // matched (the channel then skips a CCW), UC when the device has sense.
  uint8_t dstat = DEV_STAT_CHN_END | DEV_STAT_DEV_END;
  // The bytes the command transfers as the device sees it: for input
  // commands what it has to send, for output commands what it takes. A
  // length other than the CCW's count is an incorrect length (unless SLI).
  size_t length = 0;
};

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;
  // A channel program starts on the path with mask `path` (one bit): state
  // that lives only for one program (DEFINE EXTENT, orientation) goes.
  virtual void start(uint8_t path) = 0;
  // One command. Output commands (write, control): `data` holds the bytes
  // the channel offers (the CCW's count). Input commands (read, sense): the
  // device writes at most data.size() bytes there. With the SKIP flag the
  // channel passes an empty span and discards what the device reads.
  virtual CommandEnd command(uint8_t cmd, std::span<uint8_t> data) = 0;
  // The sense bytes of the last unit check, for concurrent sense and BASIC
  // SENSE (0x04); presenting them clears the device's contingent state.
  virtual std::array<uint8_t, 32> sense() = 0;
};

}  // namespace ccw
