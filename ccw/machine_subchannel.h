// A subchannel as the machine keeps it, below the kernel: the SCHIB and
// the I/O instructions on it (START, HALT, CLEAR, TEST, STORE and MODIFY
// SUBCHANNEL, cio's ioasm.c), which run channel programs on the device
// model behind it and make status pending. The interrupt that follows is
// delivered by deliver(), after the instruction's caller is done, as the
// real one arrives after the kernel lets go of the subchannel lock.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "ccw/channel.h"
#include "ccw/channel_words.h"
#include "ccw/device_model.h"

namespace ccw {

// struct pmcw (cio.h).
struct Pmcw {
  uint32_t intparm = 0;
  bool qf = false, w = false;
  uint8_t isc = 0;
  bool ena = false;
  uint8_t lm = 0, mme = 0;
  bool mp = false, tf = false, dnv = false;
  uint16_t dev = 0;
  uint8_t lpm = 0, pnom = 0, lpum = 0, pim = 0;
  uint16_t mbi = 0;
  uint8_t pom = 0, pam = 0;
  std::array<uint8_t, 8> chpid{};
  uint8_t st = 0;  // subchannel type
  bool mbfc = false, xmwme = false, csense = false;
  friend bool operator==(const Pmcw&, const Pmcw&) = default;
};

// struct schib: PMCW, SCSW, measurement-block address and model data.
struct Schib {
  Pmcw pmcw;
  Scsw scsw;
  uint64_t mba = 0;
  std::array<uint8_t, 4> mda{};
};
inline constexpr size_t SCHIB_SIZE = 52;
std::array<uint8_t, SCHIB_SIZE> encode(const Schib& s);
Schib decode_schib(std::span<const uint8_t, SCHIB_SIZE> b);

// MODIFY SUBCHANNEL's work on a SCHIB: cc 1 with status pending, 2 while a
// function runs, else the program-modifiable fields (intparm, isc, ena, lm,
// mme, mp, lpm, mbi, pom, mbfc, csense, mba) from `in` and cc 0.
unsigned modify_subchannel(Schib& s, const Schib& in);

class MachineSubchannel {
 public:
  MachineSubchannel(const Pmcw& pmcw, DeviceModel* device) : m_schib{pmcw, {}, 0, {}}, m_device(device) {}

  // Condition codes as the instructions set them.
  unsigned ssch(const Orb& orb, ChannelMemory& mem);
  unsigned tsch(Irb& irb);
  unsigned hsch();
  unsigned csch();
  unsigned stsch(Schib& out) const;
  // MSCH: modify_subchannel(); cc 3 without a device.
  unsigned msch(const Schib& in);

  // The paths the machine has (a channel path configured off leaves PAM).
  void set_pam(uint8_t pam) { m_schib.pmcw.pam = pam; }
  const Schib& schib() const { return m_schib; }
  bool status_pending() const { return m_schib.scsw.ctrl & SCSW_STCTL_STATUS_PEND; }

  // The I/O interrupt: the host's interrupt handler.
  std::function<void()> on_interrupt;
  // Presents a pending interrupt to on_interrupt, unless it is held.
  void deliver();

  // Faults. The device answers no more (cc 3 on every instruction but
  // STSCH); a started program's interrupt is held until release or lost
  // (the subchannel stays busy until HALT or CLEAR); the next `busy` starts
  // find the device busy (initial status BUSY); the next start ends at its
  // first CCW with a unit check and the sense bytes given.
  enum class InterruptFault { None, Hold, Lose };
  struct Faults {
    bool not_operational = false;
    InterruptFault interrupt = InterruptFault::None;
    unsigned busy = 0;
    std::optional<std::array<uint8_t, 32>> unit_check;
  };
  Faults faults;
  // Ends an active program as a lost path does: interface-control check.
  bool lose_path(uint8_t path_mask);
  // What the last program did (for tests and the benchmark).
  const ChannelEnd& last_program() const { return m_last; }

 private:
  void make_status_pending(const std::optional<std::array<uint8_t, 32>>& sense = std::nullopt);
  bool operational() const { return m_schib.pmcw.dnv && m_schib.pmcw.ena && !faults.not_operational; }

  Schib m_schib;
  DeviceModel* m_device;
  Irb m_irb;  // ESW and ECW of the pending status
  bool m_interrupt_queued = false;
  bool m_program_active = false;  // started, its end not yet status
  std::optional<ChannelEnd> m_held;
  ChannelEnd m_last;
};

}  // namespace ccw
