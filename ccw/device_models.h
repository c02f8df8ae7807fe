// The device models behind a host's subchannels: a 3390 (EckdDasd on its
// volume) for a device of type 3390, else a device that identifies itself
// and rejects everything else.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "ccw/css_config.h"
#include "ccw/device_model.h"

namespace ccw {

// A 3390's volume is opened here: a bad image is an error naming it.
base::Result<std::unique_ptr<DeviceModel>> make_device_model(const DeviceConfig& dev, std::string& error);

// SENSE ID (without CIWs), NOOP and BASIC SENSE; a command reject with
// sense byte 0 0x80 for any other command.
class BasicDevice final : public DeviceModel {
 public:
  explicit BasicDevice(const DeviceConfig& dev) : m_dev(dev) {}
  void start(uint8_t) override { m_commands = 0; }
  CommandEnd command(uint8_t cmd, std::span<uint8_t> data) override;
  std::array<uint8_t, 32> sense() override;

 private:
  DeviceConfig m_dev;
  std::array<uint8_t, 32> m_sense{};
  unsigned m_commands = 0;
};

}  // namespace ccw
