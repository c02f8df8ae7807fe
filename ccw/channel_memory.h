// The storage a channel program runs in, as the channel subsystem reaches
// it: absolute addresses. On the host these are the kernel's copies of a
// guest's CCWs and IDAWs and the guest pages vfio_ccw pinned; a failed
// access is the channel's program or protection check, never a crash.
#pragma once

#include <cstdint>
#include <span>

namespace ccw {

class ChannelMemory {
 public:
  virtual ~ChannelMemory() = default;
  // All or nothing: false, and nothing copied, where any byte is unreachable.
  virtual bool read(uint64_t addr, std::span<uint8_t> out) const = 0;
  virtual bool write(uint64_t addr, std::span<const uint8_t> in) = 0;
};

}  // namespace ccw
