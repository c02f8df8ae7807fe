// The TAPQ GR2 word (struct ap_tapq_hwinfo) and the QCI facility flags: bit
// layouts from arch/s390/include/asm/ap.h, MSB-first as the hardware stores them.
#pragma once

#include <cstdint>

namespace ap {

// AP device types (ap_bus.h AP_DEVICE_TYPE_*).
inline constexpr int AP_DEVICE_TYPE_CEX4 = 10;
inline constexpr int AP_DEVICE_TYPE_CEX8 = 14;
inline constexpr unsigned AP_DEFAULT_MAX_MSG_SIZE = 12 * 1024;
inline constexpr unsigned AP_TAPQ_ML_FIELD_CHUNK_SIZE = 4096;
// ap_card.c: the queue-specific bits are masked out of the card's copy.
inline constexpr uint64_t TAPQ_CARD_HWINFO_MASK = 0xFFFF0000FFFF0F0FULL;

struct ApHwinfo {
  uint64_t value = 0;

  static constexpr uint64_t APSC = 1ULL << 63, MEX4K = 1ULL << 62, CRT4K = 1ULL << 61, CCA = 1ULL << 60,
                            ACCEL = 1ULL << 59, EP11 = 1ULL << 58, APXA = 1ULL << 57, SLCF = 1ULL << 56,
                            CLASS_FULL = 1ULL << 55, CLASS_STATELESS = 1ULL << 54;

  bool has(uint64_t bit) const { return value & bit; }
  uint32_t fac() const { return static_cast<uint32_t>(value >> 32); }  // sysfs ap_functions
  unsigned bs() const { return (value >> 46) & 3; }                    // SE bind state
  unsigned at() const { return (value >> 24) & 0xff; }                 // raw AP type
  unsigned nd() const { return (value >> 16) & 0xff; }                 // max domain index
  unsigned ml() const { return (value >> 8) & 0xf; }                   // max msg length, 4 KiB units
  unsigned qd() const { return value & 0xf; }                          // queue depth field

  static uint64_t make_apinfo(unsigned at, unsigned nd, unsigned ml, unsigned qd) {
    return (uint64_t{at & 0xff} << 24) | (uint64_t{nd & 0xff} << 16) | (uint64_t{ml & 0xf} << 8) | (qd & 0xf);
  }
  // ap_card_create(): ml > 3 ? ml * 4096 : 12 KiB (current kernels).
  unsigned max_msg_size() const { return ml() > 3 ? ml() * AP_TAPQ_ML_FIELD_CHUNK_SIZE : AP_DEFAULT_MAX_MSG_SIZE; }
};

// QCI flags word (struct ap_config_info, first byte), for /sys/bus/ap/features.
struct QciFlags {
  bool apsc = true, apxa = true, qact = true, rc8a = true, apsb = false;
};

}  // namespace ap
