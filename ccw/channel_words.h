// The words a channel program is made of, as they lie in memory (big
// endian, asm/cio.h, drivers/s390/cio/orb.h, asm/scsw.h): CCWs of format 0
// and 1, the operation request block, the subchannel status word and the
// interruption response block.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace ccw {

// CCW flags.
inline constexpr uint8_t CCW_FLAG_DC = 0x80, CCW_FLAG_CC = 0x40, CCW_FLAG_SLI = 0x20, CCW_FLAG_SKIP = 0x10,
                         CCW_FLAG_PCI = 0x08, CCW_FLAG_IDA = 0x04, CCW_FLAG_SUSPEND = 0x02, CCW_FLAG_MIDA = 0x01;
// Commands cio and vfio_ccw know by name.
inline constexpr uint8_t CCW_CMD_READ_IPL = 0x02, CCW_CMD_NOOP = 0x03, CCW_CMD_BASIC_SENSE = 0x04,
                         CCW_CMD_TIC = 0x08, CCW_CMD_STLCK = 0x14, CCW_CMD_SENSE_PGID = 0x34,
                         CCW_CMD_SUSPEND_RECONN = 0x5b, CCW_CMD_RDC = 0x64, CCW_CMD_RELEASE = 0x94,
                         CCW_CMD_SET_PGID = 0xaf, CCW_CMD_SENSE_ID = 0xe4, CCW_CMD_DCTL = 0xf3;

// struct ccw1.
struct Ccw1 {
  uint8_t cmd_code = 0, flags = 0;
  uint16_t count = 0;
  uint32_t cda = 0;
  friend bool operator==(const Ccw1&, const Ccw1&) = default;
};
Ccw1 decode_ccw1(std::span<const uint8_t, 8> b);
std::array<uint8_t, 8> encode(const Ccw1& c);
// convert_ccw0_to_ccw1() of one struct ccw0 {cmd; 24-bit cda; flags;
// reserved; count}: a TIC (low nibble 8) keeps only its address.
Ccw1 decode_ccw0(std::span<const uint8_t, 8> b);

// struct cmd_orb (word 1: key:4 spnd mod sync fmt pfch isic alcc ssic, the
// transport-mode bit b, c64 i2k, lpm:8, ils, orbx).
struct Orb {
  uint32_t intparm = 0;
  uint8_t key = 0;
  bool spnd = false, mod = false, sync = false, fmt = false, pfch = false, isic = false, alcc = false,
       ssic = false, b = false, c64 = false, i2k = false;
  uint8_t lpm = 0;
  bool ils = false, orbx = false;
  uint32_t cpa = 0;
  friend bool operator==(const Orb&, const Orb&) = default;
};
Orb decode_orb(std::span<const uint8_t, 12> b);
std::array<uint8_t, 12> encode(const Orb& o);

// SCSW control bits (the low half of word 0).
inline constexpr uint16_t SCSW_FCTL_START = 0x4000, SCSW_FCTL_HALT = 0x2000, SCSW_FCTL_CLEAR = 0x1000;
inline constexpr uint16_t SCSW_ACTL_RESUME_PEND = 0x0800, SCSW_ACTL_START_PEND = 0x0400,
                          SCSW_ACTL_HALT_PEND = 0x0200, SCSW_ACTL_CLEAR_PEND = 0x0100,
                          SCSW_ACTL_SCHACT = 0x0080, SCSW_ACTL_DEVACT = 0x0040, SCSW_ACTL_SUSPENDED = 0x0020;
inline constexpr uint16_t SCSW_STCTL_ALERT = 0x10, SCSW_STCTL_INTER = 0x08, SCSW_STCTL_PRIMARY = 0x04,
                          SCSW_STCTL_SECONDARY = 0x02, SCSW_STCTL_STATUS_PEND = 0x01;
// Device and channel status.
inline constexpr uint8_t DEV_STAT_ATTENTION = 0x80, DEV_STAT_STAT_MOD = 0x40, DEV_STAT_CU_END = 0x20,
                         DEV_STAT_BUSY = 0x10, DEV_STAT_CHN_END = 0x08, DEV_STAT_DEV_END = 0x04,
                         DEV_STAT_UNIT_CHECK = 0x02, DEV_STAT_UNIT_EXCEP = 0x01;
inline constexpr uint8_t SCHN_STAT_PCI = 0x80, SCHN_STAT_INCORR_LEN = 0x40, SCHN_STAT_PROG_CHECK = 0x20,
                         SCHN_STAT_PROT_CHECK = 0x10, SCHN_STAT_CHN_DATA_CHK = 0x08,
                         SCHN_STAT_CHN_CTRL_CHK = 0x04, SCHN_STAT_INTF_CTRL_CHK = 0x02, SCHN_STAT_CHAIN_CHECK = 0x01;

// struct cmd_scsw: `flags` is word 0's high half (key:4 sctl eswf cc:2 fmt
// pfch isic alcc ssi zcc ectl pno), `ctrl` its low half (fctl:3 actl:7
// stctl:5 after a reserved bit).
struct Scsw {
  uint16_t flags = 0, ctrl = 0;
  uint32_t cpa = 0;
  uint8_t dstat = 0, cstat = 0;
  uint16_t count = 0;
  unsigned cc() const { return (flags >> 8) & 3; }
  friend bool operator==(const Scsw&, const Scsw&) = default;
};
inline constexpr uint16_t SCSW_FLAGS_ESWF = 0x0400, SCSW_FLAGS_FMT = 0x0080, SCSW_FLAGS_ECTL = 0x0002,
                          SCSW_FLAGS_PNO = 0x0001;
Scsw decode_scsw(std::span<const uint8_t, 12> b);
std::array<uint8_t, 12> encode(const Scsw& s);

// struct irb as vfio-ccw's I/O region carries it: SCSW, ESW (20 bytes),
// ECW (32: the concurrent sense), EMW (32).
struct Irb {
  Scsw scsw;
  std::array<uint8_t, 20> esw{};
  std::array<uint8_t, 32> ecw{};
  std::array<uint8_t, 32> emw{};
};
inline constexpr size_t IRB_SIZE = 96;
std::array<uint8_t, IRB_SIZE> encode(const Irb& irb);

}  // namespace ccw
