#include "apbus/msgtype50.h"

#include <openssl/bn.h>

#include <algorithm>
#include <array>
#include <memory>

namespace ap {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct MontFree {
  void operator()(BN_MONT_CTX* m) const { BN_MONT_CTX_free(m); }
};

Bn bn(std::span<const uint8_t> bytes) { return Bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr)); }
Bn bn_new() { return Bn(BN_new()); }

uint16_t be16(std::span<const uint8_t> m, size_t off) { return static_cast<uint16_t>(m[off] << 8 | m[off + 1]); }

bool zero(std::span<const uint8_t> m) {
  for (uint8_t b : m)
    if (b) return false;
  return true;
}

struct Layout {
  bool crt;
  size_t field;  // modulus-sized field: 128, 256, 512
  size_t size;   // whole message
};

bool layout_of(uint16_t keyblock, Layout& l) {
  switch (keyblock) {
    case TYPE50_MEB1: l = {false, 128, 16 + 3 * 128}; return true;
    case TYPE50_MEB2: l = {false, 256, 16 + 3 * 256}; return true;
    case TYPE50_MEB3: l = {false, 512, 16 + 3 * 512}; return true;
    case TYPE50_CRB1: l = {true, 128, 16 + 5 * 64 + 128}; return true;
    case TYPE50_CRB2: l = {true, 256, 16 + 5 * 128 + 256}; return true;
    case TYPE50_CRB3: l = {true, 512, 16 + 5 * 256 + 512}; return true;
    default: return false;
  }
}

std::vector<uint8_t> type80_reply(const BIGNUM* result, size_t field) {
  std::vector<uint8_t> r(16 + field, 0);
  r[1] = 0x80;
  r[2] = static_cast<uint8_t>(r.size() >> 8);
  r[3] = static_cast<uint8_t>(r.size());
  BN_bn2binpad(result, r.data() + 16, static_cast<int>(field));
  return r;
}

// The Montgomery contexts of the last few moduli this thread worked with.
// Setting one up costs a division as wide as the modulus, about 4% of a
// 2048-bit CRT operation; a program sends one key many times, and OpenSSL's
// own RSA keeps them with the key for the same reason.
class MontCache {
 public:
  BN_MONT_CTX* get(const BIGNUM* mod, BN_CTX* ctx) {
    std::array<uint8_t, 512> key{};
    const int n = BN_bn2binpad(mod, key.data(), static_cast<int>(key.size()));
    if (n < 0) return nullptr;
    for (size_t i = 0; i < m_slots.size(); ++i)
      if (m_slots[i].mont && m_slots[i].key == key) {
        std::rotate(m_slots.begin(), m_slots.begin() + static_cast<long>(i), m_slots.begin() + static_cast<long>(i) + 1);
        return m_slots[0].mont.get();
      }
    std::unique_ptr<BN_MONT_CTX, MontFree> m(BN_MONT_CTX_new());
    if (!m || !BN_MONT_CTX_set(m.get(), mod, ctx)) return nullptr;
    std::rotate(m_slots.begin(), m_slots.end() - 1, m_slots.end());  // the oldest goes
    m_slots[0] = {key, std::move(m)};
    return m_slots[0].mont.get();
  }

 private:
  struct Slot {
    std::array<uint8_t, 512> key;
    std::unique_ptr<BN_MONT_CTX, MontFree> mont;
  };
  std::array<Slot, 4> m_slots{};  // most recently used first
};

}  // namespace

std::vector<uint8_t> type82_error(uint8_t reply_code) { return {0x00, 0x82, 0, 0, reply_code, 0, 0, 0}; }

std::vector<uint8_t> process_type50(const CardConfig& card, std::span<const uint8_t> m) {
  if (m.size() < 16) return type82_error(REP82_ERROR_INVALID_MSG_LEN);
  if (m[1] != 0x50 || !card.hwinfo.has(ApHwinfo::ACCEL)) return type82_error(REP82_ERROR_MESSAGE_TYPE);
  if (be16(m, 2) != m.size()) return type82_error(REP82_ERROR_INVALID_MSG_LEN);
  Layout l;
  if (!layout_of(be16(m, 8), l)) return type82_error(REP82_ERROR_FORMAT_FIELD);
  if (m.size() != l.size) return type82_error(REP82_ERROR_INVALID_MSG_LEN);
  if (m[0] || m[4] || m[6] || m[7] || !zero(m.subspan(10, 6))) return type82_error(REP82_ERROR_RESERVED_FIELD);
  // 4096-bit operations need the AP4KM / AP4KC facilities.
  if (l.field == 512 && !card.hwinfo.has(l.crt ? ApHwinfo::CRT4K : ApHwinfo::MEX4K))
    return type82_error(REP82_ERROR_OPERAND_SIZE);

  thread_local std::unique_ptr<BN_CTX, CtxFree> ctx(BN_CTX_new());
  thread_local MontCache monts;
  Bn result = bn_new();
  auto body = m.subspan(16);
  if (!l.crt) {
    Bn e = bn(body.subspan(0, l.field)), n = bn(body.subspan(l.field, l.field)), x = bn(body.subspan(2 * l.field, l.field));
    if (BN_is_zero(n.get()) || !BN_is_odd(n.get())) return type82_error(REP82_ERROR_EVEN_MOD_IN_OPND);
    if (BN_cmp(x.get(), n.get()) >= 0) return type82_error(REP82_ERROR_OPERAND_INVALID);
    BN_MONT_CTX* mn = monts.get(n.get(), ctx.get());
    if (!mn || !BN_mod_exp_mont(result.get(), x.get(), e.get(), n.get(), ctx.get(), mn))
      return type82_error(REP82_ERROR_OPERAND_INVALID);
    return type80_reply(result.get(), l.field);
  }
  // CRT: m1 = c^dp mod p, m2 = c^dq mod q, h = u (m1 - m2) mod p with
  // u = q^-1 mod p, result = m2 + h q.
  size_t half = l.field / 2;
  Bn p = bn(body.subspan(0, half)), q = bn(body.subspan(half, half)), dp = bn(body.subspan(2 * half, half)),
     dq = bn(body.subspan(3 * half, half)), u = bn(body.subspan(4 * half, half)), c = bn(body.subspan(5 * half, l.field));
  if (BN_is_zero(p.get()) || BN_is_zero(q.get()) || !BN_is_odd(p.get()) || !BN_is_odd(q.get()))
    return type82_error(REP82_ERROR_EVEN_MOD_IN_OPND);
  // Both halves in one call, as OpenSSL's own RSA does them (two
  // exponentiations interleaved, AVX-512 IFMA where the CPU has it).
  Bn m1 = bn_new(), m2 = bn_new(), h = bn_new(), cp = bn_new(), cq = bn_new();
  BN_MONT_CTX* mp = monts.get(p.get(), ctx.get());
  BN_MONT_CTX* mq = mp ? monts.get(q.get(), ctx.get()) : nullptr;
  bool ok = mq && BN_mod(cp.get(), c.get(), p.get(), ctx.get()) && BN_mod(cq.get(), c.get(), q.get(), ctx.get()) &&
            BN_mod_exp_mont_consttime_x2(m1.get(), cp.get(), dp.get(), p.get(), mp, m2.get(),
                                         cq.get(), dq.get(), q.get(), mq, ctx.get()) &&
            BN_mod_sub(h.get(), m1.get(), m2.get(), p.get(), ctx.get()) &&
            BN_mod_mul(h.get(), h.get(), u.get(), p.get(), ctx.get()) && BN_mul(result.get(), h.get(), q.get(), ctx.get()) &&
            BN_add(result.get(), result.get(), m2.get());
  if (!ok || BN_num_bytes(result.get()) > static_cast<int>(l.field)) return type82_error(REP82_ERROR_OPERAND_INVALID);
  return type80_reply(result.get(), l.field);
}

namespace {

size_t field_for(size_t len) { return len <= 128 ? 128 : len <= 256 ? 256 : len <= 512 ? 512 : 0; }

std::vector<uint8_t> with_header(size_t size, uint16_t keyblock) {
  std::vector<uint8_t> m(size);
  m[1] = 0x50;
  m[2] = static_cast<uint8_t>(size >> 8);
  m[3] = static_cast<uint8_t>(size);
  m[8] = static_cast<uint8_t>(keyblock >> 8);
  m[9] = static_cast<uint8_t>(keyblock);
  return m;
}

// Right-aligns `v` in the field [off, off + width); false if it is wider.
bool put(std::vector<uint8_t>& m, size_t off, size_t width, std::span<const uint8_t> v) {
  while (!v.empty() && v.front() == 0 && v.size() > width) v = v.subspan(1);
  if (v.size() > width) return false;
  std::copy(v.begin(), v.end(), m.begin() + static_cast<long>(off + width - v.size()));
  return true;
}

}  // namespace

std::vector<uint8_t> make_type50_me(std::span<const uint8_t> exponent, std::span<const uint8_t> modulus,
                                    std::span<const uint8_t> input) {
  size_t f = field_for(modulus.size());
  if (!f) return {};
  auto m = with_header(16 + 3 * f, f == 128 ? TYPE50_MEB1 : f == 256 ? TYPE50_MEB2 : TYPE50_MEB3);
  if (!put(m, 16, f, exponent) || !put(m, 16 + f, f, modulus) || !put(m, 16 + 2 * f, f, input)) return {};
  return m;
}

std::vector<uint8_t> make_type50_crt(std::span<const uint8_t> p, std::span<const uint8_t> q, std::span<const uint8_t> dp,
                                     std::span<const uint8_t> dq, std::span<const uint8_t> u, std::span<const uint8_t> input,
                                     size_t modulus_len) {
  size_t f = field_for(modulus_len), h = f / 2;
  if (!f) return {};
  auto m = with_header(16 + 5 * h + f, f == 128 ? TYPE50_CRB1 : f == 256 ? TYPE50_CRB2 : TYPE50_CRB3);
  std::span<const uint8_t> parts[] = {p, q, dp, dq, u};
  for (size_t i = 0; i < 5; ++i)
    if (!put(m, 16 + i * h, h, parts[i])) return {};
  if (!put(m, 16 + 5 * h, f, input)) return {};
  return m;
}

std::optional<std::vector<uint8_t>> type80_result(std::span<const uint8_t> reply, size_t len) {
  if (reply.size() < 16 + len || reply[1] != 0x80 || size_t(reply[2] << 8 | reply[3]) != reply.size()) return std::nullopt;
  return std::vector<uint8_t>(reply.end() - static_cast<long>(len), reply.end());
}

}  // namespace ap

