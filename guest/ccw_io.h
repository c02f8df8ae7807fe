// The guest kernel's side of a ccw device: what Linux's cio does to run a
// channel program on it (ccw_device_start(), the interrupt, TSCH), here on
// a simulated guest through QEMU's handling of its I/O instructions. The
// channel programs and their data lie in the guest's memory, in an area
// the guest kernel keeps for them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ccw/channel_words.h"
#include "qemu/guests.h"

namespace guest {

// Where the guest kernel puts its channel programs and their data: the
// CCWs at 1 MiB, data from 1 MiB + 64 KiB.
inline constexpr uint32_t CCW_AREA = 0x100000;
inline constexpr uint32_t DATA_AREA = 0x110000;

class CcwIo {
 public:
  CcwIo(qemu::Guests& guests, qemu::Guest& g, qemu::CcwDevice& dev) : m_guests(guests), m_guest(g), m_dev(dev) {}

  qemu::Guest& guest() { return m_guest; }
  qemu::CcwDevice& device() { return m_dev; }
  kvm::GuestMemory& memory() { return m_guest.kvm.memory; }

  // cio_enable_subchannel() as the guest's cio does it at recognition:
  // ISC 3, enabled, concurrent sense; cc of MSCH.
  unsigned enable(bool multipath = false);
  // Starts `ccws` (format 1, written at CCW_AREA) on the paths in `lpm`
  // and takes the status with TSCH once the interrupt came: the IRB, or
  // nothing when SSCH gave a cc (`cc` says which) or no interrupt came.
  std::optional<ccw::Irb> run(std::span<const ccw::Ccw1> ccws, uint8_t lpm, unsigned& cc);

 private:
  qemu::Guests& m_guests;
  qemu::Guest& m_guest;
  qemu::CcwDevice& m_dev;
};

// Status that ended well: channel end and device end, nothing else, and
// no channel status (what dasd_int_handler() and ccwreq_status() accept).
bool io_done(const ccw::Irb& irb);

}  // namespace guest
