#include "cli/ap_client.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "apbus/ap_hwinfo.h"
#include "apbus/msgtype50.h"
#include "apbus/msgtype6.h"
#include "base/hex.h"
#include "cli/control.h"

namespace mdevsim {
namespace {

using Bytes = std::vector<uint8_t>;

using base::from_hex;
using base::to_hex;

// "k=v k=v ..." of an `ap` answer.
std::map<std::string, std::string> fields(const std::string& line) {
  std::map<std::string, std::string> f;
  std::istringstream in(line);
  for (std::string w; in >> w;)
    if (auto eq = w.find('='); eq != std::string::npos) f[w.substr(0, eq)] = w.substr(eq + 1);
  return f;
}

// One connection per instruction; errors are printed by control_query.
class Channel {
 public:
  Channel(std::string sys, const std::string& guest) : m_sys(std::move(sys)), m_who(guest.empty() ? "" : " @" + guest) {}

  std::optional<std::map<std::string, std::string>> ask(const std::string& verb, const std::string& args) {
    std::string out;
    if (control_query(m_sys, "ap " + verb + m_who + (args.empty() ? "" : " " + args), out, !m_quiet)) return std::nullopt;
    return fields(out);
  }

  // NQAP, then DQAP until the whole reply is in (parts if it is larger than
  // the buffer); the reply's PSMID must be the request's.
  std::optional<Bytes> exchange(const std::string& apqn, std::span<const uint8_t> msg, std::string& error) {
    uint64_t psmid = ++m_psmid;
    auto st = ask("nqap", fmt::format("{} 0x{:x} {}", apqn, psmid, to_hex(msg)));
    // A refusal was printed already unless quiet.
    if (!st) return fail(error, m_quiet ? "refused" : "");
    if ((*st)["rc"] != "0x00") return fail(error, "NQAP answered rc " + (*st)["rc"]);
    Bytes reply;
    for (;;) {
      auto d = ask("dqap", apqn + " 4096 10000");
      if (!d) return fail(error, m_quiet ? "refused" : "");
      if ((*d)["rc"] != "0x00") return fail(error, "DQAP answered rc " + (*d)["rc"]);
      auto part = from_hex((*d)["data"]);
      if (!part || std::stoull((*d)["psmid"], nullptr, 16) != psmid) return fail(error, "a reply for another request");
      reply.insert(reply.end(), part->begin(), part->end());
      if ((*d)["residual"] == "0") return reply;
    }
  }
  void quiet(bool q) { m_quiet = q; }

 private:
  static std::optional<Bytes> fail(std::string& error, std::string msg) {
    error = std::move(msg);
    return std::nullopt;
  }
  std::string m_sys, m_who;
  uint64_t m_psmid = 0x5e1f000000000000;
  bool m_quiet = false;
};

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// An RSA key's parts as big-endian bytes.
struct RsaKey {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
  Bytes n, e, d, p, q, dp, dq, u;
  size_t len() const { return n.size(); }

  static std::optional<RsaKey> from(EVP_PKEY* k) {
    RsaKey r;
    r.pkey.reset(k);
    std::pair<const char*, Bytes*> parts[] = {
        {OSSL_PKEY_PARAM_RSA_N, &r.n},           {OSSL_PKEY_PARAM_RSA_E, &r.e},
        {OSSL_PKEY_PARAM_RSA_D, &r.d},           {OSSL_PKEY_PARAM_RSA_FACTOR1, &r.p},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, &r.q},     {OSSL_PKEY_PARAM_RSA_EXPONENT1, &r.dp},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, &r.dq},  {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &r.u}};
    for (auto [name, out] : parts) {
      BIGNUM* b = nullptr;
      if (!k || !EVP_PKEY_get_bn_param(k, name, &b)) return std::nullopt;
      out->resize(static_cast<size_t>(BN_num_bytes(b)));
      BN_bn2bin(b, out->data());
      BN_clear_free(b);
    }
    return r;
  }
  static std::optional<RsaKey> generate(unsigned bits) { return from(EVP_RSA_gen(bits)); }

  Bytes request(const std::string& op, std::span<const uint8_t> x) const {
    if (op == "crt") return ap::make_type50_crt(p, q, dp, dq, u, x, len());
    return ap::make_type50_me(op == "me" ? d : e, n, x);
  }
  // OpenSSL's own raw RSA: public for "public", private otherwise.
  std::optional<Bytes> openssl(const std::string& op, std::span<const uint8_t> x) const {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr), EVP_PKEY_CTX_free);
    bool pub = op == "public";
    if (!ctx || (pub ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
      return std::nullopt;
    Bytes out(len());
    size_t n_out = out.size();
    int rc = pub ? EVP_PKEY_encrypt(ctx.get(), out.data(), &n_out, x.data(), x.size())
                 : EVP_PKEY_decrypt(ctx.get(), out.data(), &n_out, x.data(), x.size());
    if (rc != 1) return std::nullopt;
    out.resize(n_out);
    return out;
  }
};

Bytes random_below_modulus(size_t len) {
  Bytes x(len);
  RAND_bytes(x.data(), static_cast<int>(len));
  x[0] &= 0x3f;
  return x;
}

}  // namespace

int ap_rsa(const std::string& sys, const std::string& guest, const std::string& apqn, const std::string& key_file,
           const std::string& op, const std::string& input_hex, bool check) {
  FILE* f = fopen(key_file.c_str(), "r");
  EVP_PKEY* k = f ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
  if (f) fclose(f);
  auto key = RsaKey::from(k);
  if (!key) {
    fmt::print(stderr, "mdevsim: {}: not an RSA private key in PEM\n", key_file);
    return 1;
  }
  auto x = from_hex(input_hex);
  if (!x || x->empty() || x->size() > key->len()) {
    fmt::print(stderr, "mdevsim: the input must be hex of at most {} bytes\n", key->len());
    return 1;
  }
  Bytes msg = key->request(op, *x);
  if (msg.empty()) {
    fmt::print(stderr, "mdevsim: a {}-bit modulus has no type 50 layout (at most 4096 bits)\n", key->len() * 8);
    return 1;
  }
  Channel ch(sys, guest);
  std::string error;
  auto reply = ch.exchange(apqn, msg, error);
  if (!reply) {
    if (!error.empty()) fmt::print(stderr, "mdevsim: {}: {}\n", apqn, error);
    return 1;
  }
  auto result = ap::type80_result(*reply, key->len());
  if (!result) {
    fmt::print(stderr, "mdevsim: {}: error reply {}\n", apqn, to_hex(*reply));
    return 1;
  }
  fmt::print("{}\n", to_hex(*result));
  if (!check) return 0;
  Bytes padded(key->len() - x->size(), 0);
  padded.insert(padded.end(), x->begin(), x->end());
  auto want = key->openssl(op, padded);
  bool same = want && *want == *result;
  fmt::print("{}\n", same ? "OpenSSL agrees" : "OpenSSL DISAGREES");
  return same ? 0 : 1;
}

int ap_rng(const std::string& sys, const std::string& guest, const std::string& apqn, size_t bytes) {
  unsigned apid, apqi;
  if (std::sscanf(apqn.c_str(), "%2x.%4x", &apid, &apqi) != 2) {
    fmt::print(stderr, "mdevsim: {}: not an APQN such as 05.0004\n", apqn);
    return 1;
  }
  Channel ch(sys, guest);
  std::string error;
  auto reply = ch.exchange(apqn, ap::make_cca_rng_request(apqi, bytes), error);
  auto data = reply ? ap::parse_cca_rng_reply(*reply) : std::nullopt;
  if (!data) {
    if (reply || !error.empty()) fmt::print(stderr, "mdevsim: {}: {}\n", apqn, reply ? "error reply " + to_hex(*reply) : error);
    return 1;
  }
  fmt::print("{}\n", to_hex(*data));
  return 0;
}

int ap_selftest(const std::string& sys, const std::string& guest, unsigned requests) {
  Channel ch(sys, guest);
  auto qci = ch.ask("qci", "");
  auto block = qci ? from_hex((*qci)["qci"]) : std::nullopt;
  if (!block || block->size() != 128) return 1;
  auto bit = [&](size_t off, unsigned n) { return (*block)[off + n / 8] & (0x80 >> (n % 8)); };
  struct Queue {
    std::string apqn;
    unsigned apqi;
    ap::ApHwinfo hw;
  };
  std::vector<Queue> queues;
  for (unsigned a = 0; a < 256; ++a) {
    if (!bit(16, a)) continue;
    for (unsigned d = 0; d < 256; ++d) {
      if (!bit(48, d)) continue;
      std::string apqn = fmt::format("{:02x}.{:04x}", a, d);
      auto t = ch.ask("tapq", apqn);
      if (t && (*t)["rc"] == "0x00") queues.push_back({apqn, d, ap::ApHwinfo{std::stoull((*t)["hwinfo"], nullptr, 16)}});
    }
  }
  std::map<unsigned, RsaKey> keys;
  for (unsigned bits : {1024u, 2048u, 4096u})
    if (auto k = RsaKey::generate(bits)) keys.emplace(bits, std::move(*k));
  std::map<std::string, unsigned> done;
  unsigned bad = 0, skipped = 0;
  std::vector<bool> usable(queues.size(), true);
  ch.quiet(true);
  for (unsigned i = 0, tries = 0; i < requests && !queues.empty() && tries < requests * 4; ++tries) {
    size_t qi = tries % queues.size();
    if (!usable[qi]) continue;
    const Queue& q = queues[qi];
    std::string kind, error, verdict;
    Bytes msg;
    std::function<bool(const Bytes&)> ok;
    if (q.hw.has(ap::ApHwinfo::ACCEL)) {
      static const char* ops[] = {"public", "crt", "me", "malformed"};
      std::string op = ops[i % 4];
      unsigned bits = i / 4 % 3 == 2 && q.hw.has(ap::ApHwinfo::MEX4K) && q.hw.has(ap::ApHwinfo::CRT4K) ? 4096 : i / 4 % 3 ? 2048 : 1024;
      const RsaKey& k = keys.at(bits);
      Bytes x = random_below_modulus(k.len());
      kind = op == "malformed" ? "malformed type 50" : fmt::format("RSA-{} {}", bits, op);
      msg = k.request(op == "malformed" ? "crt" : op, x);
      if (op == "malformed") msg[9] = 0x77;  // no such keyblock type
      ok = [&, op, x](const Bytes& r) {
        if (op == "malformed") return r.size() == 8 && r[1] == 0x82 && r[4] == ap::REP82_ERROR_FORMAT_FIELD;
        auto got = ap::type80_result(r, k.len());
        return got && got == k.openssl(op, x);
      };
    } else if (q.hw.has(ap::ApHwinfo::CCA)) {
      if (i % 2) {
        kind = "CCA random numbers";
        size_t n = 8 + i % 57;
        msg = ap::make_cca_rng_request(q.apqi, n);
        ok = [n](const Bytes& r) { auto d = ap::parse_cca_rng_reply(r); return d && d->size() == n; };
      } else {
        kind = "CCA facility query";
        msg = ap::make_cca_fq_request(q.apqi);
        ok = [](const Bytes& r) { return ap::parse_cca_fq_reply(r).has_value(); };
      }
    } else {
      kind = "EP11 module query";
      msg = ap::make_ep11_info_request(q.apqi);
      ok = [](const Bytes& r) { return ap::parse_ep11_info_reply(r).has_value(); };
    }
    auto reply = ch.exchange(q.apqn, msg, error);
    if (!reply && error == "refused" && guest.empty()) {  // not the host's to use
      usable[qi] = false;
      ++skipped;
      continue;
    }
    ++i;
    if (!reply || !ok(*reply)) {
      ++bad;
      fmt::print("FAIL {} on {}: {}\n", kind, q.apqn, reply ? "wrong reply " + to_hex(*reply).substr(0, 64) : error);
      continue;
    }
    ++done[kind];
  }
  unsigned total = 0;
  for (auto& [kind, n] : done) {
    fmt::print("{:>4}  {}\n", n, kind);
    total += n;
  }
  if (skipped) fmt::print("{} queue(s) skipped: not bound to a default driver\n", skipped);
  if (total + bad == 0) {
    fmt::print(stderr, "mdevsim: selftest: no usable queue\n");
    return 1;
  }
  fmt::print("selftest: {} of {} requests correct\n", total, total + bad);
  return bad ? 1 : 0;
}

}  // namespace mdevsim
