// libFuzzer: guest channel programs through vfio_ccw's translation
// (ChannelProgram: init, prefetch, get_orb, memory, update_scsw, free) and
// the channel (run_channel_program) into a 3390 (EckdDasd on a small
// in-memory CkdVolume); or, by the first byte, raw commands straight into
// the EckdDasd. Every invariant that fails traps (__builtin_trap()).
//
// Input: byte 0 the mode (even: channel program, odd: device commands);
// byte 1 options (bits 0-2: the subchannel's lpm is 0x80 >> them, bit 3:
// the device inhibits writes, bit 4: a media error on track byte2 >> 3,
// bit 5: the ORB's cpa is GUEST_BASE + cpa % 0x2000); byte 2: the volume
// has 3 + (byte & 7) cylinders of 15 heads.
//  - Channel program: 12 bytes of ORB (its intparm also probes
//    update_scsw()), then up to 8 KiB of guest memory at GUEST_BASE
//    (0x10000) in a 1 MiB guest; all other guest memory reads as zeros.
//  - Device commands: up to 256 of {cmd, ctl, len (2 bytes, big endian),
//    min(len, what is left) data bytes (the rest of the len-byte buffer
//    zeros)}; ctl bit 7: start(0x80 >> (ctl & 7)) first, bit 6: sense()
//    after, bit 5: an empty buffer (as the channel gives a SKIP CCW), bit
//    4: no data bytes follow (a buffer of len zeros, for input commands).
//
// Invariants (all certain from ccw/vfio_ccw_cp.cpp, ccw/channel.cpp and
// ccw/eckd_dasd.cpp as they stand):
//  cp: init()'s errno is one of its documented ones, a failed init or a
//  free() leaves nothing (not initialized, no CCWs, nothing pinned, the
//  host addresses unreachable, get_orb() zero, update_scsw() a no-op); a
//  second init is -EBUSY; init pins nothing; get_orb() keeps the guest's
//  bits and makes the program format 1 with format-2 IDAWs at a 31-bit
//  doubleword host address; the first host chain is the guest's chain with
//  TICs into it relocated and every other CCW an IDA CCW whose IDAL is
//  readable and, for a CCW that moves data, whose first IDAW reaches the
//  guest's first byte through a pinned page; update_scsw() maps chain 0's
//  host range [head, head + 8 * len] onto the guest's exactly and never
//  makes a cpa beyond the guest's memory.
//  channel: at least one CCW fetched, channel status only PCI, IL, program
//  check and never IL with program check; device status only CE DE SM UC,
//  CE|DE whenever no program check ended it; a residual count only with a
//  readable CCW at cpa - 8 whose count is at least the residual; sense
//  bytes (24-byte compatible, byte 0 or 1 set) exactly when UC ends it.
//  device: status CE|DE plus at most SM and UC, UC with length 0 and
//  sense to tell; lengths within a track's capacity; SENSE ID, RDC, RCD,
//  SNID, BASIC SENSE their sizes; READ COUNT / READ CKD / READ R0 count
//  areas naming a record the volume has with those lengths; WRITE CKD /
//  WRITE R0 leave that record last on its track with the data written;
//  and the volume's record() answers stay within the geometry: R0 on
//  every track, nothing past the last track, and a track's records fit in
//  its 1729 cells.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/big_endian.h"
#include "ccw/channel.h"
#include "ccw/channel_memory.h"
#include "ccw/channel_words.h"
#include "ccw/ckd_volume.h"
#include "ccw/eckd_dasd.h"
#include "ccw/eckd_geometry.h"
#include "ccw/vfio_ccw_cp.h"
#include "kvm/guest_memory.h"

namespace {

using namespace ccw;
using namespace ccw::eckd;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "channel_program_fuzz: invariant failed at line %d: %s\n", \
                   __LINE__, #cond);                                                  \
      __builtin_trap();                                                               \
    }                                                                                 \
  } while (0)

constexpr uint64_t GUEST_SIZE = uint64_t{1} << 20;
constexpr uint64_t GUEST_BASE = 0x10000;
constexpr size_t IMAGE_MAX = 8192;
constexpr size_t HEADER = 3;
constexpr unsigned MAX_COMMANDS = 256;
// Channel memory accesses per program: a TIC loop of NOOPs would otherwise
// run to the channel's own bound of 2^20 CCWs. Past it every access fails
// (a program check), which no invariant below depends on.
constexpr unsigned ACCESS_BUDGET = 4096;
// No command's length exceeds a track's capacity (a 3390 track holds
// 56664 bytes; a record at most 255 + 65535 and its count).
constexpr size_t MAX_LENGTH = size_t{1} << 17;

constexpr uint8_t CE_DE = DEV_STAT_CHN_END | DEV_STAT_DEV_END;
constexpr uint8_t DEVICE_STATUS = CE_DE | DEV_STAT_STAT_MOD | DEV_STAT_UNIT_CHECK;

struct Options {
  uint8_t sch_lpm;
  bool write_inhibited;
  std::optional<unsigned> media_error;
  bool relative_cpa;
  unsigned cylinders;
};

Options options(const uint8_t* data) {
  Options o;
  o.sch_lpm = static_cast<uint8_t>(0x80 >> (data[1] & 7));
  o.write_inhibited = data[1] & 0x08;
  if (data[1] & 0x10) o.media_error = data[2] >> 3;
  o.relative_cpa = data[1] & 0x20;
  o.cylinders = 3 + (data[2] & 7);
  return o;
}

std::unique_ptr<EckdDasd> make_dasd(const Options& o) {
  Geometry g;
  g.cylinders = o.cylinders;
  std::string error;
  auto v = CkdVolume::open(g, 0x2b09, "", error);
  CHECK(v.has_value());
  auto dev = std::make_unique<EckdDasd>(std::move(*v), 0x2b09);
  dev->write_inhibited = o.write_inhibited;
  if (o.media_error) dev->media_errors.insert(*o.media_error);
  return dev;
}

// The volume's record() answers stay within the geometry.
void check_volume(const CkdVolume& v) {
  const unsigned tracks = v.geometry().tracks();
  CHECK(!v.record(tracks, 0));
  CHECK(!v.record(tracks, 1));
  CHECK(!v.record(tracks + 1000, 0));
  for (unsigned t = 0; t < tracks; ++t) {
    CHECK(v.record(t, 0).has_value());
    unsigned cells = 0, r = 1;
    for (; auto f = v.record(t, r); ++r) {
      CHECK(f->kl <= 255 && f->dl <= 65535);
      cells += record_cells_3390(f->kl, f->dl);
      CHECK(cells <= TRACK_CELLS_3390);
    }
    CHECK(r <= 256);
  }
}

// --- device commands

std::optional<unsigned> track_of(const Geometry& g, const uint8_t* cchh) {
  const unsigned hh = base::get_be16(cchh + 2);
  const unsigned cyl = base::get_be16(cchh) | (hh >> 4) << 16, head = hh & 0xf;
  if (cyl >= g.cylinders || head >= g.heads) return std::nullopt;
  return cyl * g.heads + head;
}

// A count area the device returned names a record of the volume.
void check_count_area(const CkdVolume& v, std::span<const uint8_t> count) {
  auto track = track_of(v.geometry(), count.data());
  CHECK(track.has_value());
  auto f = v.record(*track, count[4]);
  CHECK(f.has_value());
  CHECK(f->kl == count[5] && f->dl == base::get_be16(&count[6]));
}

void check_command(EckdDasd& dev, uint8_t cmd, std::span<const uint8_t> sent, std::span<const uint8_t> data,
                   const CommandEnd& end) {
  CHECK((end.dstat & ~DEVICE_STATUS) == 0);
  CHECK((end.dstat & CE_DE) == CE_DE);
  CHECK(end.length <= MAX_LENGTH);
  if (end.dstat & DEV_STAT_UNIT_CHECK) {
    CHECK(end.length == 0);
    return;
  }
  const CkdVolume& v = dev.volume();
  const Geometry& g = v.geometry();
  const uint8_t base = cmd & ~CMD_MT;
  switch (cmd) {
    case CCW_CMD_SENSE_ID: {
      CHECK(end.length == 20);
      auto id = sense_id(g);
      CHECK(std::equal(data.begin(), data.begin() + std::min<size_t>(20, data.size()), id.begin()));
      break;
    }
    case CMD_RDC: CHECK(end.length == 64); break;
    case CMD_RCD: {
      CHECK(end.length == 256);
      auto rcd = dev.configuration_data();
      CHECK(std::equal(data.begin(), data.begin() + std::min<size_t>(256, data.size()), rcd.begin()));
      break;
    }
    case CMD_SNID: CHECK(end.length == 12); break;
    case CCW_CMD_BASIC_SENSE: CHECK(end.length == 32); break;
    case CCW_CMD_NOOP: CHECK(end.length == data.size()); break;
    case CMD_DEFINE_EXTENT: CHECK(end.length == 16 || end.length == 32); break;
    case CMD_LOCATE_RECORD: CHECK(end.length == 16); break;
    case CMD_LOCATE_RECORD_EXT: CHECK(end.length == 20); break;
    case CMD_RSSD:
      CHECK(end.length == 256 || end.length == 28 || end.length == 3616 || end.length == 512);
      break;
    default: break;
  }
  if (base == CMD_READ_COUNT) {
    CHECK(end.length == 8);
    if (data.size() >= 8) check_count_area(v, data.first(8));
  }
  if ((base == CMD_READ_CKD || cmd == CMD_READ_RECORD_ZERO) && data.size() >= 8) {
    check_count_area(v, data.first(8));
    CHECK(end.length == 8u + data[5] + base::get_be16(&data[6]));
  }
  if (base == CMD_WRITE_CKD || cmd == CMD_WRITE_RECORD_ZERO) {
    // Succeeded: the count area named a track, and the record is the
    // track's last now, with the data given (zeros beyond).
    CHECK(sent.size() >= 8);
    auto track = track_of(g, sent.data());
    CHECK(track.has_value());
    const unsigned rec = sent[4], kl = sent[5], dl = base::get_be16(&sent[6]);
    CHECK(end.length == 8u + kl + dl);
    auto f = v.record(*track, rec);
    CHECK(f.has_value() && f->kl == kl && f->dl == dl);
    CHECK(!v.record(*track, rec + 1));
    std::vector<uint8_t> back(kl + dl), want(kl + dl);
    std::copy_n(sent.begin() + 8, std::min(want.size(), sent.size() - 8), want.begin());
    CHECK(v.read(*track, rec, back));
    CHECK(back == want);
  }
}

void run_commands(const uint8_t* data, size_t size, const Options& o) {
  auto dev = make_dasd(o);
  dev->start(0x80);
  size_t at = HEADER;
  for (unsigned n = 0; n < MAX_COMMANDS && at + 4 <= size; ++n) {
    const uint8_t cmd = data[at], ctl = data[at + 1];
    const size_t len = base::get_be16(&data[at + 2]);
    at += 4;
    const size_t given = ctl & 0x10 ? 0 : std::min(len, size - at);
    // Exactly len bytes: ASan sees a device writing past them.
    std::vector<uint8_t> buffer(ctl & 0x20 ? 0 : len);
    std::copy_n(data + at, std::min(given, buffer.size()), buffer.begin());
    at += given;
    const std::vector<uint8_t> sent = buffer;
    if (ctl & 0x80) dev->start(static_cast<uint8_t>(0x80 >> (ctl & 7)));
    const CommandEnd end = dev->command(cmd, buffer);
    check_command(*dev, cmd, sent, buffer, end);
    if (ctl & 0x40) {
      auto sense = dev->sense();
      if (end.dstat & DEV_STAT_UNIT_CHECK) CHECK(sense[27] == 0x80 && (sense[0] | sense[1]) != 0);
      auto again = dev->sense();  // presented: gone
      CHECK(std::all_of(again.begin(), again.end(), [](uint8_t b) { return b == 0; }));
    }
  }
  check_volume(dev->volume());
}

// --- channel programs

// Channel memory with a bound on accesses.
class BoundedMemory final : public ChannelMemory {
 public:
  explicit BoundedMemory(ChannelMemory& m) : m_mem(m) {}
  bool read(uint64_t addr, std::span<uint8_t> out) const override { return take() && m_mem.read(addr, out); }
  bool write(uint64_t addr, std::span<const uint8_t> in) override { return take() && m_mem.write(addr, in); }

 private:
  bool take() const {
    if (m_left == 0) return false;
    --m_left;
    return true;
  }
  ChannelMemory& m_mem;
  mutable unsigned m_left = ACCESS_BUDGET;
};

std::optional<Ccw1> read_ccw(const ChannelMemory& m, uint64_t addr) {
  std::array<uint8_t, 8> raw;
  if (!m.read(addr, raw)) return std::nullopt;
  return decode_ccw1(raw);
}

std::optional<Ccw1> read_guest_ccw(const kvm::GuestMemory& g, uint64_t addr, bool fmt1) {
  std::array<uint8_t, 8> raw;
  if (!g.read(addr, raw)) return std::nullopt;
  return fmt1 ? decode_ccw1(raw) : decode_ccw0(raw);
}

// vfio_ccw's ccw_does_data_transfer(), from its definition.
bool moves_data(const Ccw1& c) {
  if (c.count == 0 || c.cmd_code == CCW_CMD_NOOP) return false;
  if (!(c.flags & CCW_FLAG_SKIP)) return true;
  const bool read = (c.cmd_code & 3) == 2, backward = (c.cmd_code & 0x0f) == 0x0c,
             sense = (c.cmd_code & 0x0f) == CCW_CMD_BASIC_SENSE;
  return !(read || backward || sense);
}

// Nothing is left of a program: what it had is unreachable.
void check_freed(ChannelProgram& cp, std::span<const uint64_t> host_addresses) {
  CHECK(!cp.initialized());
  CHECK(cp.pinned_pages() == 0);
  CHECK(cp.ccw_count() == 0);
  CHECK(cp.get_orb(1, 0x80) == Orb{});
  CHECK(!cp.iova_pinned(0, GUEST_SIZE));
  std::array<uint8_t, 1> b;
  for (uint64_t a : host_addresses) {
    CHECK(!cp.memory().read(a, b));
    CHECK(!cp.memory().write(a, b));
    Scsw s;
    s.cpa = static_cast<uint32_t>(a);
    cp.update_scsw(s);
    CHECK(s.cpa == static_cast<uint32_t>(a));
  }
}

// update_scsw() never makes a cpa beyond the guest's memory; it either
// leaves it or moves it into a chain fetched from the guest.
void check_update_scsw(const ChannelProgram& cp, uint32_t host_cpa) {
  Scsw s;
  s.cpa = host_cpa;
  cp.update_scsw(s);
  if (s.cpa != host_cpa) CHECK(s.cpa <= GUEST_SIZE);
}

void run_program(const uint8_t* data, size_t size, const Options& o) {
  if (size < HEADER + 12) return;
  Orb orb = decode_orb(std::span<const uint8_t, 12>(data + HEADER, 12));
  if (o.relative_cpa) orb.cpa = static_cast<uint32_t>(GUEST_BASE + orb.cpa % 0x2000);
  // fsm_io_request(): transport mode never reaches the translation.
  if (orb.b) return;
  kvm::GuestMemory guest(GUEST_SIZE);
  const size_t image = std::min(size - HEADER - 12, IMAGE_MAX);
  CHECK(guest.write(GUEST_BASE, std::span(data + HEADER + 12, image)));

  ChannelProgram cp(guest);
  int rc = cp.init(orb);
  CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
  if (rc) {
    check_freed(cp, {});
    return;
  }
  CHECK(cp.initialized());
  CHECK(cp.pinned_pages() == 0);
  const size_t ccws = cp.ccw_count();
  CHECK(ccws >= 1);
  CHECK(cp.init(orb) == -EBUSY);
  CHECK(cp.ccw_count() == ccws && cp.initialized());

  rc = cp.prefetch();
  CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM || rc == -EFAULT);
  if (rc) {
    // fsm_io_request() frees a program it could not prefetch.
    cp.free();
    check_freed(cp, {});
    return;
  }
  CHECK(cp.ccw_count() == ccws);

  // get_orb(): the guest's bits, format 1, format-2 IDAWs, the host chain.
  const uint32_t intparm = 0x00010203;
  const Orb host = cp.get_orb(intparm, o.sch_lpm);
  CHECK(host.intparm == intparm);
  CHECK(host.fmt && host.c64);
  CHECK(host.i2k == (orb.i2k || !orb.c64));
  CHECK(host.lpm == (orb.lpm ? orb.lpm : o.sch_lpm));
  CHECK(host.key == orb.key && host.spnd == orb.spnd && host.mod == orb.mod && host.sync == orb.sync &&
        host.pfch == orb.pfch && host.isic == orb.isic && host.alcc == orb.alcc && host.ssic == orb.ssic &&
        host.b == orb.b && host.ils == orb.ils && host.orbx == orb.orbx);
  CHECK(host.cpa != 0 && host.cpa % 8 == 0 && host.cpa < (uint32_t{1} << 31));
  CHECK(cp.get_orb(intparm, o.sch_lpm) == host);

  // The first host chain against the guest's.
  std::vector<uint64_t> host_addresses{host.cpa};
  unsigned len0 = 0;
  for (; len0 <= CCWCHAIN_LEN_MAX; ++len0) {
    auto h = read_ccw(cp.memory(), uint64_t{host.cpa} + 8 * len0);
    if (!h) break;
    auto gc = read_guest_ccw(guest, uint64_t{orb.cpa} + 8 * len0, orb.fmt);
    CHECK(gc.has_value());
    CHECK(h->cmd_code == gc->cmd_code && h->count == gc->count);
    if (gc->cmd_code == CCW_CMD_TIC) {
      CHECK(h->flags == gc->flags);
      continue;  // relocated below, once chain 0's length is known
    }
    CHECK(h->flags == (gc->flags | CCW_FLAG_IDA));
    CHECK(h->cda != 0 && h->cda % 8 == 0);
    std::array<uint8_t, 8> idaw;
    CHECK(cp.memory().read(h->cda, idaw));
    if (!moves_data(*gc)) continue;
    uint64_t first = gc->cda;
    if (gc->flags & CCW_FLAG_IDA) {
      std::array<uint8_t, 8> g{};
      CHECK(guest.read(gc->cda, std::span(g).first(orb.c64 ? 8 : 4)));
      first = orb.c64 ? base::get_be64(g.data()) : base::get_be32(g.data());
    }
    CHECK(first < GUEST_SIZE);
    CHECK(cp.iova_pinned(first, 1));
    CHECK(cp.pinned_pages() > 0);
    const uint64_t at = base::get_be64(idaw.data());
    std::array<uint8_t, 1> via_host, via_guest;
    CHECK(cp.memory().read(at, via_host));
    CHECK(guest.read(first, via_guest));
    CHECK(via_host == via_guest);
    if (host_addresses.size() < 8) host_addresses.push_back(at);
  }
  CHECK(len0 >= 1 && len0 <= CCWCHAIN_LEN_MAX && len0 <= ccws);
  for (unsigned i = 0; i < len0; ++i) {
    auto gc = read_guest_ccw(guest, uint64_t{orb.cpa} + 8 * i, orb.fmt);
    if (gc->cmd_code != CCW_CMD_TIC) continue;
    const uint32_t off = gc->cda - orb.cpa;
    if (gc->cda >= orb.cpa && off <= 8 * (len0 - 1)) CHECK(read_ccw(cp.memory(), host.cpa + 8 * i)->cda == host.cpa + off);
  }
  // update_scsw(): chain 0's host range [head, head + 8 * len] is the guest's.
  for (unsigned i = 0; i <= len0; ++i) {
    Scsw s;
    s.cpa = host.cpa + 8 * i;
    cp.update_scsw(s);
    CHECK(s.cpa == orb.cpa + 8 * i);
  }
  check_update_scsw(cp, orb.intparm);
  check_update_scsw(cp, host.cpa - 8);
  check_update_scsw(cp, host.cpa + 8 * len0 + 8);

  // The channel runs the host program on the device.
  auto dev = make_dasd(o);
  uint8_t path = 0x80;
  while (!(host.lpm & path)) path >>= 1;
  BoundedMemory mem(cp.memory());
  const ChannelEnd end = run_channel_program(host, path, mem, *dev);
  CHECK(end.ccws >= 1);
  CHECK((end.cstat & ~(SCHN_STAT_PCI | SCHN_STAT_INCORR_LEN | SCHN_STAT_PROG_CHECK)) == 0);
  CHECK(!((end.cstat & SCHN_STAT_INCORR_LEN) && (end.cstat & SCHN_STAT_PROG_CHECK)));
  CHECK((end.dstat & ~DEVICE_STATUS) == 0);
  if (!(end.cstat & SCHN_STAT_PROG_CHECK)) CHECK((end.dstat & CE_DE) == CE_DE);
  if (end.count) {
    auto last = read_ccw(cp.memory(), uint64_t{end.cpa} - 8);
    CHECK(last.has_value());
    CHECK(last->count >= end.count);
  }
  const auto sense = dev->sense();
  if (end.dstat & DEV_STAT_UNIT_CHECK) CHECK(sense[27] == 0x80 && (sense[0] | sense[1]) != 0);
  else CHECK(std::all_of(sense.begin(), sense.end(), [](uint8_t b) { return b == 0; }));
  check_update_scsw(cp, end.cpa);
  if (end.cpa >= host.cpa && end.cpa - host.cpa <= 8 * len0) {
    Scsw s;
    s.cpa = end.cpa;
    cp.update_scsw(s);
    CHECK(s.cpa == orb.cpa + (end.cpa - host.cpa));
  }
  check_volume(dev->volume());

  cp.free();
  check_freed(cp, host_addresses);
  cp.free();  // twice: nothing
  check_freed(cp, host_addresses);
  // A freed program takes a new one.
  CHECK(cp.init(orb) != -EBUSY);
  cp.free();
  check_freed(cp, host_addresses);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < HEADER) return 0;
  const Options o = options(data);
  if (data[0] & 1) run_commands(data, size, o);
  else run_program(data, size, o);
  return 0;
}
