// assign_benchmark: what assigning and unassigning adapters and domains of a
// vfio_ap mediated device costs on the largest host, 256 adapters x 256
// domains with 256 mediated devices, each of which every assignment has to be
// validated against.
//
// Setup, once per process (about a second, most of it the rebinding):
//   - a System with testdata/hosts/full-256x256.json (--host=FILE to change);
//   - "0x" (all zeros) written to bus/ap/apmask and bus/ap/aqmask: all 65,536
//     queues are rebound from cex4queue to vfio_ap;
//   - 256 mdevs created through mdev_supported_types/vfio_ap-passthrough/
//     create; mdev i gets adapter i and domain i, so the mdevs are disjoint
//     (mdev i owns APQN (i,i)) and every validation walks the 255 others.
//
// In-process benchmarks, one assignment attribute store per timed operation
// (ns/op = 1e9 / items_per_second), each in three flavours:
//   direct      sys.matrix_dev().assign_domain(m, id) etc. under the model
//               lock: the model alone
//   store       FuseServer::mutate() + Attribute::store() on the attribute
//               node, exactly what the FUSE write handler does: adds kstrtoul,
//               the attribute dispatch and mutate()'s bookkeeping
//   tree_write  sys.tree().write(path, "0x..\n") under the model lock: adds
//               the path walk and the permission check
// Cases (mdev 0 holds adapter 0 and domain 0; mdev 255 is the newest):
//   assign_domain      mdev 0 gets domain 1 (timed), then loses it (untimed)
//   unassign_domain    mdev 0 gets domain 1 (untimed), then loses it (timed)
//   assign_unassign_domain   both, all timed, two operations per iteration
//   assign_adapter     mdev 0 gets adapter 1 (timed), then loses it (untimed)
//   assign_domain_eaddrinuse   mdev 255, given adapter 0 for the benchmark,
//                      asks for domain 0: APQN (0,0) belongs to mdev 0, the
//                      oldest, last in the validation walk; EADDRINUSE and a
//                      kernel log warning every time, nothing changes
// The split ones time each operation with steady_clock (UseManualTime); the
// cost of a clock read pair is printed with the results.
//
// Through the mount (the same System served in-process by sysfs::FuseServer),
// one operation = open(O_WRONLY|O_TRUNC) + write("0x1\n") + close:
//   mount/assign_unassign_domain    assign_domain and unassign_domain of mdev 0,
//                                   alternating (two operations per iteration)
//   mount/assign_unassign_adapter   the same with adapters
//   mount/assign_domain_eaddrinuse  the failing write of the in-process case
//   mount/bare_write                the do-nothing FUSE file system
//                                   (bench_support.h), the reference
//   mount/bare_write_work           the same, but its write handler spins for
//                                   --bare_work_ns (default 1000, about the
//                                   simulator's own work per operation of an
//                                   assign/unassign pair): what that much work
//                                   in the server costs a FUSE round trip on
//                                   this machine, whoever does it
//   mount/interleaved/assign_unassign_domain_vs_bare
//                                   assign, bare write, unassign, bare write,
//                                   ... each op timed on its own: the ratio
//                                   of median (and mean) latencies of ops
//                                   that ran at the same moments, which
//                                   survives load that comes and goes
//   mount/interleaved/bare_work_vs_bare   the same for the control
// Round trips on a VM depend much on whether client and server threads
// run on different vCPUs (cross-CPU wake-ups of halted vCPUs); run under
// `taskset -c N` (run.sh: ASSIGN_CPUS=N) for figures that compare well.
//
// Options besides the usual --benchmark_* ones:
//   --host=FILE            host file (default: the 256 x 256 host)
//   --no_mount             in-process benchmarks only
//   --bare_work_ns=N       spin of mount/bare_write_work (0: no such target)
//   --mdevs=N              N mdevs instead of 256 (2..256), to see how the
//                          validation scales
//   --no_request_profile   skip the FUSE request count
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apbus/host_config.h"
#include "benchmarks/bench_support.h"
#include "cli/system.h"
#include "mdev/matrix_dev.h"
#include "sysfs-fs/fuse/fuse_server.h"
#include "sysfs-fs/tree/node.h"

#ifndef MDEVSIM_FULL_HOST
#define MDEVSIM_FULL_HOST "testdata/hosts/full-256x256.json"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using vfio_ap::MatrixDev;
using vfio_ap::MatrixMdev;

unsigned g_mdev_count = 256;  // --mdevs=N
const char* const MATRIX = "devices/vfio_ap/matrix";

std::string uuid_of(unsigned i) {
  char b[40];
  std::snprintf(b, sizeof b, "00000000-0000-4000-8000-%012x", i);
  return b;
}
std::string hex_id(unsigned id) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x\n", id);
  return b;
}
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ------------------------------------------------------------ the fixture

struct Fixture {
  std::unique_ptr<mdevsim::System> sys;
  std::vector<MatrixMdev*> mdevs;  // mdev i
  std::unique_ptr<sysfs::FuseServer> server;  // mounted on `mnt`, or not mounted
  std::string mnt;
  std::thread loop;
  std::unique_ptr<bench::BareFuse> bare;
  std::unique_ptr<bench::BareFuse> bare_work;  // write handler spins
  long bare_work_ns = 1000;

  std::string attr_path(unsigned mdev, const char* attr) const {
    return std::string(MATRIX) + "/" + uuid_of(mdev) + "/" + attr;
  }
  // The attribute node, as the FUSE handlers hold it.
  const sysfs::Attribute& attr(unsigned mdev, const char* name) const {
    std::shared_lock g(sys->lock());
    auto n = sys->tree().lookup(attr_path(mdev, name));
    if (!n || (*n)->kind() != sysfs::Kind::Attr) throw std::runtime_error("no attribute " + attr_path(mdev, name));
    return static_cast<const sysfs::Attribute&>(**n);  // the tree keeps it alive
  }
  MatrixDev& md() const { return sys->matrix_dev(); }
};
Fixture g;

void must_write(const std::string& path, const std::string& data) {
  std::lock_guard l(g.sys->lock());
  auto r = g.sys->tree().write(path, data);
  if (!r) throw std::runtime_error("write " + path + " <- " + data + ": " + std::strerror(r.error().code));
}

void setup(const std::string& host_file) {
  std::string error;
  auto host = ap::load_host_file(host_file, error);
  if (!host) throw std::runtime_error(error);
  auto t = Clock::now();
  g.sys = std::make_unique<mdevsim::System>(std::move(*host));
  std::printf("setup: boot %.2f s", seconds_since(t));
  t = Clock::now();
  must_write("bus/ap/apmask", "0x\n");
  must_write("bus/ap/aqmask", "0x\n");
  std::printf(", apmask/aqmask 0x (rebinds every queue) %.2f s", seconds_since(t));
  t = Clock::now();
  const std::string create = std::string(MATRIX) + "/mdev_supported_types/vfio_ap-passthrough/create";
  for (unsigned i = 0; i < g_mdev_count; ++i) must_write(create, uuid_of(i) + "\n");
  for (unsigned i = 0; i < g_mdev_count; ++i) {
    must_write(g.attr_path(i, "assign_adapter"), hex_id(i));
    must_write(g.attr_path(i, "assign_domain"), hex_id(i));
    MatrixMdev* m = g.md().find(uuid_of(i));
    if (!m) throw std::runtime_error("mdev " + uuid_of(i) + " not found");
    g.mdevs.push_back(m);
  }
  std::printf(", %u mdevs created and assigned %.2f s\n", g_mdev_count, seconds_since(t));
  // Sanity: mdev i owns APQN (i,i) and its guest would get it.
  std::shared_lock l(g.sys->lock());
  for (unsigned i : {0u, 1u, g_mdev_count - 1}) {
    auto matrix = g.sys->tree().read(g.attr_path(i, "matrix"));
    auto guest = g.sys->tree().read(g.attr_path(i, "guest_matrix"));
    char want[16];
    std::snprintf(want, sizeof want, "%02x.%04x\n", i, i);
    if (!matrix || *matrix != want || !guest || *guest != want)
      throw std::runtime_error("unexpected matrix/guest_matrix of mdev " + std::to_string(i) + ": " +
                               (matrix ? *matrix : "error") + " / " + (guest ? *guest : "error"));
  }
  std::printf("setup: %zu mdevs, mdev 0 matrix = guest_matrix = 00.0000\n", g.md().mdevs().size());
}

// ------------------------------------------------- in-process operations

enum class Flavour { direct, store, tree_write };
enum class What { adapter, domain };

// One assignment change of mdev `i`, the way `flavour` says. The errno, or 0.
struct Op {
  Flavour flavour;
  unsigned i;
  bool assign;
  What what;
  unsigned id;
  // Prepared once.
  const sysfs::Attribute* attr = nullptr;
  std::string path, data;

  Op(Flavour f, unsigned mdev, bool a, What w, unsigned ident) : flavour(f), i(mdev), assign(a), what(w), id(ident) {
    const char* name = what == What::adapter ? (assign ? "assign_adapter" : "unassign_adapter")
                                             : (assign ? "assign_domain" : "unassign_domain");
    attr = &g.attr(i, name);
    path = g.attr_path(i, name);
    data = hex_id(id);
  }

  int operator()() const {
    switch (flavour) {
      case Flavour::direct: {
        std::lock_guard l(g.sys->lock());
        MatrixMdev& m = *g.mdevs[i];
        auto r = what == What::adapter ? (assign ? g.md().assign_adapter(m, id) : g.md().unassign_adapter(m, id))
                                       : (assign ? g.md().assign_domain(m, id) : g.md().unassign_domain(m, id));
        return r ? 0 : r.error().code;
      }
      case Flavour::store: {
        // sysfs::FuseServer's write handler.
        auto r = g.server->mutate([&] { return attr->store(data); });
        return r ? 0 : r.error().code;
      }
      case Flavour::tree_write: {
        std::lock_guard l(g.sys->lock());
        auto r = g.sys->tree().write(path, data);
        return r ? 0 : r.error().code;
      }
    }
    return EINVAL;
  }
};

// The newest kernel log line (validation explains its refusals there).
std::string last_klog_line() {
  std::shared_lock l(g.sys->lock());
  auto& lines = g.sys->klog().lines();
  return lines.empty() ? std::string() : lines.back().text;
}

bool check(benchmark::State& state, int err, int want, const char* what) {
  if (err == want) return true;
  state.SkipWithError((std::string(what) + ": " + (err ? std::strerror(err) : "succeeded") + ", expected " +
                       (want ? std::strerror(want) : "success") + "; last kernel log line: " + last_klog_line())
                          .c_str());
  return false;
}

// Every iteration: `before` (untimed), `timed`, `after` (untimed); only
// `timed` counts (manual time). The three leave the model as they found it.
void bm_split(benchmark::State& state, const Op* before, const Op& timed, const Op* after) {
  for (auto _ : state) {
    if (before && !check(state, (*before)(), 0, "preparation")) break;
    auto t0 = Clock::now();
    int e = timed();
    auto t1 = Clock::now();
    if (!check(state, e, 0, "timed operation")) break;
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    if (after && !check(state, (*after)(), 0, "undo")) break;
  }
  state.SetItemsProcessed(state.iterations());
}

// Both operations timed: two per iteration.
void bm_pair(benchmark::State& state, const Op& a, const Op& b) {
  for (auto _ : state) {
    if (!check(state, a(), 0, "first operation") || !check(state, b(), 0, "second operation")) break;
  }
  state.SetItemsProcessed(2 * state.iterations());
}

// mdev 255 (the newest), given adapter 0 meanwhile, asks for domain 0:
// EADDRINUSE.
unsigned conflict_mdev() { return g_mdev_count - 1; }
void bm_eaddrinuse(benchmark::State& state, const Op& op) {
  {
    std::lock_guard l(g.sys->lock());
    if (!g.md().assign_adapter(*g.mdevs[conflict_mdev()], 0)) return (void)state.SkipWithError("setup failed");
  }
  for (auto _ : state)
    if (!check(state, op(), EADDRINUSE, "conflicting assign_domain")) break;
  {
    std::lock_guard l(g.sys->lock());
    if (!g.md().unassign_adapter(*g.mdevs[conflict_mdev()], 0)) state.SkipWithError("teardown failed");
  }
  state.SetItemsProcessed(state.iterations());
}

const char* flavour_name(Flavour f) {
  switch (f) {
    case Flavour::direct: return "direct";
    case Flavour::store: return "store";
    case Flavour::tree_write: return "tree_write";
  }
  return "?";
}

std::vector<std::unique_ptr<Op>> g_ops;  // alive while the benchmarks run
const Op& op(Flavour f, unsigned mdev, bool assign, What w, unsigned id) {
  g_ops.push_back(std::make_unique<Op>(f, mdev, assign, w, id));
  return *g_ops.back();
}

void register_in_process() {
  for (Flavour f : {Flavour::direct, Flavour::store, Flavour::tree_write}) {
    std::string s = std::string("/") + flavour_name(f);
    const Op* ad = &op(f, 0, true, What::domain, 1);
    const Op* ud = &op(f, 0, false, What::domain, 1);
    const Op* aa = &op(f, 0, true, What::adapter, 1);
    const Op* ua = &op(f, 0, false, What::adapter, 1);
    const Op* conflict = &op(f, conflict_mdev(), true, What::domain, 0);
    benchmark::RegisterBenchmark(("inproc/assign_domain" + s).c_str(), [=](benchmark::State& st) { bm_split(st, nullptr, *ad, ud); })
        ->UseManualTime();
    benchmark::RegisterBenchmark(("inproc/unassign_domain" + s).c_str(), [=](benchmark::State& st) { bm_split(st, ad, *ud, nullptr); })
        ->UseManualTime();
    benchmark::RegisterBenchmark(("inproc/assign_unassign_domain" + s).c_str(),
                                 [=](benchmark::State& st) { bm_pair(st, *ad, *ud); });
    benchmark::RegisterBenchmark(("inproc/assign_adapter" + s).c_str(), [=](benchmark::State& st) { bm_split(st, nullptr, *aa, ua); })
        ->UseManualTime();
    benchmark::RegisterBenchmark(("inproc/assign_domain_eaddrinuse" + s).c_str(),
                                 [=](benchmark::State& st) { bm_eaddrinuse(st, *conflict); });
  }
}

// ------------------------------------------------------ through the mount

struct MountOp {
  std::string path, data;
};
MountOp mount_op(unsigned mdev, const char* attr, unsigned id) { return {g.mnt + "/" + g.attr_path(mdev, attr), hex_id(id)}; }

bool mount_check(benchmark::State& state, long r, int want, const std::string& path) {
  if (want ? r == -want : r >= 0) return true;
  state.SkipWithError((path + ": " + (r < 0 ? std::strerror(static_cast<int>(-r)) : "succeeded")).c_str());
  return false;
}

void bm_mount_pair(benchmark::State& state, const MountOp& a, const MountOp& b) {
  for (auto _ : state) {
    if (!mount_check(state, bench::write_once(a.path.c_str(), a.data), 0, a.path) ||
        !mount_check(state, bench::write_once(b.path.c_str(), b.data), 0, b.path))
      break;
  }
  state.SetItemsProcessed(2 * state.iterations());
}

void bm_mount_eaddrinuse(benchmark::State& state, const MountOp& a) {
  {
    std::lock_guard l(g.sys->lock());
    if (!g.md().assign_adapter(*g.mdevs[conflict_mdev()], 0)) return (void)state.SkipWithError("setup failed");
  }
  for (auto _ : state)
    if (!mount_check(state, bench::write_once(a.path.c_str(), a.data), EADDRINUSE, a.path)) break;
  {
    std::lock_guard l(g.sys->lock());
    if (!g.md().unassign_adapter(*g.mdevs[conflict_mdev()], 0)) state.SkipWithError("teardown failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void bm_bare_write(benchmark::State& state, const std::string& file) {
  for (auto _ : state)
    if (!mount_check(state, bench::write_once(file.c_str(), "0\n"), 0, file)) break;
  state.SetItemsProcessed(state.iterations());
}

double median_of(std::vector<double>& v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}
double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// Each op of `a` (in turn) followed by one op of `b`, every one timed on its
// own: both sides see the same moment's machine, so their ratio survives
// load that comes and goes. Counters (per op, microseconds): a_med_us,
// b_med_us, a_mean_us, b_mean_us, a0_med_us... (each op of `a`), and the
// time ratios a/b of the medians and of the means (1.10 = a takes 10%
// longer).
void bm_interleaved(benchmark::State& state, const std::vector<MountOp>& a, const MountOp& b) {
  std::vector<double> ta, tb;
  std::vector<std::vector<double>> each(a.size());  // ta by op of `a`
  size_t n = static_cast<size_t>(std::min<benchmark::IterationCount>(state.max_iterations, 10'000'000));
  ta.reserve(n * a.size());
  tb.reserve(n * a.size());
  for (auto& v : each) v.reserve(n);
  auto timed = [](const MountOp& op, std::vector<double>& out) {
    auto t0 = Clock::now();
    long r = bench::write_once(op.path.c_str(), op.data);
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    return r;
  };
  for (auto _ : state) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!mount_check(state, timed(a[i], each[i]), 0, a[i].path) || !mount_check(state, timed(b, tb), 0, b.path)) return;
      ta.push_back(each[i].back());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(2 * a.size()));
  if (a.size() > 1)
    for (size_t i = 0; i < a.size(); ++i) state.counters[fmt::format("a{}_med_us", i)] = median_of(each[i]);
  double am = mean_of(ta), bm = mean_of(tb), amed = median_of(ta), bmed = median_of(tb);
  state.counters["a_med_us"] = amed;
  state.counters["b_med_us"] = bmed;
  state.counters["a_mean_us"] = am;
  state.counters["b_mean_us"] = bm;
  state.counters["ratio_med"] = bmed > 0 ? amed / bmed : 0;
  state.counters["ratio_mean"] = bm > 0 ? am / bm : 0;
}

// The benchmarks' own copies (captured by value).
void register_mount() {
  MountOp ad = mount_op(0, "assign_domain", 1), ud = mount_op(0, "unassign_domain", 1);
  MountOp aa = mount_op(0, "assign_adapter", 1), ua = mount_op(0, "unassign_adapter", 1);
  MountOp conflict = mount_op(conflict_mdev(), "assign_domain", 0);
  std::string bare = g.bare->file();
  std::string bare_work = g.bare_work ? g.bare_work->file() : "";
  benchmark::RegisterBenchmark("mount/assign_unassign_domain", [=](benchmark::State& s) { bm_mount_pair(s, ad, ud); })
      ->UseRealTime();
  benchmark::RegisterBenchmark("mount/assign_unassign_adapter", [=](benchmark::State& s) { bm_mount_pair(s, aa, ua); })
      ->UseRealTime();
  benchmark::RegisterBenchmark("mount/assign_domain_eaddrinuse", [=](benchmark::State& s) { bm_mount_eaddrinuse(s, conflict); })
      ->UseRealTime();
  benchmark::RegisterBenchmark("mount/bare_write", [=](benchmark::State& s) { bm_bare_write(s, bare); })->UseRealTime();
  if (g.bare_work)
    benchmark::RegisterBenchmark("mount/bare_write_work", [=](benchmark::State& s) { bm_bare_write(s, bare_work); })
        ->UseRealTime();
  // The same comparisons, interleaved op by op.
  MountOp bare_op{bare, "0\n"};
  benchmark::RegisterBenchmark("mount/interleaved/assign_unassign_domain_vs_bare",
                               [=](benchmark::State& s) { bm_interleaved(s, {ad, ud}, bare_op); })
      ->UseRealTime();
  if (g.bare_work)
    benchmark::RegisterBenchmark("mount/interleaved/bare_work_vs_bare",
                                 [=](benchmark::State& s) { bm_interleaved(s, {MountOp{bare_work, "0\n"}}, bare_op); })
        ->UseRealTime();
}

// ------------------------------------------------------------- summary

// The cost of the clock reads around one timed operation.
double clock_pair_ns() {
  constexpr int N = 1'000'000;
  auto t0 = Clock::now();
  for (int i = 0; i < N; ++i) benchmark::DoNotOptimize(Clock::now());
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / N;
}

void print_summary(bool mounted) {
  std::printf("\n== In-process, ns per operation (median of the runs; target: an assign under 5,000 ns)\n");
  std::printf("%-28s %12s %12s %12s\n", "case", "direct", "store", "tree_write");
  for (const char* c : {"assign_domain", "unassign_domain", "assign_unassign_domain", "assign_adapter",
                        "assign_domain_eaddrinuse"}) {
    std::printf("%-28s", c);
    for (const char* f : {"direct", "store", "tree_write"}) {
      double ops = bench::ops_of(std::string("inproc/") + c + "/" + f);
      if (ops > 0) std::printf(" %12.0f", 1e9 / ops);
      else std::printf(" %12s", "n/a");
    }
    std::printf("\n");
  }
  std::printf("(assign_unassign_domain: per operation, half a pair; split cases include one clock read pair,\n"
              " %.0f ns here)\n",
              clock_pair_ns());
  if (!mounted) return;

  std::printf("\n== Through the mount (median ops/s; one op = open(O_WRONLY|O_TRUNC) + write + close)\n");
  std::printf("%-36s %12s %10s\n", "benchmark", "ops/s", "us/op");
  for (const char* b : {"mount/assign_unassign_domain", "mount/assign_unassign_adapter", "mount/assign_domain_eaddrinuse",
                        "mount/bare_write", "mount/bare_write_work"}) {
    double ops = bench::ops_of(b);
    if (ops > 0) std::printf("%-36s %12.0f %10.2f\n", b, ops, 1e6 / ops);
    else std::printf("%-36s %12s\n", b, "n/a");
  }
  bench::print_ratios({
      {"assign/unassign_domain write / bare write", "mount/assign_unassign_domain", "mount/bare_write"},
      {"assign/unassign_adapter write / bare write", "mount/assign_unassign_adapter", "mount/bare_write"},
      {"EADDRINUSE assign_domain write / bare write", "mount/assign_domain_eaddrinuse", "mount/bare_write"},
      {"bare write with work / bare write", "mount/bare_write_work", "mount/bare_write"},
      {"assign/unassign_domain write / bare with work", "mount/assign_unassign_domain", "mount/bare_write_work"},
  });
  if (g.bare_work) std::printf("(bare with work: its write handler spins %ld ns)\n", g.bare_work_ns);
  double bare = bench::ops_of("mount/bare_write"), dom = bench::ops_of("mount/assign_unassign_domain");
  if (bare > 0 && dom > 0)
    std::printf("assign/unassign_domain write: %.2f us/op over a bare write (%.1f%% more time; target <= 10%%)\n",
                1e6 / dom - 1e6 / bare, 100 * (bare / dom - 1));

  std::printf("\n== Interleaved op by op (A op, bare op, A op, bare op, ...; medians over the runs of\n"
              "   each run's median and mean latency; time ratio A/bare, 1.10 = 10%% slower; target <= 1.10)\n");
  std::printf("%-38s %10s %10s %9s %10s %10s %9s\n", "A", "A med us", "bare med", "ratio", "A mean us", "bare mean",
              "ratio");
  for (auto [what, name] : {std::pair{"assign/unassign_domain write", "mount/interleaved/assign_unassign_domain_vs_bare"},
                            std::pair{"bare write with work", "mount/interleaved/bare_work_vs_bare"}}) {
    const bench::Result* r = bench::result_of(name);
    if (!r) {
      std::printf("%-38s %10s\n", what, "n/a");
      continue;
    }
    std::printf("%-38s %10.2f %10.2f %9.3f %10.2f %10.2f %9.3f\n", what, r->counter("a_med_us"), r->counter("b_med_us"),
                r->counter("ratio_med"), r->counter("a_mean_us"), r->counter("b_mean_us"), r->counter("ratio_mean"));
    if (r->counter("a0_med_us") > 0)
      std::printf("%-38s %10.2f / %.2f (assign / unassign)\n", "", r->counter("a0_med_us"), r->counter("a1_med_us"));
  }
}

void print_request_profile() {
  auto ad = mount_op(0, "assign_domain", 1), ud = mount_op(0, "unassign_domain", 1);
  std::string bare = g.bare->file();
  bench::print_request_profile({
      {"mount/assign_unassign_domain", g.mnt,
       [ad, ud] {
         return bench::write_once(ad.path.c_str(), ad.data) >= 0 && bench::write_once(ud.path.c_str(), ud.data) >= 0;
       },
       2},
      {"mount/bare_write", g.bare->dir(), [bare] { return bench::write_once(bare.c_str(), "0\n") >= 0; }, 1},
  });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string host_file = MDEVSIM_FULL_HOST;
  bool mount = true, request_profile = true;
  int rest = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--host=")) host_file = a.substr(7);
    else if (a == "--no_mount") mount = false;
    else if (a == "--no_request_profile") request_profile = false;
    else if (a.starts_with("--bare_work_ns=")) g.bare_work_ns = std::stol(a.substr(15));
    else if (a.starts_with("--mdevs=")) g_mdev_count = static_cast<unsigned>(std::clamp(std::stol(a.substr(8)), 2L, 256L));
    else argv[rest++] = argv[i];
  }
  argc = rest;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  try {
    setup(host_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "setup failed: %s\n", e.what());
    return 1;
  }
  // The server exists even unmounted: "store" runs through its mutate().
  g.server = std::make_unique<sysfs::FuseServer>(g.sys->tree(), g.sys->lock());
  if (mount && !bench::can_mount()) {
    std::printf("cannot mount FUSE here (needs root and /dev/fuse): mount benchmarks skipped\n");
    mount = false;
  }
  if (mount) {
    try {
      g.mnt = bench::make_tmp_dir("/tmp");
      std::string error;
      if (!g.server->mount(g.mnt, error, false)) throw std::runtime_error("mount failed: " + error);
      g.loop = std::thread([] { g.server->loop(); });
      g.bare = std::make_unique<bench::BareFuse>();
      if (g.bare_work_ns > 0) g.bare_work = std::make_unique<bench::BareFuse>(bench::BareFuse::SIM_TIMEOUT, g.bare_work_ns);
      register_mount();
    } catch (const std::exception& e) {
      std::printf("mount benchmarks skipped: %s\n", e.what());
      mount = false;
    }
  }
  register_in_process();

  auto reporter = bench::make_reporter();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  // Every benchmark leaves the assignments as it found them.
  {
    std::shared_lock l(g.sys->lock());
    auto m0 = g.sys->tree().read(g.attr_path(0, "matrix"));
    auto mn = g.sys->tree().read(g.attr_path(conflict_mdev(), "matrix"));
    if (!m0 || *m0 != "00.0000\n" || !mn || mn->find('\n') + 1 != mn->size())
      std::printf("\nwarning: the benchmarks left mdev 0 with matrix %s and mdev %u with %s\n",
                  m0 ? m0->c_str() : "?", conflict_mdev(), mn ? mn->c_str() : "?");
  }
  print_summary(mount);
  if (mount && request_profile) print_request_profile();

  g.bare_work.reset();
  g.bare.reset();
  if (g.loop.joinable()) {
    g.server->exit();
    g.server->unmount();
    g.loop.join();
  }
  g.server.reset();
  if (!g.mnt.empty()) rmdir(g.mnt.c_str());
  g.sys.reset();
  return 0;
}
