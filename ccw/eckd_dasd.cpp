#include "ccw/eckd_dasd.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/big_endian.h"
#include "ccw/ebcdic.h"

namespace ccw::eckd {
namespace {

constexpr CommandEnd done(size_t length) { return {DEV_STAT_CHN_END | DEV_STAT_DEV_END, length}; }

// Copies what fits of `reply` and says how long the reply is.
CommandEnd send(std::span<uint8_t> out, std::span<const uint8_t> reply) {
  std::copy_n(reply.begin(), std::min(reply.size(), out.size()), out.begin());
  return done(reply.size());
}

// The LOCATE RECORD operations by what they let the data commands do.
bool reads_allowed(uint8_t op) { return op == 0x06 || op == 0x16 || op == 0x0c || op == 0x12; }
bool writes_allowed(uint8_t op) { return op == 0x01 || op == 0x02; }
bool formats_allowed(uint8_t op) { return op == 0x03 || op == 0x0b; }

}  // namespace

EckdDasd::EckdDasd(std::unique_ptr<CkdVolume> volume, unsigned devno) : m_volume(std::move(volume)), m_devno(devno) {}

void EckdDasd::start(uint8_t path) {
  m_path = 0;
  while (m_path < 7 && !(path & (0x80 >> m_path))) ++m_path;
  m_commands = 0;
  m_extent.reset();
  m_locate.reset();
  m_at = {};
  m_search_passes = 0;
  m_prssd.reset();
}

std::array<uint8_t, 32> EckdDasd::sense() {
  auto s = m_sense;
  m_sense_pending = false;
  m_sense = {};
  return s;
}

CommandEnd EckdDasd::unit_check(uint8_t s0, uint8_t s1, uint8_t s7) {
  m_sense = {};
  m_sense[0] = s0;
  m_sense[1] = s1;
  m_sense[7] = s7;
  m_sense[27] = 0x80;  // 24-byte compatible sense: Linux recovers by bytes 0-2
  m_sense_pending = true;
  return {DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_UNIT_CHECK, 0};
}

CommandEnd EckdDasd::reject(uint8_t message) { return unit_check(SNS0_CMD_REJECT, 0, message); }

CommandEnd EckdDasd::command(uint8_t cmd, std::span<uint8_t> data) {
  // A program's first command other than SENSE ends the contingent
  // allegiance: the sense of an earlier unit check is gone.
  if (m_commands++ == 0 && cmd != CCW_CMD_BASIC_SENSE && m_sense_pending) sense();
  switch (cmd) {
    case CCW_CMD_BASIC_SENSE: return send(data, sense());
    case CCW_CMD_SENSE_ID: return send(data, sense_id(m_volume->geometry()));
    case CCW_CMD_NOOP: return done(data.size());  // takes the count, moves nothing
    case CMD_RDC: return send(data, read_device_characteristics(m_volume->geometry()));
    case CMD_RCD: return send(data, configuration_data());
    case CMD_SNID:
    case CMD_SPID:
    case CMD_RESERVE:
    case CMD_RELEASE:
    case CMD_SLCK: return path_group(cmd, data);
    case CMD_PSF: return psf(data);
    case CMD_RSSD: return rssd(data);
    case CMD_RSCK: return done(16);
    case CMD_DEFINE_EXTENT: return define_extent(data);
    case CMD_LOCATE_RECORD: return locate_record(data, false);
    case CMD_LOCATE_RECORD_EXT: return locate_record(data, true);
    case CMD_SEEK: return seek(data);
    case CMD_SEARCH_ID_EQUAL: return search_id_equal(data);
    case CCW_CMD_READ_IPL: return read_ipl(data);
    case CMD_READ_TRACK: return read_track(data);
    case CMD_WRITE_CKD:
    case CMD_WRITE_CKD | CMD_MT:
    case CMD_WRITE_RECORD_ZERO: return format_write(cmd, data);
    case CMD_READ:
    case CMD_READ | CMD_MT:
    case CMD_READ_KD:
    case CMD_READ_KD | CMD_MT:
    case CMD_WRITE:
    case CMD_WRITE | CMD_MT:
    case CMD_WRITE_KD:
    case CMD_WRITE_KD | CMD_MT:
    case CMD_READ_COUNT:
    case CMD_READ_COUNT | CMD_MT:
    case CMD_READ_CKD:
    case CMD_READ_CKD | CMD_MT:
    case CMD_READ_RECORD_ZERO: return record_io(cmd, data);
    default: return reject(MSG_INVALID_COMMAND);
  }
}

std::array<uint8_t, 256> EckdDasd::configuration_data() const {
  const Geometry& g = m_volume->geometry();
  std::array<uint8_t, 256> b{};
  const std::string serial = fmt::format("{:012X}", m_devno);
  const uint8_t lss = static_cast<uint8_t>(m_devno >> 8), ua = static_cast<uint8_t>(m_devno);
  // NEDs: flags, type, class; type and model, manufacturer, plant and
  // sequence number in EBCDIC; then the ID (LSS) and unit address.
  auto ned = [&](size_t at, uint8_t flags, uint8_t type, uint8_t cls, unsigned dev_type, unsigned model) {
    b[at] = flags;
    b[at + 1] = type;
    b[at + 2] = cls;
    put_ebcdic(&b[at + 4], fmt::format("{:06X}{:03X}IBMZZ{}", dev_type, model, serial));
    b[at + 30] = lss;
    b[at + 31] = ua;
  };
  ned(0, 0xdc, 0x01, 0x01, g.dev_type, g.dev_model);  // the device: Linux needs type 1
  ned(32, 0xd4, 0x02, 0x00, g.cu_type, g.cu_model);   // the string
  ned(64, 0xd0, 0x00, 0x00, g.cu_type, g.cu_model);   // the storage director
  ned(96, 0xf0, 0x00, 0x00, g.cu_type, g.cu_model);   // the subsystem
  b[96 + 3] = 0x01;
  // GNEQ: identifier 2, a 30 s timeout (10^0 * 30), the subsystem id.
  uint8_t* gneq = &b[224];
  gneq[0] = 0x80;
  gneq[6] = 0x1e;
  base::put_be16(&gneq[8], m_devno & 0xff00);
  gneq[10] = 0x80;
  gneq[11] = gneq[12] = gneq[13] = ua;
  gneq[17] = 0x80;
  gneq[18] = 0x80;
  gneq[19] = ua;
  return b;
}

CommandEnd EckdDasd::path_group(uint8_t cmd, std::span<uint8_t> d) {
  PathGroup& p = m_paths[m_path];
  if (cmd == CMD_SNID) {
    std::array<uint8_t, 12> reply{p.state};
    std::copy(p.id.begin(), p.id.end(), reply.begin() + 1);
    return send(d, reply);
  }
  if (cmd != CMD_SPID) {
    // RESERVE, RELEASE and STEAL LOCK answer with the device's sense bytes.
    for (PathGroup& q : m_paths) {
      if (q.id != p.id) continue;
      q.state = static_cast<uint8_t>((q.state & ~PGID_STATE_RESERVED_SELF) |
                                     (cmd == CMD_RELEASE ? 0 : PGID_STATE_RESERVED_SELF));
    }
    return send(d, m_sense);
  }
  if (d.size() < 12) return reject(MSG_COUNT_TOO_SMALL);
  const uint8_t fn = d[0];
  const bool multipath = fn & 0x80;
  switch (fn & 0x60) {
    case 0x00:  // establish
      std::copy_n(d.begin() + 1, 11, p.id.begin());
      p.state = static_cast<uint8_t>(PGID_STATE_GROUPED | (multipath ? PGID_STATE_MULTIPATH : 0));
      break;
    case 0x40:  // resign: this path leaves the group
      p.state = 0x80;
      break;
    case 0x20:  // disband: every path of the group is reset
      for (PathGroup& q : m_paths)
        if (q.id == p.id) q = {};
      break;
    default: return reject(MSG_INVALID_PARAMETER);
  }
  return done(12);
}

CommandEnd EckdDasd::psf(std::span<const uint8_t> d) {
  if (d.empty()) return reject(MSG_COUNT_TOO_SMALL);
  switch (d[0]) {
    case 0x1d: return done(66);  // perform subsystem function: set subsystem characteristics
    case 0x18: {                  // prepare for read subsystem data
      if (d.size() < 12) return reject(MSG_COUNT_TOO_SMALL);
      const uint8_t suborder = d[6];
      if (suborder != 0x41 && suborder != 0x52 && suborder != 0x53 && suborder != 0x0e)
        return reject(MSG_INVALID_PARAMETER);  // what suborder_not_supported() looks for
      m_prssd = suborder;
      return done(12);
    }
    default: return reject(MSG_INVALID_PARAMETER);
  }
}

CommandEnd EckdDasd::rssd(std::span<uint8_t> d) {
  if (!m_prssd) return reject(MSG_INVALID_SEQUENCE);
  // Feature codes (0x41), volume storage (0x52), logical configuration
  // (0x53), unit address configuration (0x0e): zeros say no features, not
  // space efficient, every unit a base device.
  size_t len = *m_prssd == 0x41 ? 256 : *m_prssd == 0x52 ? 28 : *m_prssd == 0x53 ? 3616 : 512;
  m_prssd.reset();
  std::fill_n(d.begin(), std::min(len, d.size()), uint8_t{0});
  return done(len);
}

std::optional<unsigned> EckdDasd::track_of(std::span<const uint8_t, 4> cchh) const {
  // set_ch_t(): the cylinder's high bits sit in the head's upper 12.
  const unsigned hh = base::get_be16(&cchh[2]);
  const unsigned cyl = base::get_be16(&cchh[0]) | (hh >> 4) << 16, head = hh & 0xf;
  const Geometry& g = m_volume->geometry();
  if (cyl >= g.cylinders || head >= g.heads) return std::nullopt;
  return cyl * g.heads + head;
}

std::array<uint8_t, 8> EckdDasd::count_area(unsigned track, unsigned rec, RecordFormat f) const {
  const Geometry& g = m_volume->geometry();
  const unsigned cyl = track / g.heads;
  std::array<uint8_t, 8> count{};
  base::put_be16(&count[0], cyl & 0xffff);
  base::put_be16(&count[2], (cyl >> 16) << 4 | track % g.heads);
  count[4] = static_cast<uint8_t>(rec);
  count[5] = static_cast<uint8_t>(f.kl);
  base::put_be16(&count[6], f.dl);
  return count;
}

bool EckdDasd::in_extent(unsigned track) const {
  return !m_extent || (track >= m_extent->first && track <= m_extent->last);
}

CommandEnd EckdDasd::define_extent(std::span<const uint8_t> d) {
  // DEFINE EXTENT opens a program's domain, once.
  if (m_extent) return reject(MSG_INVALID_SEQUENCE);
  if (d.size() < 16) return reject(MSG_COUNT_TOO_SMALL);
  auto first = track_of(d.subspan<8, 4>()), last = track_of(d.subspan<12, 4>());
  if (!first || !last || *first > *last) return reject(MSG_INVALID_PARAMETER);
  m_extent = Extent{d[0], d[1], *first, *last};
  return done(d[7] & 0x08 ? 32 : 16);  // with a time stamp (set_timestamp()) 32 bytes
}

CommandEnd EckdDasd::locate_record(std::span<const uint8_t> d, bool extended) {
  const size_t need = extended ? 20 : 16;
  // Inside an extent, and not while another domain has records to go.
  if (!m_extent || (m_locate && m_locate->remaining)) return reject(MSG_INVALID_SEQUENCE);
  if (d.size() < need) return reject(MSG_COUNT_TOO_SMALL);
  uint8_t op = d[0] & 0x3f;
  if (extended && op == 0x3f) op = d[17];  // the extended operation
  const unsigned orientation = d[0] >> 6;
  auto track = track_of(d.subspan<4, 4>());
  if (!track) return reject(MSG_INVALID_PARAMETER);
  if (!in_extent(*track)) return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_PARAMETER);
  const unsigned rec = d[12];
  // Orientation to index (3) or home address (1) stands before R0;
  // otherwise the search record's count must be on the track.
  if (orientation == 0 || orientation == 2) {
    if (!m_volume->record(*track, rec)) return unit_check(0, SNS1_NO_REC_FOUND);
    m_at = {*track, rec, true};
  } else {
    m_at = {*track, 0, false};
  }
  m_locate = Locate{op, d[3]};
  if (m_locate->remaining == 0) return reject(MSG_INVALID_PARAMETER);
  return done(need);
}

CommandEnd EckdDasd::seek(std::span<const uint8_t> d) {
  if (d.size() < 6) return reject(MSG_COUNT_TOO_SMALL);
  auto track = track_of(d.subspan<2, 4>());
  if (!track || base::get_be16(&d[0]) != 0) return reject(MSG_INVALID_PARAMETER);
  if (!in_extent(*track)) return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_PARAMETER);
  m_at = {*track, 0, false};
  m_search_passes = 0;
  return done(6);
}

CommandEnd EckdDasd::search_id_equal(std::span<const uint8_t> d) {
  if (d.size() < 5) return reject(MSG_COUNT_TOO_SMALL);
  // The next count area passes the head: past the track's last record
  // the index point comes, then R0 again. Two index points and no match:
  // no record found.
  unsigned next = m_at.rec + 1;
  if (!m_volume->record(m_at.track, next)) {
    if (++m_search_passes >= 2) return unit_check(0, SNS1_NO_REC_FOUND);
    next = 0;
  }
  m_at = {m_at.track, next, true};
  const auto id = count_area(m_at.track, next, *m_volume->record(m_at.track, next));
  const bool equal = std::equal(id.begin(), id.begin() + 5, d.begin());
  if (!equal) return done(5);
  return {DEV_STAT_CHN_END | DEV_STAT_DEV_END | DEV_STAT_STAT_MOD, 5};
}

std::optional<CommandEnd> EckdDasd::advance(bool multitrack, bool count_only) {
  if (m_at.data_next && !count_only) return std::nullopt;  // the record oriented to
  if (m_volume->record(m_at.track, m_at.rec + 1)) {
    m_at = {m_at.track, m_at.rec + 1, true};
    return std::nullopt;
  }
  // The end of the track: multitrack goes on with the next one's R1.
  const unsigned next = m_at.track + 1;
  if (!multitrack || next >= m_volume->geometry().tracks()) return unit_check(0, SNS1_NO_REC_FOUND);
  if (!in_extent(next)) return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_PARAMETER);
  if (!m_volume->record(next, 1)) return unit_check(0, SNS1_NO_REC_FOUND);
  m_at = {next, 1, true};
  return std::nullopt;
}

CommandEnd EckdDasd::record_io(uint8_t cmd, std::span<uint8_t> d) {
  const uint8_t base = cmd & ~CMD_MT;
  const bool write = base == CMD_WRITE || base == CMD_WRITE_KD;
  if (m_locate) {
    if (m_locate->remaining == 0) return reject(MSG_INVALID_SEQUENCE);
    if (write ? !writes_allowed(m_locate->operation) : !reads_allowed(m_locate->operation))
      return reject(MSG_INVALID_SEQUENCE);
  }
  if (write) {
    if (write_inhibited) return unit_check(SNS0_CMD_REJECT, SNS1_WRITE_INHIBITED);
    if (m_extent && (m_extent->mask & 0xc0) == 0x40)
      return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_SEQUENCE);
  }
  if (base == CMD_READ_RECORD_ZERO) {
    m_at = {m_at.track, 0, true};
  } else if (auto end = advance(cmd & CMD_MT, base == CMD_READ_COUNT || base == CMD_READ_CKD)) {
    return *end;
  }
  if (m_locate) --m_locate->remaining;
  const unsigned track = m_at.track, rec = m_at.rec;
  if (media_errors.contains(track)) return unit_check(SNS0_DATA_CHECK, SNS1_PERM_ERR);
  // READ IPL and READ R0 name their record: a track formatted without it has none.
  const auto format = m_volume->record(track, rec);
  if (!format) return unit_check(0, SNS1_NO_REC_FOUND);
  const RecordFormat f = *format;
  std::vector<uint8_t> kd(f.kl + f.dl);
  const auto count = count_area(track, rec, f);

  if (base == CMD_READ_COUNT) return send(d, count);  // orientation stays after the count
  m_at.data_next = false;
  const bool key = base == CMD_READ_KD || base == CMD_WRITE_KD;
  const size_t skip = key ? 0 : f.kl;  // data alone leaves the key out
  if (write) {
    if (!m_volume->read(track, rec, kd)) return unit_check(SNS0_EQUIPMENT_CHECK, 0);
    // The record keeps its length: a short transfer is padded with zeros.
    const size_t n = std::min(d.size(), kd.size() - skip);
    std::copy_n(d.begin(), n, kd.begin() + static_cast<long>(skip));
    std::fill(kd.begin() + static_cast<long>(skip + n), kd.end(), uint8_t{0});
    if (!m_volume->write(track, rec, kd)) return unit_check(SNS0_EQUIPMENT_CHECK, 0);
    return done(kd.size() - skip);
  }
  if (!m_volume->read(track, rec, kd)) return unit_check(SNS0_EQUIPMENT_CHECK, 0);
  if (base == CMD_READ_CKD || base == CMD_READ_RECORD_ZERO) {
    kd.insert(kd.begin(), count.begin(), count.end());
    return send(d, kd);
  }
  return send(d, std::span(kd).subspan(skip));
}

CommandEnd EckdDasd::read_ipl(std::span<uint8_t> d) {
  // READ IPL: a seek to cylinder 0 head 0, then READ DATA of R1.
  m_at = {0, 1, true};
  m_search_passes = 0;
  return record_io(CMD_READ, d);
}

CommandEnd EckdDasd::read_track(std::span<uint8_t> d) {
  // The oriented track's records from R1 on, each count, key and data.
  if (m_locate && (!reads_allowed(m_locate->operation) || m_locate->remaining == 0))
    return reject(MSG_INVALID_SEQUENCE);
  const unsigned track = m_at.track;
  if (media_errors.contains(track)) return unit_check(SNS0_DATA_CHECK, SNS1_PERM_ERR);
  std::vector<uint8_t> all;
  for (unsigned r = 1; auto f = m_volume->record(track, r); ++r) {
    const auto count = count_area(track, r, *f);
    all.insert(all.end(), count.begin(), count.end());
    all.resize(all.size() + f->kl + f->dl);
    if (!m_volume->read(track, r, std::span(all).last(f->kl + f->dl))) return unit_check(SNS0_EQUIPMENT_CHECK, 0);
  }
  if (m_locate) --m_locate->remaining;
  m_at = {track + 1 < m_volume->geometry().tracks() ? track + 1 : track, 0, false};
  return send(d, all);
}

CommandEnd EckdDasd::format_write(uint8_t cmd, std::span<const uint8_t> d) {
  if (write_inhibited) return unit_check(SNS0_CMD_REJECT, SNS1_WRITE_INHIBITED);
  const bool r0 = cmd == CMD_WRITE_RECORD_ZERO;
  // The file mask: 00 allows formatting but not of R0, C0 everything.
  const uint8_t perm = m_extent ? m_extent->mask & 0xc0 : 0xc0;
  if (perm != 0xc0 && (r0 || perm != 0x00))
    return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_SEQUENCE);
  if (m_locate && (!formats_allowed(m_locate->operation) || m_locate->remaining == 0))
    return reject(MSG_INVALID_SEQUENCE);
  if (d.size() < 8) return reject(MSG_COUNT_TOO_SMALL);
  // The count area names the record: cchh the track's (or, multitrack, the
  // next one's), r the next position.
  auto track = track_of(d.subspan<0, 4>());
  if (!track) return reject(MSG_INVALID_PARAMETER);
  const unsigned rec = d[4], kl = d[5], dl = base::get_be16(&d[6]);
  const bool next_track = (cmd & CMD_MT) && *track == m_at.track + 1 && rec == 1;
  if (!in_extent(*track)) return unit_check(SNS0_CMD_REJECT, SNS1_FILE_PROTECTED, MSG_INVALID_PARAMETER);
  if (r0 ? rec != 0 || *track != m_at.track : (*track != m_at.track && !next_track))
    return reject(MSG_INVALID_PARAMETER);
  if (!r0 && !next_track && rec != m_at.rec + 1) return reject(MSG_INVALID_PARAMETER);

  std::vector<RecordFormat> records;
  if (!r0) {
    // Records up to the one written after stay; the track's rest is erased.
    for (unsigned r = 0; r < (next_track ? 1 : rec); ++r) records.push_back(*m_volume->record(*track, r));
    unsigned cells = 0;
    for (size_t r = 1; r < records.size(); ++r) cells += record_cells_3390(records[r].kl, records[r].dl);
    if (cells + record_cells_3390(kl, dl) > TRACK_CELLS_3390) return reject(MSG_INVALID_PARAMETER);
  }
  records.push_back({kl, dl});
  m_volume->format(*track, records);
  std::vector<uint8_t> kd(kl + dl);
  std::copy_n(d.begin() + 8, std::min(kd.size(), d.size() - 8), kd.begin());
  m_volume->write(*track, rec, kd);
  m_at = {*track, rec, false};
  if (m_locate) --m_locate->remaining;
  return done(8 + kd.size());
}

}  // namespace ccw::eckd
