#include "guest/dasd_eckd.h"

#include <fmt/format.h>

#include "base/big_endian.h"
#include "ccw/eckd_dasd.h"
#include "ccw/eckd_geometry.h"

namespace guest {
namespace {

using ccw::Ccw1;
using namespace ccw::eckd;

constexpr uint8_t CC = ccw::CCW_FLAG_CC, SLI = ccw::CCW_FLAG_SLI;

// The simulated guest's path group id: CPU address 0x8000 (extended
// CSSID format), a CPU id and model, a TOD clock's high word.
constexpr std::array<uint8_t, 11> GUEST_PGID = {0x80, 0x00, 0x01, 0x23, 0x45, 0x85, 0x61, 0xdd, 0x7a, 0x3c, 0x00};

// EBCDIC letters and digits back to ASCII (EBCASC for what labels hold).
char ascii(uint8_t e) {
  if (e >= 0xf0 && e <= 0xf9) return static_cast<char>('0' + (e - 0xf0));
  if (e >= 0xc1 && e <= 0xc9) return static_cast<char>('A' + (e - 0xc1));
  if (e >= 0xd1 && e <= 0xd9) return static_cast<char>('J' + (e - 0xd1));
  if (e >= 0xe2 && e <= 0xe9) return static_cast<char>('S' + (e - 0xe2));
  if (e == 0x4b) return '.';
  if (e == 0x7b) return '#';
  if (e == 0x7c) return '@';
  if (e == 0x5b) return '$';
  return ' ';
}

// set_ch_t(): cylinder low bits, then the high ones above the head.
void put_track(uint8_t* p, unsigned track, unsigned heads) {
  const unsigned cyl = track / heads, head = track % heads;
  base::put_be16(p, static_cast<uint16_t>(cyl));
  base::put_be16(p + 2, static_cast<uint16_t>((cyl >> 16) << 4 | head));
}

// cchh2blk() and cchhb2blk() of block/partitions/ibm.c.
unsigned cchh2blk(const uint8_t* p, unsigned heads, unsigned sectors) {
  const unsigned hh = base::get_be16(p + 2);
  const unsigned cyl = base::get_be16(p) | (hh & 0xfff0) << 12;
  return cyl * heads * sectors + (hh & 0xf) * sectors;
}

}  // namespace

std::string dasd_disk_name(unsigned devindex) {
  // dasd_gendisk_alloc(): a-z, then two letters, then three.
  std::string name;
  if (devindex >= 26 + 26 * 26) {
    const unsigned i = devindex - 26 - 26 * 26;
    name += static_cast<char>('a' + i / 26 / 26 % 26);
    name += static_cast<char>('a' + i / 26 % 26);
    name += static_cast<char>('a' + i % 26);
  } else if (devindex >= 26) {
    const unsigned i = devindex - 26;
    name += static_cast<char>('a' + i / 26);
    name += static_cast<char>('a' + i % 26);
  } else {
    name += static_cast<char>('a' + devindex);
  }
  return "dasd" + name;
}

std::string DasdEckd::prefix() const { return "dasd-eckd " + m_geo.busid + ": "; }

std::optional<ccw::Irb> DasdEckd::run(std::span<const Ccw1> ccws, uint8_t lpm) {
  unsigned cc = 0;
  const ccw::Pmcw& p = m_io.device().schib.pmcw;
  return m_io.run(ccws, lpm ? lpm : static_cast<uint8_t>(p.pam & p.pom & p.lpm), cc);
}

bool DasdEckd::path_group(std::vector<std::string>& dmesg) {
  // verify_start(): each path of the PAM on its own, SENSE PGID then SET
  // PGID (establish, multipath); a path that rejects either, or one
  // grouped by another system, and dasd-eckd gives up.
  const ccw::Pmcw& p = m_io.device().schib.pmcw;
  for (uint8_t path = 0x80; path; path >>= 1) {
    if (!(p.pam & p.pom & path)) continue;
    const Ccw1 snid[] = {{CMD_SNID, SLI, 12, data(0)}};
    auto irb = run(snid, path);
    std::array<uint8_t, 12> pgid{};
    m_io.memory().read(data(0), pgid);
    const bool other = pgid[0] & 0xc0 && !std::equal(GUEST_PGID.begin(), GUEST_PGID.end(), pgid.begin() + 1);
    if (!irb || !io_done(*irb) || other) {
      dmesg.push_back(prefix() + "A channel path group could not be established");
      return false;
    }
    std::array<uint8_t, 12> spid{0x80};
    std::copy(GUEST_PGID.begin(), GUEST_PGID.end(), spid.begin() + 1);
    m_io.memory().write(data(0), spid);
    const Ccw1 set[] = {{CMD_SPID, SLI, 12, data(0)}};
    irb = run(set, path);
    if (!irb || !io_done(*irb)) {
      dmesg.push_back(prefix() + "A channel path group could not be established");
      return false;
    }
  }
  // verify_done(): the subchannel runs in multipath mode now.
  return m_io.enable(true) == 0;
}

bool DasdEckd::read_conf(std::vector<std::string>& dmesg, bool message_once, bool first) {
  // dasd_eckd_read_conf(): RCD on each operational path; the first valid
  // configuration data clears what the paths knew (since 5.10 also the
  // operational mask), and a path that finds the mask empty announces it.
  const ccw::Pmcw& p = m_io.device().schib.pmcw;
  bool saved = false;
  for (uint8_t path = 0x80; path; path >>= 1) {
    if (!(p.pam & p.pom & path)) continue;
    std::array<uint8_t, 256> rcd{0xe5, 0xf1, 0x4b, 0xf0};  // "V1.0"
    m_io.memory().write(data(0), rcd);
    const Ccw1 ccw[] = {{CMD_RCD, 0, 256, data(0)}};
    auto irb = run(ccw, path);
    if (!irb || !io_done(*irb)) return false;
    m_io.memory().read(data(0), rcd);
    // dasd_eckd_identify_conf_parts(): a device NED and a GNEQ.
    bool ned = false, gneq = false;
    for (size_t at = 0; at < rcd.size(); at += 32) {
      ned |= (rcd[at] >> 6) == 3 && rcd[at + 1] == 1;
      gneq |= (rcd[at] >> 6) == 2;
    }
    if (!ned || !gneq) continue;
    if (!saved) {
      saved = true;
      if (!message_once || first) m_geo.opm = 0;
    }
    if (!m_geo.opm) {
      m_geo.opm = path;
      dmesg.push_back(prefix() + "A channel path to the device has become operational");
    } else {
      m_geo.opm |= path;
    }
  }
  return true;
}

bool DasdEckd::set_online(const DasdOnlineOptions& opts, std::vector<std::string>& dmesg, std::string& error) {
  qemu::CcwDevice& dev = m_io.device();
  m_geo.busid = fmt::format("0.{:x}.{:04x}", dev.dev_id.ssid, dev.dev_id.devid);
  auto fail = [&](int err) {
    error = fmt::format("Failed ({})", std::strerror(err));
    return false;
  };
  if (!dev.schib.pmcw.ena && m_io.enable() != 0) return fail(ENODEV);
  // cio's recognition: SENSE ID, which must say FF and a control unit.
  std::array<uint8_t, 40> id{0, 0xff, 0xff};
  m_io.memory().write(data(0), id);
  const Ccw1 sense_id[] = {{ccw::CCW_CMD_SENSE_ID, SLI, 40, data(0)}};
  auto irb = run(sense_id);
  m_io.memory().read(data(0), id);
  if (!irb || !io_done(*irb) || id[0] != 0xff || base::get_be16(&id[1]) == 0xffff) return fail(ENODEV);
  if (!path_group(dmesg)) return fail(EIO);

  // dasd_eckd_check_characteristics().
  if (!read_conf(dmesg, opts.path_message_once, true)) return fail(EIO);
  const Ccw1 rdc[] = {{CMD_RDC, 0, 64, data(0)}};
  irb = run(rdc);
  if (!irb || !io_done(*irb)) {
    dmesg.push_back(prefix() + "Read device characteristic failed, rc=-5");
    return fail(EIO);
  }
  m_io.memory().read(data(0), m_geo.rdc);
  // validate_server(): PSF perform subsystem function, set subsystem
  // characteristics with PAV (KVM is not z/VM); its result is not checked.
  std::array<uint8_t, 66> ssc{0x1d};
  ssc[6] = 0xc8;
  ssc[7] = 0x88;
  m_io.memory().write(data(0), ssc);
  const Ccw1 psf_ssc[] = {{CMD_PSF, 0, 66, data(0)}};
  run(psf_ssc);
  if (!read_conf(dmesg, opts.path_message_once, false)) return fail(EIO);
  // read_features(), read_vol_info(), read_ext_pool_info(): PSF "prepare
  // for read subsystem data", then RSSD.
  struct Query {
    uint8_t suborder;
    uint16_t count;
    uint8_t flags;
  };
  for (const Query& q : {Query{0x41, 256, 0}, Query{0x52, 28, SLI}, Query{0x53, 3616, SLI}}) {
    std::array<uint8_t, 12> prssd{0x18};
    prssd[6] = q.suborder;
    m_io.memory().write(data(0), prssd);
    const Ccw1 chain[] = {{CMD_PSF, CC, 12, data(0)}, {CMD_RSSD, q.flags, q.count, data(1)}};
    irb = run(chain);
    if (q.suborder == 0x41 && (!irb || !io_done(*irb)))
      dmesg.push_back(prefix() + "Reading device feature codes failed with rc=-5");
  }
  m_geo.cylinders = base::get_be16(&m_geo.rdc[12]);
  if (m_geo.cylinders == 0xfffe) m_geo.cylinders = base::get_be32(&m_geo.rdc[60]);
  m_geo.heads = base::get_be16(&m_geo.rdc[14]);
  dmesg.push_back(prefix() + fmt::format("New DASD {:04X}/{:02X} (CU {:04X}/{:02X}) with {} cylinders, {} heads, {} sectors",
                                         base::get_be16(&m_geo.rdc[3]), m_geo.rdc[5], base::get_be16(&m_geo.rdc[0]), m_geo.rdc[2] & 7,
                                         m_geo.cylinders, m_geo.heads, m_geo.rdc[16]));

  // dasd_eckd_analysis_ccw(): the counts of track 0's first four records
  // and of track 1's first.
  std::array<uint8_t, 16> de{0x40, 0xc4};
  put_track(&de[8], 0, m_geo.heads);
  put_track(&de[12], 1, m_geo.heads);
  std::array<uint8_t, 16> lr0{0x06, 0x00, 0x00, 0x04}, lr1{0x06, 0x00, 0x00, 0x01};
  put_track(&lr0[4], 0, m_geo.heads);
  put_track(&lr0[8], 0, m_geo.heads);
  put_track(&lr1[4], 1, m_geo.heads);
  put_track(&lr1[8], 1, m_geo.heads);
  m_io.memory().write(data(0), de);
  m_io.memory().write(data(1), lr0);
  m_io.memory().write(data(2), lr1);
  const Ccw1 analysis[] = {{CMD_DEFINE_EXTENT, CC, 16, data(0)}, {CMD_LOCATE_RECORD, CC, 16, data(1)},
                           {CMD_READ_COUNT, CC, 8, data(3)},      {CMD_READ_COUNT, CC, 8, data(3) + 8},
                           {CMD_READ_COUNT, CC, 8, data(3) + 16}, {CMD_READ_COUNT, CC, 8, data(3) + 24},
                           {CMD_LOCATE_RECORD, CC, 16, data(2)},  {CMD_READ_COUNT, 0, 8, data(3) + 32}};
  irb = run(analysis);
  std::array<uint8_t, 40> counts{};
  m_io.memory().read(data(3), counts);
  if (!irb || !io_done(*irb)) {
    const bool nrf = irb && (irb->scsw.dstat & ccw::DEV_STAT_UNIT_CHECK) && (irb->ecw[1] & SNS1_NO_REC_FOUND);
    dmesg.push_back(prefix() + (nrf ? "The DASD is not formatted"
                                    : "Detecting the DASD disk layout failed because of an I/O error"));
    return fail(EIO);
  }
  // dasd_eckd_end_analysis(): CDL if track 0 starts with the IPL records
  // and the VOL1 label; the block size is R4's.
  auto count = [&](int i) { return std::span<const uint8_t>(counts).subspan(8 * i, 8); };
  const unsigned sizes_trk0[] = {28, 148, 84};
  m_geo.cdl = true;
  for (int i = 0; i < 3; ++i)
    m_geo.cdl &= count(i)[4] == i + 1 && count(i)[5] + base::get_be16(&count(i)[6]) == sizes_trk0[i];
  const unsigned r4_dl = base::get_be16(&count(3)[6]);
  bool ldl = true;
  for (int i = 0; i < 5; ++i) ldl &= count(i)[5] == 0 && base::get_be16(&count(i)[6]) == r4_dl;
  if (count(3)[5] == 0 && (r4_dl == 512 || r4_dl == 1024 || r4_dl == 2048 || r4_dl == 4096) && (m_geo.cdl || ldl)) {
    m_geo.block_size = r4_dl;
  } else {
    dmesg.push_back(prefix() + "The disk layout of the DASD is not supported");
    return fail(EINVAL);
  }
  m_geo.blk_per_trk = recs_per_track_3390(0, m_geo.block_size);
  const uint64_t kb = uint64_t{m_geo.cylinders} * m_geo.heads * m_geo.blk_per_trk * (m_geo.block_size >> 9) >> 1;
  dmesg.push_back(prefix() + fmt::format("DASD with {} KB/block, {} KB total size, {} KB/track, {}", m_geo.block_size >> 10, kb,
                                         m_geo.blk_per_trk * m_geo.block_size >> 10,
                                         m_geo.cdl ? "compatible disk layout" : "linux disk layout"));

  // check_partition() and ibm_partition(): the label at block 2, then the
  // format-1 DSCBs after the VTOC's first record.
  std::string line = " " + opts.disk_name + ":";
  auto label = read_block(2);
  if (!label) {
    dmesg.push_back(line + " unable to read partition table");
    return fail(EIO);
  }
  std::string type, volser;
  for (int i = 0; i < 4; ++i) type += ascii((*label)[i]);
  for (int i = 8; i < 14; ++i) volser += ascii((*label)[i]);
  if (type == "VOL1") {
    line += fmt::format("VOL1/{:>8}:", volser);
    const unsigned first = cchh2blk(&(*label)[15], m_geo.heads, m_geo.blk_per_trk) + (*label)[19] + 1;
    for (unsigned blk = first, part = 1;; ++blk) {
      auto f1 = read_block(blk);
      if (!f1) {
        line += " unable to read partition table";
        break;
      }
      const uint8_t id = (*f1)[44];
      if (id == 0xf4 || id == 0xf5 || id == 0xf7 || id == 0xf9) continue;
      if (id != 0xf1 && id != 0xf8) break;
      line += fmt::format(" {}{}", opts.disk_name, part++);
    }
  }
  dmesg.push_back(line);
  dev.online = true;
  return true;
}

unsigned DasdEckd::record_length(unsigned block) const {
  const unsigned per = m_geo.blk_per_trk;
  if (!m_geo.cdl || (block >= 3 && (block < per || block >= 2 * per))) return m_geo.block_size;
  return block == 0 ? 28 : block == 1 ? 148 : block == 2 ? 84 : 140;  // sizes_trk0, LABEL_SIZE
}

std::optional<ccw::Irb> DasdEckd::block_io(unsigned block, bool write) {
  // dasd_eckd_build_cp_cmd_single(): DEFINE EXTENT over the block's track,
  // LOCATE RECORD of its record, then READ or WRITE (KEY AND) DATA, multitrack.
  const unsigned track = block / m_geo.blk_per_trk, rec = block % m_geo.blk_per_trk + 1;
  const unsigned len = record_length(block);
  const bool key = len != m_geo.block_size;
  std::array<uint8_t, 16> de{static_cast<uint8_t>(write ? 0x80 : 0x40), 0xc0};
  std::array<uint8_t, 16> lr{static_cast<uint8_t>(write ? 0x01 : 0x06), 0x80, 0x00, 0x01};
  put_track(&de[8], track, m_geo.heads);
  put_track(&de[12], track, m_geo.heads);
  put_track(&lr[4], track, m_geo.heads);
  put_track(&lr[8], track, m_geo.heads);
  lr[12] = static_cast<uint8_t>(rec);
  lr[13] = static_cast<uint8_t>(lr_sector_3390(rec, len));
  base::put_be16(&lr[14], static_cast<uint16_t>(len));
  m_io.memory().write(data(0), de);
  m_io.memory().write(data(1), lr);
  const uint8_t cmd = write ? (key ? CMD_WRITE_KD : CMD_WRITE) : (key ? CMD_READ_KD : CMD_READ);
  const Ccw1 chain[] = {{CMD_DEFINE_EXTENT, CC, 16, data(0)},
                        {CMD_LOCATE_RECORD, CC, 16, data(1)},
                        {static_cast<uint8_t>(cmd | CMD_MT), 0, static_cast<uint16_t>(len), data(2)}};
  return run(chain);
}

std::optional<std::array<uint8_t, 4096>> DasdEckd::read_block(unsigned block) {
  if (!m_geo.blk_per_trk || block >= m_geo.blocks()) return std::nullopt;
  auto irb = block_io(block, false);
  if (!irb || !io_done(*irb)) return std::nullopt;
  std::array<uint8_t, 4096> out;
  out.fill(0xe5);  // what dasd-eckd leaves after a short record
  m_io.memory().read(data(2), std::span(out).first(record_length(block)));
  return out;
}

bool DasdEckd::read_blocks(unsigned first, unsigned count) {
  const unsigned per = m_geo.blk_per_trk;
  if (!per || count == 0 || count > MAX_BLOCKS || first + count > m_geo.blocks() || (m_geo.cdl && first < 2 * per) ||
      m_geo.block_size != 4096)
    return false;
  // Parameters after the data: DE, then one LR per group of 128 blocks.
  const uint32_t params = DATA_AREA + count * 4096;
  std::array<uint8_t, 16> de{0x40, 0xc0};
  put_track(&de[8], first / per, m_geo.heads);
  put_track(&de[12], (first + count - 1) / per, m_geo.heads);
  m_io.memory().write(params, de);
  std::vector<Ccw1> ccws{{CMD_DEFINE_EXTENT, CC, 16, params}};
  constexpr unsigned GROUP = 128;
  for (unsigned g = 0; g * GROUP < count; ++g) {
    const unsigned b = first + g * GROUP, n = std::min(GROUP, count - g * GROUP);
    std::array<uint8_t, 16> lr{0x06, 0x80, 0x00, static_cast<uint8_t>(n)};
    put_track(&lr[4], b / per, m_geo.heads);
    put_track(&lr[8], b / per, m_geo.heads);
    lr[12] = static_cast<uint8_t>(b % per + 1);
    lr[13] = static_cast<uint8_t>(lr_sector_3390(b % per + 1, 4096));
    base::put_be16(&lr[14], 4096);
    const uint32_t at = params + 16 * (g + 1);
    m_io.memory().write(at, lr);
    if (g > 0) {  // a TIC to the next CCW: a new segment for vfio-ccw
      const uint32_t next = CCW_AREA + 8 * static_cast<uint32_t>(ccws.size() + 1);
      ccws.push_back({ccw::CCW_CMD_TIC, 0, 0, next});
    }
    ccws.push_back({CMD_LOCATE_RECORD, CC, 16, at});
    for (unsigned i = 0; i < n; ++i)
      ccws.push_back({CMD_READ | CMD_MT, CC, 4096, DATA_AREA + (g * GROUP + i) * 4096});
  }
  ccws.back().flags = 0;
  auto irb = run(ccws);
  return irb && io_done(*irb);
}

bool DasdEckd::write_block(unsigned block, const std::array<uint8_t, 4096>& bytes) {
  if (!m_geo.blk_per_trk || block >= m_geo.blocks()) return false;
  m_io.memory().write(data(2), std::span(bytes).first(record_length(block)));
  auto irb = block_io(block, true);
  return irb && io_done(*irb);
}

}  // namespace guest
