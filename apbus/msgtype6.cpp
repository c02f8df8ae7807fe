#include "apbus/msgtype6.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <string>

namespace ap {
namespace {

using Bytes = std::vector<uint8_t>;
using Span = std::span<const uint8_t>;

// struct type6_hdr
constexpr size_t H_OFFSET1 = 16, H_OFFSET2 = 20, H_OFFSET3 = 24, H_OFFSET4 = 28, H_AGENT = 32, H_RQID = 48,
                 H_FC = 52, H_TOCARD1 = 56, H_TOCARD2 = 60, H_TOCARD3 = 64, H_TOCARD4 = 68, H_FROMCARD1 = 72,
                 H_FROMCARD2 = 76, H_FROMCARD3 = 80, H_FROMCARD4 = 84;
// struct CPRBX
constexpr size_t X_FUNC_ID = 6, X_REQ_PARML = 12, X_RPL_MSGBL = 20, X_RPLD_PARML = 24, X_RPL_DATAL = 28,
                 X_RPLD_DATAL = 32, X_RTCODE = 144, X_RSCODE = 146, X_DOMAIN = 170;
// struct ep11_cprb
constexpr size_t E_FUNC_ID = 6, E_TARGET = 12, E_RET = 16, E_PAYLOAD_LEN = 28;
// struct type86_fmt2_ext, from the start of the reply
constexpr size_t F_COUNT1 = 16, F_OFFSET1 = 20, F_COUNT2 = 24, F_OFFSET2 = 28;

// Big-endian field; bytes past the end read as 0 so a misjudged bound cannot read out of range.
uint32_t get(Span m, size_t off, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | (off + i < m.size() ? m[off + i] : 0);
  return v;
}
void put(Bytes& b, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[off + i] = static_cast<uint8_t>(v >> 8 * (n - 1 - i));
}
void append(Bytes& b, uint64_t v, size_t n) {
  b.resize(b.size() + n);
  put(b, b.size() - n, v, n);
}
void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
void append(Bytes& b, Span s) { b.insert(b.end(), s.begin(), s.end()); }
uint64_t ceil4(uint64_t x) { return (x + 3) & ~uint64_t{3}; }
// s cut or blank padded to n bytes, left or right aligned.
std::string field(std::string_view s, size_t n, bool right) {
  s = s.substr(0, n);
  std::string pad(n - s.size(), ' ');
  return right ? pad + std::string(s) : std::string(s) + pad;
}
bool is(Span m, size_t off, std::string_view s) {
  return off + s.size() <= m.size() && std::equal(s.begin(), s.end(), m.begin() + static_cast<long>(off));
}
Bytes malformed() { return type88_error(REP88_ERROR_MESSAGE_MALFORMD); }

// A stable made-up verification pattern of one master key register: the
// same for cards that hold the same named master keys.
std::array<uint8_t, 32> pattern(const CardConfig& card, unsigned domain, std::string_view reg) {
  std::string keys = card.master_keys.empty() ? fmt::format("card {}", card.id) : card.master_keys;
  std::string s = fmt::format("mdevsim {} domain {} {}", keys, domain, reg);
  std::array<uint8_t, 32> d{};
  EVP_Digest(s.data(), s.size(), d.data(), nullptr, EVP_sha256(), nullptr);
  return d;
}

// The type 86 format 2 reply: CPRB block (count1) at offset 48, data block (count2) right after.
Bytes type86(Span block1, Span block2) {
  // Sized at once: appending to the 48-byte header trips GCC 12's
  // -Warray-bounds at -O3.
  Bytes r(TYPE86_FMT2_SIZE + block1.size() + block2.size(), 0);
  r[1] = 0x86;
  r[2] = 0x02;
  put(r, F_COUNT1, block1.size(), 4);
  put(r, F_OFFSET1, TYPE86_FMT2_SIZE, 4);
  put(r, F_COUNT2, block2.size(), 4);
  // Set even without data: zcrypt copies offset2 + count2 bytes of the reply.
  put(r, F_OFFSET2, TYPE86_FMT2_SIZE + block1.size(), 4);
  auto end1 = std::copy(block1.begin(), block1.end(), r.begin() + TYPE86_FMT2_SIZE);
  std::copy(block2.begin(), block2.end(), end1);
  return r;
}

// FQ STATICSA / STATICSB. Rule array: 8-byte elements, serial number, then
// new/current/old states of SYM, ASYM, AES (SB: and APKA). Verb data: ASYM
// patterns (16 bytes) at 64/84/104 (cca_get_info); the others 8 bytes after a
// 2-byte register id, 12 bytes apart, old/current/new: AES at 172/184/196,
// APKA at 208/220/232 (cca_get_info), SYM current/new at 136/148 and the ids
// (opencryptoki cca_stdll.h). SYM old at 124 and old-register ids are unknown:
// 124 follows the stride, the ids stay 0.
std::pair<Bytes, Bytes> fq_arrays(const CardConfig& card, unsigned domain, bool sb) {
  Bytes rule(sb ? 13 * 8 : 10 * 8, ' ');
  std::copy_n(card.serialnr.begin(), std::min<size_t>(card.serialnr.size(), 8), rule.begin());
  for (size_t k = 0; k < (sb ? 4u : 3u); ++k) {
    rule[(1 + 3 * k) * 8] = '3';  // new register full
    rule[(2 + 3 * k) * 8] = '2';  // current valid
    rule[(3 + 3 * k) * 8] = '2';  // old valid
  }
  struct Slot {
    const char* reg;
    size_t off, len;
    uint16_t id;
  };
  static const Slot slots[] = {
      {"ASYM old", 64, 16, 0}, {"ASYM cur", 84, 16, 0},      {"ASYM new", 104, 16, 0},
      {"SYM old", 124, 8, 0},  {"SYM cur", 136, 8, 0x0f07},  {"SYM new", 148, 8, 0x0f06},
      {"AES old", 172, 8, 0},  {"AES cur", 184, 8, 0x0f0b},  {"AES new", 196, 8, 0x0f0a},
      {"APKA old", 208, 8, 0}, {"APKA cur", 220, 8, 0x0f0e}, {"APKA new", 232, 8, 0x0f0d}};
  Bytes var(sb ? 240 : 204, 0);
  for (const Slot& s : slots) {
    if (s.off + s.len > var.size()) continue;
    auto p = pattern(card, domain, s.reg);
    std::copy_n(p.begin(), s.len, var.begin() + static_cast<long>(s.off));
    if (s.id) put(var, s.off - 2, s.id, 2);
  }
  return {rule, var};
}

Bytes process_cca(const CardConfig& card, Span m, Span cprb, uint32_t from1, uint32_t from2) {
  if (cprb.size() < CPRBX_SIZE + 2 || get(cprb, 0, 2) != CPRBX_SIZE || cprb[2] != 0x02) return malformed();
  uint32_t parml = get(cprb, X_REQ_PARML, 4);
  if (parml < 2 || parml > cprb.size() - CPRBX_SIZE || from1 < CPRBX_SIZE) return malformed();
  Span parms = cprb.subspan(CPRBX_SIZE, parml);
  if (parms[0] != m[H_FC] || parms[1] != m[H_FC + 1]) return malformed();

  // The reply CPRBX is the request's with the replied lengths and return/reason codes.
  auto reply = [&](uint16_t rt, uint16_t rs, Bytes p, Span d) {
    if (CPRBX_SIZE + p.size() > from1 || d.size() > from2) {  // does not fit: the error reply instead
      rt = CCA_RTCODE_FAILED;
      rs = CCA_RSCODE_INVALID;
      p.clear();
      d = {};
    }
    Bytes blk(cprb.begin(), cprb.begin() + CPRBX_SIZE);
    put(blk, X_RPLD_PARML, p.size(), 4);
    put(blk, X_RPLD_DATAL, d.size(), 4);
    put(blk, X_RTCODE, rt, 2);
    put(blk, X_RSCODE, rs, 2);
    append(blk, p);
    return type86(blk, d);
  };
  // One rule-array keyword: length 10 (the length field counts itself).
  std::string_view rule;
  if (parml >= 12 && get(parms, 2, 2) == 10) rule = {reinterpret_cast<const char*>(parms.data()) + 4, 8};
  unsigned domain = get(cprb, X_DOMAIN, 2);

  if (is(parms, 0, "RL") && rule == "RANDOM  ") {
    uint32_t n = get(cprb, X_RPL_DATAL, 4);
    if (TYPE86_FMT2_SIZE + CPRBX_SIZE + 8 + uint64_t{n} > card.hwinfo.max_msg_size())
      return reply(CCA_RTCODE_FAILED, CCA_RSCODE_INVALID, {}, {});
    Bytes d(n);
    if (n && RAND_bytes(d.data(), static_cast<int>(n)) != 1) return type82_error(REP82_ERROR_MACHINE_FAILURE);
    Bytes p;  // function code, empty rule array, verb data and key block
    append(p, "RL");
    for (int i = 0; i < 3; ++i) append(p, 2, 2);
    return reply(0, 0, std::move(p), d);
  }
  if (is(parms, 0, "FQ") && (rule == "STATICSA" || rule == "STATICSB")) {
    auto [rarray, varray] = fq_arrays(card, domain, rule == "STATICSB");
    Bytes p;  // function code, rule array, verb data, empty key block; lengths count themselves
    append(p, "FQ");
    append(p, rarray.size() + 2, 2);
    append(p, rarray);
    append(p, varray.size() + 2, 2);
    append(p, varray);
    append(p, 2, 2);
    return reply(0, 0, std::move(p), {});
  }
  return reply(CCA_RTCODE_FAILED, CCA_RSCODE_INVALID, {}, {});
}

// The body of an EP11 payload: tag 0x30, then a length in short form or
// 0x81/0x82 long form.
std::optional<Span> ep11_body(Span pl) {
  if (pl.size() < 2 || pl[0] != 0x30) return std::nullopt;
  size_t hdr = pl[1] < 0x80 ? 2 : pl[1] == 0x81 ? 3 : pl[1] == 0x82 ? 4 : 0;
  if (!hdr || pl.size() < hdr) return std::nullopt;
  size_t len = hdr == 2 ? pl[1] : get(pl, 2, hdr - 2);
  if (hdr + len > pl.size()) return std::nullopt;
  return pl.subspan(hdr, len);
}
// A 4-byte OCTET STRING {0x04, 0x04, u32} at pos.
std::optional<uint32_t> ep11_u32(Span body, size_t& pos) {
  if (pos + 6 > body.size() || body[pos] != 0x04 || body[pos + 1] != 0x04) return std::nullopt;
  pos += 6;
  return get(body, pos - 4, 4);
}

Bytes ep11_module_info(const CardConfig& card) {
  Bytes d;  // struct ep11_module_query_info, 196 bytes; the identity is made up
  append(d, 6, 4);                            // API_ord_nr
  append(d, 0, 4);                            // firmware_id
  append(d, 0x0701'0000, 4);                  // FW 7.1, CSP 0.0
  d.resize(d.size() + 3 * 32);                // fwid, xcp and CSP config hashes
  append(d, field(card.serialnr, 16, true));  // as sysfs serialnr shows it
  d.resize(d.size() + 16 + 8 + 4 + 4);        // module date/time, op_mode, PKCS11 and ext flags
  append(d, 85, 4);                           // domains
  d.resize(196);                              // state, blob and payload sizes: 0
  return d;
}

Bytes ep11_domain_info(const CardConfig& card, unsigned domain) {
  Bytes d;  // struct ep11_domain_query_info, 80 bytes
  append(d, domain, 4);
  append(d, pattern(card, domain, "WK cur"));
  d.resize(d.size() + 32);    // no new wrapping key
  append(d, 0x10 | 0x02, 4);  // imprint mode left, current WK valid
  append(d, 0, 8);            // op_mode
  return d;
}

Bytes process_ep11(const CardConfig& card, Span cprb, uint32_t from1) {
  if (cprb.size() < EP11_CPRB_SIZE + 2 || get(cprb, 0, 2) != EP11_CPRB_SIZE || cprb[2] != 0x04) return malformed();
  uint32_t plen = get(cprb, E_PAYLOAD_LEN, 4);
  if (plen > cprb.size() - EP11_CPRB_SIZE || from1 < EP11_CPRB_SIZE + 22) return malformed();
  auto body = ep11_body(cprb.subspan(EP11_CPRB_SIZE, plen));
  size_t pos = 0;
  auto func = body ? ep11_u32(*body, pos) : std::nullopt;
  auto dom = func ? ep11_u32(*body, pos) : std::nullopt;
  if (!dom) return malformed();

  uint32_t rc = CKR_FUNCTION_NOT_SUPPORTED;
  Bytes data;
  if ((*func & 0xffff) == EP11_GET_XCP_INFO) {
    auto query = ep11_u32(*body, pos);
    if (query == EP11_QUERY_MODULE || query == EP11_QUERY_DOMAIN) {
      // zcrypt sets target_id and the payload domain alike; target_id is what the engine checked.
      data = query == EP11_QUERY_MODULE ? ep11_module_info(card) : ep11_domain_info(card, get(cprb, E_TARGET, 4));
      rc = 0;
    }
  }
  // Reply payload: function, domain, return value (, data with a 2-byte length).
  auto payload = [&](uint32_t r, Span dt) {
    Bytes p{0x30, 0x82, 0, 0};
    for (uint32_t v : {*func, *dom, r}) append(p, 0x0404, 2), append(p, v, 4);
    if (!dt.empty()) append(p, 0x0482, 2), append(p, dt.size(), 2), append(p, dt);
    put(p, 2, p.size() - 4, 2);
    return p;
  };
  Bytes pl = payload(rc, data);
  if (EP11_CPRB_SIZE + pl.size() > from1) pl = payload(CKR_BUFFER_TOO_SMALL, {});
  Bytes blk(cprb.begin(), cprb.begin() + EP11_CPRB_SIZE);
  put(blk, E_RET, 0, 4);
  put(blk, E_PAYLOAD_LEN, pl.size(), 4);
  append(blk, pl);
  return type86(blk, {});
}

Bytes type6_hdr(std::string_view agent, std::string_view fc, uint32_t to1, uint32_t from1, uint32_t from2) {
  Bytes h(TYPE6_HDR_SIZE, 0);
  h[1] = 0x06;
  put(h, H_OFFSET1, TYPE6_HDR_SIZE, 4);
  std::copy(agent.begin(), agent.end(), h.begin() + H_AGENT);
  std::copy(fc.begin(), fc.end(), h.begin() + H_FC);
  put(h, H_TOCARD1, to1, 4);
  put(h, H_FROMCARD1, from1, 4);
  put(h, H_FROMCARD2, from2, 4);
  return h;
}

Bytes cprbx(unsigned domain, uint32_t req_parml, uint32_t rpl_msgbl, uint32_t rpl_datal) {
  Bytes x(CPRBX_SIZE, 0);
  put(x, 0, CPRBX_SIZE, 2);
  x[2] = 0x02;
  x[X_FUNC_ID] = 'T', x[X_FUNC_ID + 1] = '2';
  put(x, X_REQ_PARML, req_parml, 4);
  put(x, X_RPL_MSGBL, rpl_msgbl, 4);
  put(x, X_RPL_DATAL, rpl_datal, 4);
  put(x, X_DOMAIN, domain, 2);
  return x;
}

// The CPRB block and data block of a well-framed type 86 reply with CPRB version ver.
std::optional<std::pair<Span, Span>> type86_blocks(Span r, uint8_t ver) {
  if (r.size() < TYPE86_FMT2_SIZE || r[1] != 0x86 || r[2] != 0x02 || r[4]) return std::nullopt;
  uint64_t c1 = get(r, F_COUNT1, 4), o1 = get(r, F_OFFSET1, 4), c2 = get(r, F_COUNT2, 4), o2 = get(r, F_OFFSET2, 4);
  if (o1 + c1 > r.size() || o2 + c2 > r.size() || c1 < 3 || r[o1 + 2] != ver) return std::nullopt;
  return std::pair{r.subspan(o1, c1), r.subspan(o2, c2)};
}

}  // namespace

std::vector<uint8_t> type88_error(uint8_t reply_code) { return {0x00, 0x88, 0, 0, reply_code, 0, 0, 0}; }

std::vector<uint8_t> process_type6(const CardConfig& card, unsigned /*apqi*/, std::span<const uint8_t> m) try {
  if (m.size() < TYPE6_HDR_SIZE) return type82_error(REP82_ERROR_INVALID_MSG_LEN);
  if (m[1] != 0x06 || card.mode == CardMode::Accel) return type82_error(REP82_ERROR_MESSAGE_TYPE);
  uint64_t to1 = get(m, H_TOCARD1, 4), to2 = get(m, H_TOCARD2, 4);
  if (m.size() != TYPE6_HDR_SIZE + ceil4(to1) + to2) return type82_error(REP82_ERROR_INVALID_MSG_LEN);
  if (get(m, H_OFFSET1, 4) != TYPE6_HDR_SIZE || get(m, H_OFFSET2, 4) != (to2 ? TYPE6_HDR_SIZE + ceil4(to1) : 0) ||
      get(m, H_OFFSET3, 4) || get(m, H_OFFSET4, 4) || get(m, H_TOCARD3, 4) || get(m, H_TOCARD4, 4) ||
      get(m, H_FROMCARD3, 4) || get(m, H_FROMCARD4, 4))
    return type82_error(REP82_ERROR_FORMAT_FIELD);
  if (m[0] || get(m, 2, 2) || get(m, 4, 4) || get(m, 8, 4) || get(m, 12, 4) || get(m, H_RQID + 2, 2) ||
      get(m, H_FC + 2, 2))
    return type82_error(REP82_ERROR_RESERVED_FIELD);
  bool cca = is(m, H_AGENT, "CA"), ep11 = is(m, H_AGENT, "XC");
  if (card.mode == CardMode::CCA ? !cca : !ep11) return type82_error(REP82_ERROR_MESSAGE_TYPE);
  Span cprb = m.subspan(TYPE6_HDR_SIZE, to1);
  uint32_t from1 = get(m, H_FROMCARD1, 4), from2 = get(m, H_FROMCARD2, 4);
  return cca ? process_cca(card, m, cprb, from1, from2) : process_ep11(card, cprb, from1);
} catch (...) {
  return type82_error(REP82_ERROR_MACHINE_FAILURE);
}

std::optional<unsigned> type6_target_domain(std::span<const uint8_t> m) {
  if (m.size() < H_AGENT + 2 || m[1] != 0x06) return std::nullopt;
  if (is(m, H_AGENT, "CA") && m.size() >= TYPE6_HDR_SIZE + X_DOMAIN + 2) return get(m, TYPE6_HDR_SIZE + X_DOMAIN, 2);
  if (is(m, H_AGENT, "XC") && m.size() >= TYPE6_HDR_SIZE + E_TARGET + 4) return get(m, TYPE6_HDR_SIZE + E_TARGET, 4);
  return std::nullopt;
}

std::vector<uint8_t> make_cca_rng_request(unsigned domain, size_t nbytes) {
  constexpr uint32_t parml = 16, block = CPRBX_SIZE + parml;  // already a multiple of 4
  auto n = static_cast<uint32_t>(nbytes);
  Bytes m = type6_hdr("CA", "RL", block, block, n);
  append(m, cprbx(domain, parml, block, n));
  append(m, "RL");
  append(m, 10, 2);  // rule array length, itself included
  append(m, "RANDOM  ");
  append(m, 2, 2);   // verb data length
  append(m, 2, 2);   // key block length
  return m;
}

std::vector<uint8_t> make_cca_fq_request(unsigned domain, std::string_view rule) {
  constexpr uint32_t vardata = 4096, parml = 2 + 2 + 8 + 2 + vardata + 2, block = CPRBX_SIZE + parml;
  Bytes m = type6_hdr("CA", "FQ", block, block, 0);  // fromcardlen1: rpl_msgbl, as prep_xcrb() sets it
  append(m, cprbx(domain, parml, block, 0));
  append(m, "FQ");
  append(m, 10, 2);
  append(m, field(rule, 8, false));
  append(m, 2 + vardata, 2);
  m.resize(m.size() + vardata);
  append(m, 2, 2);
  m.resize(TYPE6_HDR_SIZE + ceil4(block));
  return m;
}

std::vector<uint8_t> make_ep11_info_request(unsigned domain, uint32_t query_type) {
  constexpr uint32_t plen = 4 + 6 * 4, req_len = EP11_CPRB_SIZE + plen;
  // ep11_info_rep_pl and the query's data: module or domain info
  uint32_t resp_len = EP11_CPRB_SIZE + 4 + 6 * 3 + 4 + (query_type == EP11_QUERY_DOMAIN ? 80 : 196);
  Bytes m = type6_hdr("XC", std::string_view("\0\0", 2), req_len, resp_len, 0);
  m[H_RQID + 1] = 0x01;
  Bytes c(EP11_CPRB_SIZE, 0);
  put(c, 0, EP11_CPRB_SIZE, 2);
  c[2] = 0x04;
  c[E_FUNC_ID] = 'T', c[E_FUNC_ID + 1] = '4';
  put(c, E_TARGET, domain, 4);
  put(c, E_RET, 0xffffffff, 4);
  put(c, E_PAYLOAD_LEN, plen, 4);
  append(m, c);
  m.insert(m.end(), {0x30, 0x82});
  append(m, plen - 4, 2);
  for (uint32_t v : {(1u << 16) + EP11_GET_XCP_INFO, domain, query_type, 0u}) append(m, 0x0404, 2), append(m, v, 4);
  m.resize(TYPE6_HDR_SIZE + ceil4(req_len));
  return m;
}

std::optional<std::vector<uint8_t>> parse_cca_rng_reply(std::span<const uint8_t> r) {
  auto b = type86_blocks(r, 0x02);
  if (!b || b->first.size() < CPRBX_SIZE || get(b->first, X_RTCODE, 2) || get(b->first, X_RSCODE, 2)) return std::nullopt;
  return Bytes(b->second.begin(), b->second.end());
}

std::optional<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> parse_cca_fq_reply(std::span<const uint8_t> r) {
  auto b = type86_blocks(r, 0x02);
  if (!b || b->first.size() < CPRBX_SIZE + 2 || get(b->first, X_RTCODE, 2)) return std::nullopt;
  Span p = b->first.subspan(CPRBX_SIZE + 2);  // past the function code
  Bytes arrays[2];
  for (Bytes& a : arrays) {
    size_t len = get(p, 0, 2);
    if (len < 2 || len > p.size()) return std::nullopt;
    a.assign(p.begin() + 2, p.begin() + static_cast<long>(len));
    p = p.subspan(len);
  }
  return std::pair{std::move(arrays[0]), std::move(arrays[1])};
}

std::optional<std::vector<uint8_t>> parse_ep11_info_reply(std::span<const uint8_t> r) {
  auto b = type86_blocks(r, 0x04);
  if (!b || b->first.size() < EP11_CPRB_SIZE) return std::nullopt;
  Span pl = b->first.subspan(EP11_CPRB_SIZE, std::min<size_t>(get(b->first, E_PAYLOAD_LEN, 4), b->first.size() - EP11_CPRB_SIZE));
  auto body = ep11_body(pl);
  size_t pos = 0;
  if (!body || !ep11_u32(*body, pos) || !ep11_u32(*body, pos) || ep11_u32(*body, pos) != 0u) return std::nullopt;
  if (pos + 4 > body->size() || get(*body, pos, 2) != 0x0482) return std::nullopt;
  size_t len = get(*body, pos + 2, 2);
  if (pos + 4 + len > body->size()) return std::nullopt;
  return Bytes(body->begin() + static_cast<long>(pos + 4), body->begin() + static_cast<long>(pos + 4 + len));
}

std::optional<CcaMasterKeys> cca_master_keys(const CardConfig& card, unsigned domain) {
  auto sa = parse_cca_fq_reply(process_type6(card, domain, make_cca_fq_request(domain, "STATICSA")));
  auto sb = parse_cca_fq_reply(process_type6(card, domain, make_cca_fq_request(domain, "STATICSB")));
  if (!sa || !sb || sa->first.size() < 10 * 8 || sa->second.size() < 204 || sb->first.size() < 13 * 8 ||
      sb->second.size() < 240)
    return std::nullopt;
  // Rule array: NEW/CUR/OLD states at 8-byte elements 4-6 (ASYM), 7-9 (AES),
  // 10-12 (APKA, STATICSB). Patterns: offsets for OLD, CUR, NEW.
  struct Where {
    CcaMasterKeys::Kind kind;
    const Bytes &rule, &var;
    size_t elem, off[3], len;  // off: OLD, CUR, NEW
  };
  const Where where[] = {{CcaMasterKeys::ASYM, sa->first, sa->second, 4, {64, 84, 104}, 16},
                         {CcaMasterKeys::AES, sa->first, sa->second, 7, {172, 184, 196}, 8},
                         {CcaMasterKeys::APKA, sb->first, sb->second, 10, {208, 220, 232}, 8}};
  CcaMasterKeys mk;
  for (const Where& w : where) {
    for (int slot : {CcaMasterKeys::NEW, CcaMasterKeys::CUR, CcaMasterKeys::OLD}) {
      auto& r = mk.reg[w.kind][slot];
      r.state = static_cast<char>(w.rule[(w.elem + slot) * 8]);
      size_t off = w.off[2 - slot];
      r.mkvp.assign(w.len, 0);
      if (r.state == (slot == CcaMasterKeys::NEW ? '3' : '2'))
        std::copy_n(w.var.begin() + static_cast<long>(off), w.len, r.mkvp.begin());
    }
  }
  return mk;
}

}  // namespace ap
