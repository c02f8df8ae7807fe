// attr_io_benchmark: what one sysfs attribute access costs through the
// simulator, next to the same access on the machine's own sysfs, on tmpfs and
// through a FUSE file system that does nothing at all.
//
// Every benchmark is one complete client operation per iteration, the way
// tools use sysfs:
//   read:  open(O_RDONLY), read() until it returns 0, close()
//   write: open(O_WRONLY|O_TRUNC), one write(), close()
//
// Targets, all measured in the same run:
//   sim       the simulator served in-process by sysfs::FuseServer threads
//             (as tests/support/mounted.cpp does), default host unless
//             --sim_host=FILE
//   ext       the simulator as users run it: `mdevsim mount` in the background,
//             another process (only when the mdevsim binary is known)
//   bare      a minimal libfuse3 low-level file system in this process that
//             answers lookup/getattr/open/read/write/release for one file,
//             with the simulator's options: direct_io, flush ENOSYS,
//             atomic_o_trunc, no splice, the same mt loop configuration and
//             the same entry/attr timeouts. It is the floor for any FUSE
//             server: the kernel round trips and libfuse, nothing else.
//   bare_ext  the same, served by a forked child process: the reference for
//             "ext", whose server is another process too
//   sysfs     a harmless attribute of the real /sys (read only)
//   tmpfs     a file in /dev/shm (falls back to /tmp)
//
// After the runs a summary prints ops/s and the ratios, then (when tracefs is
// usable) how many FUSE requests of each kind one operation costs, counted by
// the kernel's fuse:fuse_request_send tracepoint.
//
// Options besides the usual --benchmark_* ones:
//   --sim_host=FILE        host file for the in-process simulator
//   --mdevsim=PATH         the mdevsim binary for the "ext" target ("" = none)
//   --no_request_profile   skip the FUSE request count
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apbus/host_config.h"
#include "benchmarks/bench_support.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

#ifndef MDEVSIM_BINARY
#define MDEVSIM_BINARY ""
#endif

namespace {

using bench::BareFuse;
using bench::BareFuseProcess;
using bench::can_mount;
using bench::make_tmp_dir;
using bench::read_once;
using bench::slurp;
using bench::write_once;

// ------------------------------------------------- the simulator, in-process

class InProcessSim {
 public:
  explicit InProcessSim(ap::HostConfig host)
      : m_dir(make_tmp_dir("/tmp")), m_sys(std::move(host)), m_server(m_sys.tree(), m_sys.lock()) {
    std::string error;
    if (!m_server.mount(m_dir, error, false)) {
      rmdir(m_dir.c_str());
      throw std::runtime_error("mount failed: " + error);
    }
    m_loop = std::thread([this] { m_server.loop(); });
  }
  ~InProcessSim() {
    m_server.exit();
    m_server.unmount();
    m_loop.join();
    rmdir(m_dir.c_str());
  }
  const std::string& dir() const { return m_dir; }

 private:
  std::string m_dir;
  mdevsim::System m_sys;
  sysfs::FuseServer m_server;
  std::thread m_loop;
};

// ------------------------------------- the simulator, the mdevsim binary

int run_command(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ExternalSim {
 public:
  explicit ExternalSim(std::string binary, const std::string& host_file) : m_binary(std::move(binary)), m_dir(make_tmp_dir("/tmp")) {
    std::vector<std::string> argv = {m_binary, "mount"};
    if (!host_file.empty()) argv.insert(argv.end(), {"--host", host_file});
    argv.push_back(m_dir);
    if (run_command(argv) != 0) {
      rmdir(m_dir.c_str());
      throw std::runtime_error(m_binary + " mount failed");
    }
  }
  ~ExternalSim() {
    run_command({m_binary, "umount", m_dir});
    rmdir(m_dir.c_str());
  }
  const std::string& dir() const { return m_dir; }

 private:
  std::string m_binary;
  std::string m_dir;
};

// ------------------------------------------------------------- targets

struct Target {
  std::string name;   // benchmark name, "read/sim_apmask"
  std::string path;   // the file
  std::string data;   // for writes; empty: a read
  std::string mount;  // FUSE mount point, for the request profile
};

std::vector<Target> g_targets;

void run_target(benchmark::State& state, const Target& t) {
  const char* path = t.path.c_str();
  bool is_write = !t.data.empty();
  for (auto _ : state) {
    long r = is_write ? write_once(path, t.data) : read_once(path);
    if (r < 0) {
      state.SkipWithError((t.path + ": " + std::strerror(static_cast<int>(-r))).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// The first native sysfs attribute that is there and readable.
std::optional<std::string> native_sysfs_attr() {
  for (const char* p : {"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/devices/system/cpu/online",
                        "/sys/kernel/profiling", "/sys/power/state", "/sys/kernel/uevent_seqnum"}) {
    if (read_once(p) > 0) return std::string(p);
  }
  return std::nullopt;
}

// Any queue of the simulator: its path under bus/ap/devices (a symlink) and
// its canonical path under devices/ap/cardXX.
std::optional<std::pair<std::string, std::string>> first_queue(const std::string& mnt) {
  std::error_code ec;
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(mnt + "/bus/ap/devices", ec)) {
    std::string n = e.path().filename().string();
    if (n.find('.') != std::string::npos) names.push_back(n);
  }
  if (names.empty()) return std::nullopt;
  std::sort(names.begin(), names.end());
  std::string link = mnt + "/bus/ap/devices/" + names.front();
  std::string real = std::filesystem::canonical(link, ec).string();
  if (ec) return std::nullopt;
  return std::make_pair(link, real);
}

// Reads `attr` now and writes the same value back: changes nothing.
std::string current_value(const std::string& attr) {
  std::string v = slurp(attr);
  if (v.empty() || v.back() != '\n') v += '\n';
  return v;
}

void print_summary() {
  std::printf("\n== Summary (median ops/s of the runs; one op = open + read-to-EOF or one write + close)\n");
  std::printf("%-42s %14s %12s\n", "benchmark", "ops/s", "us/op");
  for (auto& [name, r] : bench::results()) {
    if (!r.error.empty()) {
      std::printf("%-42s %14s   %s\n", name.c_str(), "error", r.error.c_str());
      continue;
    }
    double ops = r.median();
    // With several threads, ops/s is the sum over them; us/op is per thread.
    std::printf("%-42s %14.0f %12.2f\n", name.c_str(), ops, ops > 0 ? 1e6 * static_cast<double>(r.threads) / ops : 0.0);
  }
  bench::print_ratios({
      {"sim read apmask / native sysfs read", "read/sim_apmask", "read/sysfs", 1},
      {"sim read queue attr / native sysfs read", "read/sim_queue", "read/sysfs", 1},
      {"sim read queue via bus symlink / sysfs read", "read/sim_queue_via_bus_link", "read/sysfs", 1},
      {"ext (mdevsim binary) read apmask / sysfs read", "read/ext_apmask", "read/sysfs", 1},
      {"ext read apmask / bare FUSE read, both 2 procs", "read/ext_apmask", "read/bare_ext", 1},
      {"sim read apmask / bare FUSE read", "read/sim_apmask", "read/bare", 1},
      {"sim read queue attr / bare FUSE read", "read/sim_queue", "read/bare", 1},
      {"bare FUSE read / native sysfs read", "read/bare", "read/sysfs", 1},
      {"sim write ap_domain / bare FUSE write", "write/sim_ap_domain", "write/bare", 1},
      {"sim write queue request_count / bare write", "write/sim_queue_request_count", "write/bare", 1},
      {"ext write ap_domain / bare write, both 2 procs", "write/ext_ap_domain", "write/bare_ext", 1},
      {"bare FUSE read: other process / same process", "read/bare_ext", "read/bare", 1},
      {"bare FUSE write / tmpfs write", "write/bare", "write/tmpfs", 1},
      {"2 threads: sim read apmask / bare read", "read/sim_apmask", "read/bare", 2},
      {"2 threads: sim write ap_domain / bare write", "write/sim_ap_domain", "write/bare", 2},
  });
}

// How many FUSE requests of each kind one operation of each target costs.
void print_request_profile() {
  std::vector<bench::ProfileTarget> targets;
  for (auto& t : g_targets) {
    if (t.mount.empty()) continue;
    const Target* p = &t;
    targets.push_back({t.name, t.mount, [p] {
                         return (p->data.empty() ? read_once(p->path.c_str()) : write_once(p->path.c_str(), p->data)) >= 0;
                       }});
  }
  bench::print_request_profile(targets);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string sim_host, mdevsim_bin = MDEVSIM_BINARY;
  bool request_profile = true;
  int rest = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--sim_host=")) sim_host = a.substr(11);
    else if (a.starts_with("--mdevsim=")) mdevsim_bin = a.substr(10);
    else if (a == "--no_request_profile") request_profile = false;
    else argv[rest++] = argv[i];
  }
  argc = rest;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::unique_ptr<InProcessSim> sim;
  std::unique_ptr<ExternalSim> ext;
  std::unique_ptr<BareFuse> bare;
  std::unique_ptr<BareFuseProcess> bare_ext;
  std::string tmpfs_dir;

  // Native references.
  if (auto p = native_sysfs_attr()) {
    std::printf("native sysfs attribute: %s\n", p->c_str());
    g_targets.push_back({"read/sysfs", *p, "", ""});
  } else {
    std::printf("native sysfs: no readable attribute found, skipped\n");
  }
  tmpfs_dir = make_tmp_dir(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  std::string tmpfs_file = tmpfs_dir + "/attr";
  {
    std::ofstream(tmpfs_file) << "0\n";
  }
  g_targets.push_back({"read/tmpfs", tmpfs_file, "", ""});
  g_targets.push_back({"write/tmpfs", tmpfs_file, "0\n", ""});

  if (!can_mount()) {
    std::printf("cannot mount FUSE here (needs root and /dev/fuse): FUSE targets skipped\n");
  } else {
    ap::HostConfig host = ap::default_host();
    if (!sim_host.empty()) {
      std::string error;
      auto h = ap::load_host_file(sim_host, error);
      if (!h) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      host = std::move(*h);
    }
    try {
      bare_ext = std::make_unique<BareFuseProcess>();  // forks: before any thread
      g_targets.push_back({"read/bare_ext", bare_ext->file(), "", bare_ext->dir()});
      g_targets.push_back({"write/bare_ext", bare_ext->file(), "0\n", bare_ext->dir()});
    } catch (const std::exception& e) {
      std::printf("bare_ext target skipped: %s\n", e.what());
    }
    try {
      sim = std::make_unique<InProcessSim>(std::move(host));
      bare = std::make_unique<BareFuse>();
      const std::string& m = sim->dir();
      g_targets.push_back({"read/sim_apmask", m + "/bus/ap/apmask", "", m});
      if (auto q = first_queue(m)) {
        std::printf("simulator queue: %s\n", q->second.substr(m.size() + 1).c_str());
        g_targets.push_back({"read/sim_queue", q->second + "/request_count", "", m});
        g_targets.push_back({"read/sim_queue_via_bus_link", q->first + "/request_count", "", m});
        g_targets.push_back({"write/sim_queue_request_count", q->second + "/request_count", "0\n", m});
      }
      std::string dom = current_value(m + "/bus/ap/ap_domain");
      if (dom != "-1\n") g_targets.push_back({"write/sim_ap_domain", m + "/bus/ap/ap_domain", dom, m});
      g_targets.push_back({"read/bare", bare->file(), "", bare->dir()});
      g_targets.push_back({"write/bare", bare->file(), "0\n", bare->dir()});
    } catch (const std::exception& e) {
      std::printf("FUSE targets skipped: %s\n", e.what());
    }
    if (!mdevsim_bin.empty() && access(mdevsim_bin.c_str(), X_OK) == 0) {
      try {
        ext = std::make_unique<ExternalSim>(mdevsim_bin, sim_host);
        const std::string& m = ext->dir();
        g_targets.push_back({"read/ext_apmask", m + "/bus/ap/apmask", "", m});
        std::string dom = current_value(m + "/bus/ap/ap_domain");
        if (dom != "-1\n") g_targets.push_back({"write/ext_ap_domain", m + "/bus/ap/ap_domain", dom, m});
      } catch (const std::exception& e) {
        std::printf("ext target skipped: %s\n", e.what());
      }
    }
  }

  // Sanity: every target works once before it is timed.
  for (auto& t : g_targets) {
    long r = t.data.empty() ? read_once(t.path.c_str()) : write_once(t.path.c_str(), t.data);
    if (r < 0) std::printf("warning: %s (%s): %s\n", t.name.c_str(), t.path.c_str(), std::strerror(static_cast<int>(-r)));
  }

  for (auto& t : g_targets) {
    auto* b = benchmark::RegisterBenchmark(t.name.c_str(), [&t](benchmark::State& s) { run_target(s, t); });
    b->UseRealTime();  // the work happens in the server's threads and the kernel
    // Two clients at once: how the server scales (the model lock, the loop).
    if (t.name == "read/sim_apmask" || t.name == "write/sim_ap_domain" || t.name == "read/bare" || t.name == "write/bare")
      b->Threads(1)->Threads(2);
  }

  auto reporter = bench::make_reporter();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_summary();
  if (request_profile) print_request_profile();

  ext.reset();
  bare_ext.reset();
  bare.reset();
  sim.reset();
  unlink(tmpfs_file.c_str());
  rmdir(tmpfs_dir.c_str());
  return 0;
}
