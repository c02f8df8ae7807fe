// The channel running a command-mode channel program (z/Architecture
// Principles of Operation, chapters 15 and 16; QEMU hw/s390x/css.c
// css_interpret_ccw() and ccw_dstream_*; Hercules channel.c).
//
// One command at a time: the channel fetches its first CCW and every CCW
// data-chained to it (following TICs), maps all their data areas (direct or
// through IDAWs) and checks them before the device sees the command. A real
// channel prefetches too, but reports a bad prefetched CCW or address only
// once it needs it; here such a check ends the program before the command
// starts, even if the device would have stopped earlier. Then the device
// gets the command with one buffer for the whole data-chained area, and the
// channel stores what an input command read, and ends or chains on the
// device and channel status.
#include "ccw/channel.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "base/big_endian.h"

namespace ccw {
namespace {

// Simulator limits: the input is a guest's program and the channel runs it to
// the end in one call, so a loop (a TIC back to a command-chained NOOP, a
// data chain through a TIC to itself) must end. Past them the channel ends
// the program with a program check on the CCW at hand.
constexpr unsigned kMaxCcws = 1u << 20;                 // CCWs fetched per program
constexpr size_t kMaxDataChainCcws = 1u << 16;          // CCWs in one data-chained command
constexpr size_t kMaxDataChainBytes = size_t{1} << 20;  // bytes of one data-chained command

// Chaining goes on only when the device ends a command with device end and
// nothing but channel end and status modifier besides.
constexpr uint8_t kChainStatus = DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_STAT_MOD;

// One CCW of a command: where it lies, what it says, where its data starts
// in the command's buffer.
struct Segment {
  uint32_t addr;
  Ccw1 ccw;
  size_t offset;
  size_t end() const { return offset + ccw.count; }
};

// A contiguous storage area of one segment (a direct area or one IDAW's).
struct Piece {
  uint64_t addr;
  size_t len;
  size_t offset;  // in the command's buffer
  size_t segment;
};

class Channel {
 public:
  Channel(const Orb& orb, ChannelMemory& mem, DeviceModel& dev)
      // Format-1 CCWs address 31 bits, format-0 CCWs 24 (the CCW address, a
      // direct data area, an IDAW list: PoP "Channel-Command Word"; QEMU
      // css_interpret_ccw() and cds_ccw_addrs_ok()).
      : orb_(orb), mem_(mem), dev_(dev), limit_(orb.fmt ? uint64_t{1} << 31 : uint64_t{1} << 24) {}

  ChannelEnd run(uint8_t path) {
    dev_.start(path);
    uint32_t addr = orb_.cpa;
    while (fetch_command(addr) && execute(addr)) {
    }
    // A PCI flag makes an intermediate interruption condition pending; the
    // program runs to its end before anyone could clear it, so it shows
    // in the final status (PoP ch. 16, "Program-Controlled Interruption").
    if (pci_) end_.cstat |= SCHN_STAT_PCI;
    end_.ccws = fetched_;
    return end_;
  }

 private:
  // Ends the program: a program check on the CCW at `addr` (for one that
  // could not be fetched, the address it was to come from). `count` is its
  // residual: nothing moved.
  bool program_check(uint32_t addr, uint16_t count, uint8_t dstat = 0) {
    end_.cpa = addr + 8;
    end_.count = count;
    end_.dstat = dstat;
    end_.cstat = SCHN_STAT_PROG_CHECK;
    return false;
  }

  // Fetches the CCW at `addr`, following TICs; `addr` becomes the address of
  // the CCW returned.
  bool fetch(uint32_t& addr, Ccw1& ccw) {
    for (;;) {
      if (fetched_ >= kMaxCcws) return program_check(addr, 0);
      // CCWs lie on doublewords (PoP; QEMU css_interpret_ccw()).
      if (addr % 8 != 0 || addr >= limit_) return program_check(addr, 0);
      std::array<uint8_t, 8> raw;
      if (!mem_.read(addr, raw)) return program_check(addr, 0);
      ++fetched_;
      ccw = orb_.fmt ? decode_ccw1(raw) : decode_ccw0(raw);
      if ((ccw.cmd_code & 0x0f) != CCW_CMD_TIC) {
        after_tic_ = false;
        return true;
      }
      // TRANSFER IN CHANNEL: no TIC right after a TIC; a format-1 TIC has
      // zeros in command bits 0-3, flags and count (decode_ccw0 already
      // dropped a format-0 TIC's). It may come first in a program and may
      // sit inside a data chain, which goes on at its target (PoP "Transfer
      // in Channel"; QEMU css_interpret_ccw(); Hercules execute_ccw_chain()).
      if (after_tic_) return program_check(addr, ccw.count);
      if (ccw.cmd_code != CCW_CMD_TIC || ccw.flags != 0 || ccw.count != 0) return program_check(addr, ccw.count);
      after_tic_ = true;
      addr = ccw.cda;
    }
  }

  // What makes one CCW of a command invalid on its own.
  bool check(uint32_t addr, const Ccw1& ccw, bool data_chained) {
    // A count of zero: never in format 0; in format 1 not where data
    // chaining is (PoP "Count"; QEMU css_interpret_ccw() for format 0,
    // Hercules execute_ccw_chain() for data chaining).
    if (ccw.count == 0 && (!orb_.fmt || (ccw.flags & CCW_FLAG_DC) || data_chained)) return program_check(addr, 0);
    // MIDAWs need the ORB's MIDA control, which Orb does not carry (and
    // QEMU does not support them either).
    if (ccw.flags & CCW_FLAG_MIDA) return program_check(addr, ccw.count);
    // Suspension is not modelled: PoP makes the S flag a program check
    // without ORB spnd or in a data-chained CCW, and suspends otherwise;
    // here it is a program check always.
    if (ccw.flags & CCW_FLAG_SUSPEND) return program_check(addr, ccw.count);
    return true;
  }

  // The storage areas of segment `i`. A count of zero moves nothing, nor
  // does NOOP, so nothing is checked (vfio_ccw pins nothing for them either).
  bool map(size_t i) {
    const Segment& s = segments_[i];
    const Ccw1& c = s.ccw;
    if (c.count == 0 || segments_.front().ccw.cmd_code == CCW_CMD_NOOP) return true;
    if (!(c.flags & CCW_FLAG_IDA)) {
      if (uint64_t{c.cda} + c.count > limit_) return program_check(s.addr, c.count);
      pieces_.push_back({c.cda, c.count, s.offset, i});
      return true;
    }
    // Indirect data addressing (PoP "Indirect Data Addressing"; QEMU
    // ida_read_next_idaw(), ccw_dstream_rw_ida()): format-2 IDAWs (ORB c64)
    // are 8 bytes on doublewords with 64-bit addresses and 4K blocks, 2K with
    // ORB i2k; format-1 IDAWs are 4 bytes on words, 31-bit, 2K blocks. The
    // first IDAW may point anywhere in its block, every further one to the
    // start of a block; the data of an IDAW runs to the end of its block.
    const bool format2 = orb_.c64;
    const uint64_t idaw_size = format2 ? 8 : 4;
    const uint64_t block = format2 && !orb_.i2k ? 4096 : 2048;
    uint64_t idaw = c.cda;
    size_t left = c.count, offset = s.offset;
    for (bool first = true; left > 0; first = false, idaw += idaw_size) {
      if (idaw % idaw_size != 0 || idaw + idaw_size > limit_) return program_check(s.addr, c.count);
      std::array<uint8_t, 8> raw;
      if (!mem_.read(idaw, std::span(raw).first(idaw_size))) return program_check(s.addr, c.count);
      const uint64_t data = format2 ? base::get_be64(raw.data()) : base::get_be32(raw.data());
      if (!format2 && (data & 0x80000000u)) return program_check(s.addr, c.count);
      if (!first && data % block != 0) return program_check(s.addr, c.count);
      const size_t len = std::min<uint64_t>(left, block - data % block);
      pieces_.push_back({data, len, offset, i});
      left -= len;
      offset += len;
    }
    return true;
  }

  // Fetches the command at `addr`: its CCW and those data-chained to it,
  // with their storage areas.
  bool fetch_command(uint32_t addr) {
    segments_.clear();
    pieces_.clear();
    Ccw1 ccw;
    if (!fetch(addr, ccw)) return false;
    // Command codes with zeros in bits 4-7 are invalid (PoP; QEMU
    // css_interpret_ccw()). Data-chained CCWs' command codes are ignored.
    if ((ccw.cmd_code & 0x0f) == 0) return program_check(addr, ccw.count);
    size_t total = 0;
    for (;;) {
      if (!check(addr, ccw, !segments_.empty())) return false;
      if (segments_.size() >= kMaxDataChainCcws || total + ccw.count > kMaxDataChainBytes)
        return program_check(addr, ccw.count);
      if (ccw.flags & CCW_FLAG_PCI) pci_ = true;
      segments_.push_back({addr, ccw, total});
      total += ccw.count;
      if (!map(segments_.size() - 1)) return false;
      // The CC, SLI of a CCW with DC are ignored: the last CCW of a data
      // chain decides (PoP "Chaining").
      if (!(ccw.flags & CCW_FLAG_DC)) return true;
      addr += 8;
      if (!fetch(addr, ccw)) return false;
    }
  }

  // SKIP suppresses storing for input commands only (PoP "Skip"; QEMU
  // ccw_dstream_init()).
  bool skipped(const Segment& s, bool input) const { return input && (s.ccw.flags & CCW_FLAG_SKIP); }

  // Runs the command fetched; true with `addr` at the next CCW to chain to.
  bool execute(uint32_t& addr) {
    const uint8_t cmd = segments_.front().ccw.cmd_code;
    const bool input = is_input_command(cmd);
    const size_t total = segments_.back().end();
    const bool skip_all =
        input && std::all_of(segments_.begin(), segments_.end(), [&](const Segment& s) { return skipped(s, input); });

    // Output: the bytes to send. Input: the storage the device's bytes go to
    // must be there (read as a probe); skipped areas are not accessed.
    buffer_.assign(skip_all ? 0 : total, 0);
    if (!skip_all) {
      for (const Piece& p : pieces_) {
        const Segment& s = segments_[p.segment];
        if (skipped(s, input)) continue;
        if (!mem_.read(p.addr, std::span(buffer_).subspan(p.offset, p.len))) return program_check(s.addr, s.ccw.count);
      }
    }

    const CommandEnd done = dev_.command(cmd, buffer_);
    const size_t moved = std::min(done.length, total);
    if (input && !skip_all) {
      for (const Piece& p : pieces_) {
        if (p.offset >= moved) break;
        const Segment& s = segments_[p.segment];
        if (skipped(s, input)) continue;
        const size_t len = std::min(p.len, moved - p.offset);
        if (!mem_.write(p.addr, std::span(buffer_).subspan(p.offset, len)))
          return program_check(s.addr, static_cast<uint16_t>(s.end() - p.offset), done.dstat);
      }
    }

    // The transfer ended in the first CCW whose count the device did not
    // exhaust: data chaining fetches the next CCW as soon as a count runs
    // out (PoP "Data Chaining"). When all counts ran out, in the last one.
    // Its residual count is what is left of it.
    size_t k = segments_.size() - 1;
    for (size_t i = 0; i < segments_.size(); ++i) {
      if (segments_[i].end() > moved) {
        k = i;
        break;
      }
    }
    const Segment& at = segments_[k];
    // Incorrect length: the device's length is not the total count; SLI of
    // the CCW the transfer ended in suppresses it, unless that CCW still
    // had data chaining (PoP "Incorrect Length", the table of actions on
    // exhaustion of count or channel end; Hercules execute_ccw_chain()).
    const bool sli = (at.ccw.flags & CCW_FLAG_SLI) && !(at.ccw.flags & CCW_FLAG_DC);
    const bool il = done.length != total && !sli;
    end_ = {at.addr + 8, static_cast<uint16_t>(at.end() - moved), done.dstat,
            static_cast<uint8_t>(il ? SCHN_STAT_INCORR_LEN : 0), 0};

    // Command chaining: the last CCW's CC, no incorrect length, device end
    // with nothing but channel end and status modifier. Status modifier
    // skips a CCW (PoP "Command Chaining"; a search that matched).
    const Segment& last = segments_.back();
    if (!(last.ccw.flags & CCW_FLAG_CC) || il) return false;
    if (!(done.dstat & DEV_STAT_DEV_END) || (done.dstat & ~kChainStatus)) return false;
    addr = last.addr + ((done.dstat & DEV_STAT_STAT_MOD) ? 16 : 8);
    return true;
  }

  const Orb& orb_;
  ChannelMemory& mem_;
  DeviceModel& dev_;
  const uint64_t limit_;
  ChannelEnd end_;
  unsigned fetched_ = 0;
  bool after_tic_ = false;
  bool pci_ = false;
  std::vector<Segment> segments_;
  std::vector<Piece> pieces_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

ChannelEnd run_channel_program(const Orb& orb, uint8_t path, ChannelMemory& mem, DeviceModel& dev) {
  return Channel(orb, mem, dev).run(path);
}

}  // namespace ccw
