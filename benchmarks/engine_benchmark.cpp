// engine_benchmark: RSA-2048 private-key operations through the AP engine
// (NQAP, wait for the reply, DQAP on a simulated CEX8A queue) against OpenSSL
// called directly, at the same number of threads, in the same run.
//
// Operations, both computing x^d mod n for one random x < n of one key:
//   crt  type 50 CRB2 (p, q, dp, dq, u): the usual RSA private-key operation
//   me   type 50 MEB2 (d, n): modular exponentiation with the full exponent
//
// Targets, each run with T = 1, 2, 4, ... hardware_concurrency() threads
// (->Threads(T), real time; items/s is the throughput of all T threads):
//   direct*           T threads calling OpenSSL themselves: the reference.
//     crt/direct_evp  EVP_PKEY_decrypt with RSA_NO_PADDING, one EVP_PKEY copy
//                     per thread (its own blinding state): what an
//                     application calls; blinding costs it a few percent
//     crt/direct_bn   the engine's CRT math (msgtype50.cpp) done the fastest
//                     way OpenSSL offers: both halves in one
//                     BN_mod_exp_mont_consttime_x2 on Montgomery contexts made
//                     once (AVX-512 IFMA where the CPU has it), no blinding
//     me/direct       BN_mod_exp_mont with a Montgomery context made once:
//                     BN_mod_exp minus its set-up; ~8% faster on the
//                     development VM than the constant-time path and than
//                     EVP with an (n, e, d) key
//     The CRT reference is the faster of the two crt/direct_* in the run.
//   handler           T threads calling ap::process_message() themselves: the
//                     engine's work without the queues (a diagnostic that
//                     splits engine/direct into the math and the transport)
//   engine            an ApEngine with T CEX8A adapters (one queue each,
//                     domain 0) and T workers; client thread i drives queue i:
//                     nqap(psmid); wait_reply; dqap; check psmid and result.
//                     One request in flight per client.
//   engine_pipelined  the same with up to qd+1 requests in flight per queue.
// Then the paired comparison: at each T, engine and direct (direct_bn, me/
// direct) alternate in short slices on the same threads, so that the ratio
// does not depend on how fast the (virtual) machine was in one run or the
// other (--paired_rounds=N, default 20; --paired_slice_ms=MS, default 100;
// 0 skips it).
// Every iteration checks its result against the one computed before timing;
// before anything runs, every target's result is checked once against
// OpenSSL's (the process exits with a message otherwise).
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apbus/ap_engine.h"
#include "apbus/ap_message.h"
#include "apbus/host_config.h"
#include "apbus/msgtype50.h"
#include "benchmarks/bench_support.h"

namespace {

using namespace std::chrono_literals;
constexpr size_t L = 256;  // RSA-2048: modulus bytes

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Bn = std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>>;
using BnCtx = std::unique_ptr<BN_CTX, Free<BN_CTX, BN_CTX_free>>;
using Mont = std::unique_ptr<BN_MONT_CTX, Free<BN_MONT_CTX, BN_MONT_CTX_free>>;
using Pkey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bytes = std::vector<uint8_t>;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "engine_benchmark: %s\n", why.c_str());
  std::exit(1);
}

Bytes bytes_of(const BIGNUM* b) {
  Bytes v(static_cast<size_t>(BN_num_bytes(b)));
  BN_bn2bin(b, v.data());
  return v;
}

// One key, one input, its result and the two request messages.
struct Key {
  Pkey pkey;
  Bn n, d, p, q, dp, dq, u;
  Bytes x, expected, crt_msg, me_msg;  // x and expected: L bytes
  void init() {
    pkey.reset(EVP_RSA_gen(2048));
    if (!pkey) die("EVP_RSA_gen failed");
    auto get = [&](const char* name, Bn& b) {
      BIGNUM* v = nullptr;
      if (!EVP_PKEY_get_bn_param(pkey.get(), name, &v)) die(std::string("no RSA parameter ") + name);
      b.reset(v);
    };
    get(OSSL_PKEY_PARAM_RSA_N, n);
    get(OSSL_PKEY_PARAM_RSA_D, d);
    get(OSSL_PKEY_PARAM_RSA_FACTOR1, p);
    get(OSSL_PKEY_PARAM_RSA_FACTOR2, q);
    get(OSSL_PKEY_PARAM_RSA_EXPONENT1, dp);
    get(OSSL_PKEY_PARAM_RSA_EXPONENT2, dq);
    get(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, u);  // q^-1 mod p
    Bn r(BN_new());
    BN_rand_range(r.get(), n.get());
    x.resize(L);
    BN_bn2binpad(r.get(), x.data(), L);
    crt_msg = ap::make_type50_crt(bytes_of(p.get()), bytes_of(q.get()), bytes_of(dp.get()), bytes_of(dq.get()),
                                  bytes_of(u.get()), x, L);
    me_msg = ap::make_type50_me(bytes_of(d.get()), bytes_of(n.get()), x);
    if (crt_msg.empty() || me_msg.empty()) die("cannot build the type 50 messages");
  }
};
Key g_key;

// ------------------------------------------------- OpenSSL, directly

struct EvpCrt {
  Pkey key{EVP_PKEY_dup(g_key.pkey.get())};
  PkeyCtx ctx{EVP_PKEY_CTX_new(key.get(), nullptr)};
  EvpCrt() {
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) <= 0)
      die("EVP_PKEY_decrypt_init failed");
  }
  bool run(const Bytes& in, uint8_t* out) {
    size_t len = L;
    return EVP_PKEY_decrypt(ctx.get(), out, &len, in.data(), in.size()) > 0 && len == L;
  }
};

// Garner as msgtype50.cpp: m1 = c^dp mod p, m2 = c^dq mod q,
// result = m2 + q (u (m1 - m2) mod p).
struct BnCrt {
  BnCtx ctx{BN_CTX_new()};
  Mont mp{BN_MONT_CTX_new()}, mq{BN_MONT_CTX_new()};
  Bn c{BN_new()}, cp{BN_new()}, cq{BN_new()}, m1{BN_new()}, m2{BN_new()}, h{BN_new()}, r{BN_new()};
  BnCrt() {
    if (!BN_MONT_CTX_set(mp.get(), g_key.p.get(), ctx.get()) || !BN_MONT_CTX_set(mq.get(), g_key.q.get(), ctx.get()))
      die("BN_MONT_CTX_set failed");
  }
  bool run(const Bytes& in, uint8_t* out) {
    const Key& k = g_key;
    BN_CTX* x = ctx.get();
    return BN_bin2bn(in.data(), static_cast<int>(in.size()), c.get()) && BN_nnmod(cp.get(), c.get(), k.p.get(), x) &&
           BN_nnmod(cq.get(), c.get(), k.q.get(), x) &&
           BN_mod_exp_mont_consttime_x2(m1.get(), cp.get(), k.dp.get(), k.p.get(), mp.get(), m2.get(), cq.get(),
                                        k.dq.get(), k.q.get(), mq.get(), x) &&
           BN_mod_sub(h.get(), m1.get(), m2.get(), k.p.get(), x) &&
           BN_mod_mul(h.get(), h.get(), k.u.get(), k.p.get(), x) &&
           BN_mul(r.get(), h.get(), k.q.get(), x) && BN_add(r.get(), r.get(), m2.get()) &&
           BN_bn2binpad(r.get(), out, L) == static_cast<int>(L);
  }
};

struct BnMe {
  BnCtx ctx{BN_CTX_new()};
  Mont mn{BN_MONT_CTX_new()};
  Bn c{BN_new()}, r{BN_new()};
  BnMe() {
    if (!BN_MONT_CTX_set(mn.get(), g_key.n.get(), ctx.get())) die("BN_MONT_CTX_set failed");
  }
  bool run(const Bytes& in, uint8_t* out) {
    return BN_bin2bn(in.data(), static_cast<int>(in.size()), c.get()) &&
           BN_mod_exp_mont(r.get(), c.get(), g_key.d.get(), g_key.n.get(), ctx.get(), mn.get()) &&
           BN_bn2binpad(r.get(), out, L) == static_cast<int>(L);
  }
};

template <class Op>
void bm_direct(benchmark::State& s) {
  Op op;
  std::array<uint8_t, L> out{};
  for (auto _ : s) {
    if (!op.run(g_key.x, out.data()) || !std::equal(out.begin(), out.end(), g_key.expected.begin())) {
      s.SkipWithError("wrong result");
      break;
    }
  }
  s.SetItemsProcessed(s.iterations());
}

// ------------------------------------------------------- the engine

// A type 80 reply carrying the expected result.
bool reply_ok(std::span<const uint8_t> reply) {
  auto r = ap::type80_result(reply, L);
  return r && *r == g_key.expected;
}

ap::CardConfig accel_card() {
  std::string error;
  auto host = ap::parse_host_config(R"({"ap": {"usage_domains": [0], "cards": [{"id": 0, "type": "CEX8A"}]}})", error);
  if (!host) die("host: " + error);
  return host->cards.at(0);
}

void bm_handler(benchmark::State& s, const Bytes* msg) {
  const ap::CardConfig card = accel_card();
  for (auto _ : s) {
    if (!reply_ok(ap::process_message(card, 0, *msg))) {
      s.SkipWithError("wrong result");
      break;
    }
  }
  s.SetItemsProcessed(s.iterations());
}

// The engine for T client threads: T CEX8A adapters 0..T-1 with usage
// domain 0, T workers. Made on first use and kept (idle workers sleep).
ap::ApEngine& engine_for(unsigned t) {
  static std::mutex mu;
  static std::map<unsigned, std::unique_ptr<ap::ApEngine>> engines;
  std::lock_guard lk(mu);
  auto& e = engines[t];
  if (!e) {
    std::string json = R"({"ap": {"usage_domains": [0], "control_domains": [0], "cards": [)", error;
    for (unsigned i = 0; i < t; ++i)
      json += (i ? ", " : "") + std::string(R"({"type": "CEX8A", "id": )") + std::to_string(i) + "}";
    auto host = ap::parse_host_config(json + "]}}", error);
    if (!host) die("host: " + error);
    e = std::make_unique<ap::ApEngine>(*host, ap::process_message, ap::message_target_domain, t);
  }
  return *e;
}

// Client thread i on queue (i, 0), keeping up to `depth` requests in flight
// (0: as many as the queue takes, qd+1). With one in flight each reply must
// carry the PSMID just sent; with more, any of those outstanding (the
// workers may finish a queue's requests out of order, as adapters may).
class EngineClient {
 public:
  EngineClient(ap::ApEngine& eng, unsigned apid, const Bytes* msg, unsigned depth)
      : m_eng(eng), m_v(eng.host_view()), m_apid(apid), m_msg(msg), m_psmid(uint64_t{apid} << 48) {
    m_depth = depth ? depth : static_cast<unsigned>(eng.tapq(m_v, apid, 0).hwinfo & 0xf) + 1;
    while (!m_error && m_pending.size() < m_depth - 1)
      if (!send()) m_error = "NQAP failed";
  }
  // Leaves the queue empty for the next run, whatever happened.
  ~EngineClient() {
    while (m_eng.outstanding(m_apid, 0) > 0 && m_eng.wait_reply(m_apid, 0, 10s)) m_eng.dqap(m_v, m_apid, 0, m_buf);
  }
  // One request sent and one reply received and checked; false on error.
  bool one() {
    if (!m_error && !send()) m_error = "NQAP failed";
    if (!m_error && !receive()) m_error = "no reply, or a wrong one";
    return !m_error;
  }
  const char* error() const { return m_error; }

 private:
  bool send() {
    m_pending.push_back(++m_psmid);
    return m_eng.nqap(m_v, m_apid, 0, m_psmid, *m_msg).response_code == ap::AP_RESPONSE_NORMAL;
  }
  bool receive() {
    if (!m_eng.wait_reply(m_apid, 0, 10s)) return false;
    auto r = m_eng.dqap(m_v, m_apid, 0, m_buf);
    auto it = std::find(m_pending.begin(), m_pending.end(), r.psmid);
    if (r.status.response_code != ap::AP_RESPONSE_NORMAL || r.residual != 0 || it == m_pending.end()) return false;
    m_pending.erase(it);
    return reply_ok({m_buf.data(), r.length});
  }

  ap::ApEngine& m_eng;
  const ap::ApView& m_v;
  unsigned m_apid, m_depth;
  const Bytes* m_msg;
  uint64_t m_psmid;
  std::vector<uint64_t> m_pending;  // PSMIDs in flight
  std::array<uint8_t, 4096> m_buf;
  const char* m_error = nullptr;
};

void bm_engine(benchmark::State& s, const Bytes* msg, unsigned depth) {
  EngineClient c(engine_for(static_cast<unsigned>(s.threads())), static_cast<unsigned>(s.thread_index()), msg, depth);
  for (auto _ : s) {
    if (!c.one()) {
      s.SkipWithError(c.error());
      break;
    }
  }
  s.SetItemsProcessed(s.iterations());
}

std::vector<int> thread_counts() {
  int hc = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> t;
  for (int i = 1; i < hc; i *= 2) t.push_back(i);
  t.push_back(hc);
  return t;
}

// ------------------------------------------------ the paired comparison

// The engine against OpenSSL directly in short alternating slices on the
// same T threads: a slower or faster stretch of the (virtual) machine then
// falls on both, which separate benchmark runs cannot promise. Each round
// runs direct then engine, or engine then direct (alternately), for `slice`
// each; the ratio is the engine's ops per second over direct's, summed over
// all rounds, with the spread of the per-round ratios beside it.
struct Paired {
  double ratio, lo, hi;
};

template <class Op>
Paired run_paired(const Bytes* msg, unsigned t, int rounds, std::chrono::milliseconds slice) {
  using Clock = std::chrono::steady_clock;
  std::barrier sync(static_cast<std::ptrdiff_t>(t));
  std::vector<std::array<long, 2>> ops(static_cast<size_t>(rounds), {0, 0});  // [round][direct, engine]
  std::vector<std::array<double, 2>> secs(static_cast<size_t>(rounds), {0, 0});
  std::mutex mu;
  auto client = [&](unsigned i) {
    Op op;
    EngineClient eng(engine_for(t), i, msg, 1);
    std::array<uint8_t, L> out{};
    for (int r = 0; r < rounds; ++r)
      for (int k = 0; k < 2; ++k) {
        const int mode = (r + k) % 2;  // 0 direct, 1 engine
        sync.arrive_and_wait();
        const auto start = Clock::now();
        long n = 0;
        while (Clock::now() - start < slice) {
          bool ok = mode ? eng.one()
                         : op.run(g_key.x, out.data()) && std::equal(out.begin(), out.end(), g_key.expected.begin());
          if (!ok) die("paired: wrong result");
          ++n;
        }
        const double sec = std::chrono::duration<double>(Clock::now() - start).count();
        std::lock_guard lk(mu);
        ops[static_cast<size_t>(r)][static_cast<size_t>(mode)] += n;
        secs[static_cast<size_t>(r)][static_cast<size_t>(mode)] = std::max(secs[static_cast<size_t>(r)][static_cast<size_t>(mode)], sec);
      }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < t; ++i) threads.emplace_back(client, i);
  for (auto& th : threads) th.join();
  double d_ops = 0, d_s = 0, e_ops = 0, e_s = 0;
  std::vector<double> per_round;
  for (int r = 0; r < rounds; ++r) {
    const auto& o = ops[static_cast<size_t>(r)];
    const auto& sec = secs[static_cast<size_t>(r)];
    d_ops += static_cast<double>(o[0]), d_s += sec[0], e_ops += static_cast<double>(o[1]), e_s += sec[1];
    per_round.push_back((static_cast<double>(o[1]) / sec[1]) / (static_cast<double>(o[0]) / sec[0]));
  }
  std::sort(per_round.begin(), per_round.end());
  return {(e_ops / e_s) / (d_ops / d_s), per_round.front(), per_round.back()};
}

void print_paired(int rounds, std::chrono::milliseconds slice) {
  std::printf("\n== Paired: engine/direct in alternating %lld ms slices, %d rounds (direct: crt BN_mod_exp_mont_consttime_x2, "
              "me BN_mod_exp_mont)\n%3s %12s %20s %12s %20s\n",
              static_cast<long long>(slice.count()), rounds, "T", "crt eng/dir", "(rounds min..max)", "me eng/dir",
              "(rounds min..max)");
  for (int t : thread_counts()) {
    Paired crt = run_paired<BnCrt>(&g_key.crt_msg, static_cast<unsigned>(t), rounds, slice);
    Paired me = run_paired<BnMe>(&g_key.me_msg, static_cast<unsigned>(t), rounds, slice);
    std::printf("%3d %12.3f %9.3f..%-9.3f %12.3f %9.3f..%-9.3f\n", t, crt.ratio, crt.lo, crt.hi, me.ratio, me.lo, me.hi);
    std::fflush(stdout);
  }
}

// -------------------------------------------------------- the checks

// Every target's computation once, against OpenSSL's public-key inverse and
// EVP's private-key result.
void check_results() {
  Key& k = g_key;
  k.expected.resize(L);
  if (!EvpCrt().run(k.x, k.expected.data())) die("EVP_PKEY_decrypt failed");
  {  // expected^e == x: the reference itself is right
    PkeyCtx ctx(EVP_PKEY_CTX_new(k.pkey.get(), nullptr));
    Bytes back(L);
    size_t len = L;
    if (EVP_PKEY_encrypt_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) <= 0 ||
        EVP_PKEY_encrypt(ctx.get(), back.data(), &len, k.expected.data(), L) <= 0 || back != k.x)
      die("OpenSSL's private-key result does not invert");
  }
  Bytes out(L);
  if (!BnCrt().run(k.x, out.data()) || out != k.expected) die("crt/direct_bn differs from EVP_PKEY_decrypt");
  if (!BnMe().run(k.x, out.data()) || out != k.expected) die("me/direct differs from EVP_PKEY_decrypt");
  const ap::CardConfig card = accel_card();
  for (auto [what, msg] : {std::pair{"crt", &k.crt_msg}, std::pair{"me", &k.me_msg}}) {
    if (!reply_ok(ap::process_message(card, 0, *msg)))
      die(std::string(what) + ": process_message differs from OpenSSL");
    ap::ApEngine& eng = engine_for(1);
    std::array<uint8_t, 4096> buf;
    auto st = eng.nqap(eng.host_view(), 0, 0, 42, *msg);
    bool got = st.response_code == ap::AP_RESPONSE_NORMAL && eng.wait_reply(0, 0, 10s);
    auto r = eng.dqap(eng.host_view(), 0, 0, buf);
    if (!got || r.psmid != 42 || r.residual != 0 || !reply_ok({buf.data(), r.length}))
      die(std::string(what) + ": the engine's reply differs from OpenSSL");
  }
}


void print_summary() {
  auto ops = [](const std::string& name, int t) { return bench::ops_of(name, t); };
  auto ratio = [](double a, double b) { return a > 0 && b > 0 ? a / b : 0.0; };
  for (const char* op : {"crt", "me"}) {
    std::string o = op;
    std::printf("\n== RSA-2048 %s, items/s (median); direct = %s\n", op,
                o == "crt" ? "the faster of direct_evp and direct_bn" : "BN_mod_exp_mont");
    std::printf("%3s %10s %10s %10s %10s | %8s %8s %8s %8s | %8s\n", "T", "direct", "handler", "engine", "pipelined",
                "eng/dir", "eng/hnd", "hnd/dir", "pipe/dir", "eng(T)/1");
    double e1 = ops(o + "/engine", 1);
    for (int t : thread_counts()) {
      double dir = o == "crt" ? std::max(ops("crt/direct_evp", t), ops("crt/direct_bn", t)) : ops("me/direct", t);
      double hnd = ops(o + "/handler", t), eng = ops(o + "/engine", t), pipe = ops(o + "/engine_pipelined", t);
      std::string detail;
      if (o == "crt") {
        char b[64];
        std::snprintf(b, sizeof b, "(evp %.0f, bn %.0f)", ops("crt/direct_evp", t), ops("crt/direct_bn", t));
        detail = b;
      }
      std::printf("%3d %10.0f %10.0f %10.0f %10.0f | %8.3f %8.3f %8.3f %8.3f | %8.3f  %s\n", t, dir, hnd, eng, pipe,
                  ratio(eng, dir), ratio(eng, hnd), ratio(hnd, dir), ratio(pipe, dir), ratio(eng, e1), detail.c_str());
    }
  }
  std::printf("(target: eng/dir >= 0.90 at every T, eng(T)/1 growing up to T = %u cores)\n",
              std::thread::hardware_concurrency());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // Our own options, taken out before Google Benchmark sees the rest.
  const int rounds = std::stoi(bench::take_option(argc, argv, "paired_rounds", "20"));
  const int slice_ms = std::stoi(bench::take_option(argc, argv, "paired_slice_ms", "100"));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  g_key.init();
  check_results();

  auto reg = [](const std::string& name, auto fn) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->UseRealTime();
    for (int t : thread_counts()) b->Threads(t);
  };
  reg("crt/direct_evp", bm_direct<EvpCrt>);
  reg("crt/direct_bn", bm_direct<BnCrt>);
  reg("me/direct", bm_direct<BnMe>);
  for (auto [op, msg] : {std::pair{"crt", &g_key.crt_msg}, std::pair{"me", &g_key.me_msg}}) {
    std::string o = op;
    reg(o + "/handler", [msg](benchmark::State& s) { bm_handler(s, msg); });
    reg(o + "/engine", [msg](benchmark::State& s) { bm_engine(s, msg, 1); });
    reg(o + "/engine_pipelined", [msg](benchmark::State& s) { bm_engine(s, msg, 0); });
  }

  auto reporter = bench::make_reporter();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!bench::results().empty()) print_summary();
  if (rounds > 0 && slice_ms > 0) print_paired(rounds, std::chrono::milliseconds(slice_ms));
  return 0;
}
