#include "ccw/device_models.h"

#include <algorithm>

#include "base/big_endian.h"
#include "ccw/eckd_dasd.h"

namespace ccw {

base::Result<std::unique_ptr<DeviceModel>> make_device_model(const DeviceConfig& dev, std::string& error) {
  if (dev.dev_type != 0x3390) return std::unique_ptr<DeviceModel>(std::make_unique<BasicDevice>(dev));
  eckd::Geometry g;
  g.cylinders = dev.cylinders;
  g.cu_type = dev.cu_type;
  g.cu_model = dev.cu_model;
  g.dev_type = dev.dev_type;
  g.dev_model = dev.dev_model;
  auto volume = eckd::CkdVolume::open(g, dev.devno, dev.image, error);
  if (!volume) return volume.error();
  return std::unique_ptr<DeviceModel>(std::make_unique<eckd::EckdDasd>(std::move(*volume), dev.devno));
}

CommandEnd BasicDevice::command(uint8_t cmd, std::span<uint8_t> data) {
  if (m_commands++ == 0 && cmd != CCW_CMD_BASIC_SENSE) m_sense = {};
  const CommandEnd ok;
  if (cmd == CCW_CMD_NOOP) return {ok.dstat, data.size()};  // takes the count, moves nothing
  if (cmd == CCW_CMD_BASIC_SENSE) {
    auto s = sense();
    std::copy_n(s.begin(), std::min(data.size(), s.size()), data.begin());
    return {ok.dstat, s.size()};
  }
  if (cmd == CCW_CMD_SENSE_ID) {
    std::array<uint8_t, 7> id{0xff};
    base::put_be16(&id[1], static_cast<uint16_t>(m_dev.cu_type));
    id[3] = static_cast<uint8_t>(m_dev.cu_model);
    base::put_be16(&id[4], static_cast<uint16_t>(m_dev.dev_type));
    id[6] = static_cast<uint8_t>(m_dev.dev_model);
    std::copy_n(id.begin(), std::min(data.size(), id.size()), data.begin());
    return {ok.dstat, id.size()};
  }
  m_sense = {};
  m_sense[0] = 0x80;  // command reject
  return {static_cast<uint8_t>(ok.dstat | DEV_STAT_UNIT_CHECK), 0};
}

std::array<uint8_t, 32> BasicDevice::sense() {
  auto s = m_sense;
  m_sense = {};
  return s;
}

}  // namespace ccw
