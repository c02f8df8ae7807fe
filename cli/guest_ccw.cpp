#include "cli/guest_ccw.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/big_endian.h"
#include "base/hex.h"
#include "cli/system.h"
#include "guest/dasd_eckd.h"

namespace mdevsim {
namespace {

using ccw::Ccw1;

std::optional<uint64_t> hex_number(std::string_view s, uint64_t max) {
  if (s.starts_with("0x")) s.remove_prefix(2);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

std::optional<uint64_t> dec_number(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string scsw_text(const ccw::Scsw& s) {
  return fmt::format("scsw flags={:04x} ctrl={:04x} cpa=0x{:08x} dstat={:02x} cstat={:02x} count={:04x}", s.flags, s.ctrl,
                     s.cpa, s.dstat, s.cstat, s.count);
}

struct Request {
  System& sys;
  qemu::Guest& g;
  guest::LinuxGuest& kernel;
  std::string& out;
  bool fail(std::string why) {
    out = std::move(why);
    return false;
  }
};

// A device of the guest by the number it sees ("0.0.1234"): a vfio-ccw one.
qemu::CcwDevice* find_device(Request& r, const std::string& devno) {
  for (auto& d : r.g.ccw) {
    if (fmt::format("0.{:x}.{:04x}", d.dev_id.ssid, d.dev_id.devid) != devno) continue;
    if (!d.mdev) {
      r.fail(fmt::format("{} is a {} device: only vfio-ccw devices do I/O here", devno, d.driver));
      return nullptr;
    }
    return &d;
  }
  r.fail(fmt::format("guest {} has no ccw device {}", r.g.name(), devno));
  return nullptr;
}

bool ssch(Request& r, qemu::CcwDevice& dev, std::span<const std::string> args) {
  ccw::Orb orb;
  orb.fmt = true;
  orb.pfch = true;
  orb.c64 = true;
  orb.lpm = 0xff;
  orb.intparm = dev.subch_id.devid;
  orb.cpa = guest::CCW_AREA;
  std::vector<std::pair<Ccw1, std::vector<uint8_t>>> ccws;
  uint32_t next = guest::DATA_AREA;
  for (const std::string& a : args) {
    if (a == "fmt0") {
      orb.fmt = false;
      continue;
    }
    if (a.starts_with("lpm=")) {
      auto v = hex_number(a.substr(4), 0xff);
      if (!v) return r.fail("ssch: lpm= takes two hex digits, such as lpm=80");
      orb.lpm = static_cast<uint8_t>(*v);
      continue;
    }
    // CMD,FLAGS,COUNT[,ADDR][,=HEX]
    std::vector<std::string> f;
    for (size_t at = 0;;) {
      size_t comma = a.find(',', at);
      f.push_back(a.substr(at, comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    std::vector<uint8_t> data;
    if (!f.empty() && f.back().starts_with("=")) {
      auto bytes = base::from_hex(f.back().substr(1));
      if (!bytes) return r.fail("ssch: =HEX needs pairs of hex digits: " + a);
      data = std::move(*bytes);
      f.pop_back();
    }
    auto cmd = f.size() >= 3 ? hex_number(f[0], 0xff) : std::nullopt;
    auto flags = f.size() >= 3 ? hex_number(f[1], 0xff) : std::nullopt;
    auto count = f.size() >= 3 ? hex_number(f[2], 0xffff) : std::nullopt;
    auto addr = f.size() == 4 ? hex_number(f[3], orb.fmt ? 0x7fffffff : 0xffffff) : std::optional<uint64_t>(next);
    if (!cmd || !flags || !count || !addr || f.size() > 4)
      return r.fail("ssch: a CCW is CMD,FLAGS,COUNT[,ADDR][,=HEX] in hex, such as E4,20,0028: " + a);
    if (data.size() > *count) return r.fail("ssch: more data than the CCW's count: " + a);
    if (f.size() != 4) next += (static_cast<uint32_t>(*count) + 0xfff) & ~0xfffu;
    ccws.push_back({Ccw1{static_cast<uint8_t>(*cmd), static_cast<uint8_t>(*flags), static_cast<uint16_t>(*count),
                         static_cast<uint32_t>(*addr)},
                    std::move(data)});
  }
  if (ccws.empty()) return r.fail("ssch: give the channel program, one CCW per word (CMD,FLAGS,COUNT)");
  if (ccws.size() * 8 > guest::DATA_AREA - guest::CCW_AREA) return r.fail("ssch: too many CCWs for the CCW area");
  kvm::GuestMemory& mem = r.g.kvm.memory;
  std::string layout;
  for (size_t i = 0; i < ccws.size(); ++i) {
    auto& [c, data] = ccws[i];
    // Format 0 as struct ccw0: cmd, 24-bit address, flags, 0, count.
    std::array<uint8_t, 8> w = ccw::encode(c);
    if (!orb.fmt) w = {c.cmd_code, static_cast<uint8_t>(c.cda >> 16), static_cast<uint8_t>(c.cda >> 8),
                       static_cast<uint8_t>(c.cda), c.flags, 0, static_cast<uint8_t>(c.count >> 8),
                       static_cast<uint8_t>(c.count)};
    if (!mem.write(guest::CCW_AREA + 8 * i, w) || (!data.empty() && !mem.write(c.cda, data)))
      return r.fail(fmt::format("ssch: 0x{:x} is outside the guest's memory", c.cda));
    layout += fmt::format("\nccw 0x{:08x}: {:02x} {:02x} {:04x} data 0x{:08x}", guest::CCW_AREA + 8 * i, c.cmd_code,
                          c.flags, c.count, c.cda);
  }
  const unsigned cc = r.sys.guests().ssch(r.g, dev, orb);
  r.out = fmt::format("cc {}", cc) + layout;
  return true;
}

bool online(Request& r, qemu::CcwDevice& dev, bool once) {
  guest::CcwIo io(r.sys.guests(), r.g, dev);
  guest::DasdGeometry& geo = r.kernel.dasds[dev.dev_id];
  guest::DasdEckd dasd(io, geo);
  const std::string busid = fmt::format("0.{:x}.{:04x}", dev.dev_id.ssid, dev.dev_id.devid);
  r.out = fmt::format("Setting device {} online\n", busid);
  if (dev.online) return r.out += "Done", true;  // already online: chccwdev says so too
  guest::DasdOnlineOptions opts{once, guest::dasd_disk_name(r.kernel.next_devindex)};
  std::vector<std::string> lines;
  std::string error;
  const bool ok = dasd.set_online(opts, lines, error);
  for (auto& l : lines) r.kernel.log(l);
  if (ok) ++r.kernel.next_devindex;
  r.out += ok ? "Done" : error;
  return ok;
}

bool ipl(Request& r, qemu::CcwDevice& dev) {
  // As QEMU's s390-ccw BIOS does: READ IPL of record 1 (PSW and two CCWs)
  // to address 0, then the IPL1 channel program at 8, then the PSW.
  guest::CcwIo io(r.sys.guests(), r.g, dev);
  if (!dev.schib.pmcw.ena) io.enable();
  auto start = [&](uint32_t cpa) -> std::optional<ccw::Irb> {
    ccw::Orb orb;
    orb.lpm = 0xff;
    orb.cpa = cpa;
    if (unsigned cc = r.sys.guests().ssch(r.g, dev, orb)) return r.fail(fmt::format("IPL failed: cc {}", cc)), std::nullopt;
    ccw::Irb irb;
    if (r.sys.guests().tsch(r.g, dev, irb) != 0) return r.fail("IPL failed: no interrupt"), std::nullopt;
    if (!guest::io_done(irb)) return r.fail("IPL failed: " + scsw_text(irb.scsw)), std::nullopt;
    return irb;
  };
  const std::array<uint8_t, 8> read_ipl = {ccw::CCW_CMD_READ_IPL, 0, 0, 0, ccw::CCW_FLAG_SLI, 0, 0, 24};
  r.g.kvm.memory.write(guest::CCW_AREA, read_ipl);
  if (!start(guest::CCW_AREA) || !start(8)) return false;
  std::array<uint8_t, 8> psw{};
  r.g.kvm.memory.read(0, psw);
  const bool wait = psw[1] & 0x02, io_mask = psw[0] & 0x02, ext_mask = psw[0] & 0x01;
  r.out = fmt::format("PSW {} {}{}", base::to_hex(std::span(psw).first(4)), base::to_hex(std::span(psw).last(4)),
                      wait && !io_mask && !ext_mask ? ": disabled wait" : "");
  return true;
}

}  // namespace

std::string ccw_word(const std::string& text) {
  std::string w;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      space = !w.empty();
      continue;
    }
    if (space) w += ',';
    space = false;
    w += c;
  }
  return w;
}

bool guest_ccw_command(System& sys, const Mutate& mutate, const std::vector<std::string>& words, std::string& out) {
  if (words.size() < 2) {
    out = "guest ccw: give NAME VERB (see mdevsim guest ccw --help)";
    return false;
  }
  return mutate([&] {
    qemu::Guest* g = sys.guests().find(words[0]);
    if (!g) {
      out = "no guest " + words[0];
      return false;
    }
    guest::LinuxGuest& kernel = sys.guest_kernel(*g);
    Request r{sys, *g, kernel, out};
    const std::string& verb = words[1];
    const std::vector<std::string> args(words.begin() + 2, words.end());
    auto& guests = sys.guests();
    if (verb == "dmesg" && args.empty()) {
      for (auto& l : kernel.dmesg) out += (out.empty() ? "" : "\n") + l;
      return true;
    }
    if (verb == "stcrw" && args.empty()) {
      uint32_t crw = 0;
      out = fmt::format("cc {} crw 0x{:08x}", guests.stcrw(*g, crw), crw);
      return true;
    }
    if (verb == "read" && args.size() == 2) {
      auto addr = hex_number(args[0], UINT64_MAX);
      auto len = hex_number(args[1], 0x10000);
      if (!addr || !len) return r.fail("read: ADDR and LENGTH in hex (at most 10000)");
      std::vector<uint8_t> bytes(*len);
      if (!g->kvm.memory.read(*addr, bytes)) return r.fail("read: outside the guest's memory");
      out = base::to_hex(bytes);
      return true;
    }
    if (verb == "write" && args.size() == 2) {
      auto addr = hex_number(args[0], UINT64_MAX);
      auto bytes = base::from_hex(args[1]);
      if (!addr || !bytes) return r.fail("write: ADDR in hex and HEX data");
      if (!g->kvm.memory.write(*addr, *bytes)) return r.fail("write: outside the guest's memory");
      out = "ok";
      return true;
    }
    if (args.empty()) return r.fail("guest ccw " + verb + ": give the device number, such as 0.0.1234");
    qemu::CcwDevice* dev = find_device(r, args[0]);
    if (!dev) return false;
    const std::span<const std::string> rest(args.begin() + 1, args.end());
    if (verb == "ssch") return ssch(r, *dev, rest);
    if (verb == "tsch" && rest.empty()) {
      ccw::Irb irb;
      const unsigned cc = guests.tsch(*g, *dev, irb);
      out = fmt::format("cc {}", cc);  // cc 3 stores no IRB
      if (cc != 3) out += fmt::format("\n{}\nesw {}\necw {}", scsw_text(irb.scsw), base::to_hex(irb.esw), base::to_hex(irb.ecw));
      return true;
    }
    if (verb == "stsch" && rest.empty()) {
      ccw::Schib s;
      const unsigned cc = guests.stsch(*g, *dev, s);
      const auto& p = s.pmcw;
      out = fmt::format("cc {}\npmcw dev={:04x} ena={} isc={} lpm={:02x} pim={:02x} pam={:02x} pom={:02x} lpum={:02x} "
                        "pnom={:02x} mp={} csense={} chpids={}\n{}",
                        cc, p.dev, p.ena ? 1 : 0, p.isc, p.lpm, p.pim, p.pam, p.pom, p.lpum, p.pnom, p.mp ? 1 : 0,
                        p.csense ? 1 : 0, base::to_hex(p.chpid), scsw_text(s.scsw));
      return true;
    }
    if ((verb == "hsch" || verb == "csch") && rest.empty()) {
      out = fmt::format("cc {}", verb == "hsch" ? guests.hsch(*g, *dev) : guests.csch(*g, *dev));
      return true;
    }
    if (verb == "msch" && rest.size() == 1 && (rest[0] == "enable" || rest[0] == "disable")) {
      guest::CcwIo io(guests, *g, *dev);
      if (rest[0] == "enable") {
        out = fmt::format("cc {}", io.enable());
      } else {
        ccw::Schib s = dev->schib;
        s.pmcw.ena = false;
        out = fmt::format("cc {}", guests.msch(*g, *dev, s));
      }
      return true;
    }
    if (verb == "online" && (rest.empty() || (rest.size() == 1 && rest[0] == "path-message-once")))
      return online(r, *dev, !rest.empty());
    if (verb == "ipl" && rest.empty()) return ipl(r, *dev);
    if ((verb == "dasd-read" && (rest.size() == 1 || rest.size() == 2)) || (verb == "dasd-write" && rest.size() == 2)) {
      auto it = kernel.dasds.find(dev->dev_id);
      if (!dev->online || it == kernel.dasds.end()) return r.fail(args[0] + " is not online (guest ccw NAME online DEVNO)");
      auto block = dec_number(rest[0]);
      if (!block || *block >= it->second.blocks())
        return r.fail(fmt::format("{}: BLOCK is a number below {}", verb, it->second.blocks()));
      guest::CcwIo io(guests, *g, *dev);
      guest::DasdEckd dasd(io, it->second);
      if (verb == "dasd-read") {
        auto length = rest.size() == 2 ? dec_number(rest[1]) : std::optional<uint64_t>(4096);
        if (!length || *length > 4096) return r.fail("dasd-read: LENGTH is a number up to 4096");
        auto b = dasd.read_block(static_cast<unsigned>(*block));
        if (!b) return r.fail("dasd-read: I/O error");
        out = base::to_hex(std::span(*b).first(*length));
        return true;
      }
      auto bytes = base::from_hex(rest[1]);
      if (!bytes || bytes->size() > 4096) return r.fail("dasd-write: HEX of at most 4096 bytes");
      std::array<uint8_t, 4096> block_data{};
      std::copy(bytes->begin(), bytes->end(), block_data.begin());
      if (!dasd.write_block(static_cast<unsigned>(*block), block_data)) return r.fail("dasd-write: I/O error");
      out = "ok";
      return true;
    }
    return r.fail("guest ccw: no verb " + verb + " with these arguments (see mdevsim guest ccw --help)");
  });
}

}  // namespace mdevsim
