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
#define FUSE_USE_VERSION 314
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "apbus/host_config.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

#ifndef MDEVSIM_BINARY
#define MDEVSIM_BINARY ""
#endif

namespace {

// ------------------------------------------------------------ client side

// open, read until EOF, close. Bytes read, or -errno.
long read_once(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  char buf[4096];
  long total = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
  long r = n < 0 ? -errno : total;
  close(fd);
  return r;
}

// open(O_WRONLY|O_TRUNC), one write, close. Bytes written, or -errno.
long write_once(const char* path, const std::string& data) {
  int fd = open(path, O_WRONLY | O_TRUNC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, data.data(), data.size());
  long r = n < 0 ? -errno : n;
  close(fd);
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string make_tmp_dir(const char* base) {
  std::string tmpl = std::string(base) + "/mdevsim-bench-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  return tmpl;
}

bool can_mount() { return geteuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0; }

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

// ------------------------------------------- the bare FUSE reference

// One regular file, "attr", inode 2, in the root directory.
class BareFuse {
 public:
  static constexpr fuse_ino_t FILE_INO = 2;
  static constexpr double TIMEOUT = 1.0;  // the simulator's ENTRY_TIMEOUT

  BareFuse() : m_dir(make_tmp_dir("/tmp")) {
    std::vector<std::string> argv = {"mdevsim-bench", "-o", "fsname=bare,subtype=mdevsim-bench"};
    if (geteuid() == 0) argv.insert(argv.end(), {"-o", "allow_other"});
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
    static const fuse_lowlevel_ops ops = make_ops();
    m_se = fuse_session_new(&args, &ops, sizeof ops, this);
    if (!m_se || fuse_session_mount(m_se, m_dir.c_str()) != 0) {
      if (m_se) fuse_session_destroy(m_se);
      rmdir(m_dir.c_str());
      throw std::runtime_error("bare FUSE: cannot mount");
    }
    m_loop = std::thread([this] {
      // The simulator's loop configuration (FuseServer::loop).
      fuse_loop_config* cfg = fuse_loop_cfg_create();
      fuse_loop_cfg_set_clone_fd(cfg, 0);
      fuse_loop_cfg_set_max_threads(cfg, 16);
      fuse_session_loop_mt(m_se, cfg);
      fuse_loop_cfg_destroy(cfg);
    });
  }
  ~BareFuse() {
    fuse_session_exit(m_se);
    fuse_session_unmount(m_se);
    m_loop.join();
    fuse_session_destroy(m_se);
    rmdir(m_dir.c_str());
  }
  std::string file() const { return m_dir + "/attr"; }
  const std::string& dir() const { return m_dir; }

 private:
  static struct stat stat_of(fuse_ino_t ino) {
    struct stat st{};
    st.st_ino = ino;
    st.st_blksize = 4096;
    if (ino == FUSE_ROOT_ID) {
      st.st_mode = S_IFDIR | 0755;
      st.st_nlink = 2;
    } else {
      st.st_mode = S_IFREG | 0644;
      st.st_nlink = 1;
      st.st_size = 4096;  // like every sysfs attribute
    }
    return st;
  }
  static void op_init(void*, fuse_conn_info* conn) {
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  }
  static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (parent != FUSE_ROOT_ID || std::strcmp(name, "attr") != 0) return (void)fuse_reply_err(req, ENOENT);
    fuse_entry_param e{};
    e.ino = FILE_INO;
    e.attr = stat_of(FILE_INO);
    e.entry_timeout = TIMEOUT;
    e.attr_timeout = TIMEOUT;
    fuse_reply_entry(req, &e);
  }
  static void op_forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
  static void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    struct stat st = stat_of(ino);
    fuse_reply_attr(req, &st, ino == FUSE_ROOT_ID ? 0.0 : TIMEOUT);
  }
  static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int, fuse_file_info*) {
    struct stat st = stat_of(ino);
    fuse_reply_attr(req, &st, ino == FUSE_ROOT_ID ? 0.0 : TIMEOUT);
  }
  static void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino != FILE_INO) return (void)fuse_reply_err(req, EISDIR);
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fuse_reply_open(req, fi);
  }
  static void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
    static const char text[] = "0\n";
    size_t len = sizeof text - 1;
    size_t o = static_cast<size_t>(off);
    if (o >= len) return (void)fuse_reply_buf(req, nullptr, 0);
    fuse_reply_buf(req, text + o, std::min(size, len - o));
  }
  static void op_write(fuse_req_t req, fuse_ino_t, const char*, size_t size, off_t, fuse_file_info*) {
    fuse_reply_write(req, size);
  }
  static void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }
  static void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }
  static fuse_lowlevel_ops make_ops() {
    fuse_lowlevel_ops o{};
    o.init = op_init;
    o.lookup = op_lookup;
    o.forget = op_forget;
    o.getattr = op_getattr;
    o.setattr = op_setattr;
    o.open = op_open;
    o.read = op_read;
    o.write = op_write;
    o.flush = op_flush;
    o.release = op_release;
    return o;
  }

  std::string m_dir;
  fuse_session* m_se = nullptr;
  std::thread m_loop;
};

// The same file system served by a child process: the reference for the
// "ext" target, whose server is another process too. Forked before this
// process starts any thread.
class BareFuseProcess {
 public:
  BareFuseProcess() {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    m_pid = fork();
    if (m_pid < 0) throw std::runtime_error("fork failed");
    if (m_pid == 0) {
      close(ready[0]);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by the server threads
      int code = 0;
      try {
        BareFuse fs;
        std::string dir = fs.dir();
        if (write(ready[1], dir.data(), dir.size()) < 0) code = 1;
        close(ready[1]);
        int sig = 0;
        sigwait(&set, &sig);
      } catch (...) {
        code = 1;
      }
      _exit(code);
    }
    close(ready[1]);
    char buf[256];
    ssize_t n;
    while ((n = read(ready[0], buf, sizeof buf)) > 0) m_dir.append(buf, static_cast<size_t>(n));
    close(ready[0]);
    if (m_dir.empty()) {
      waitpid(m_pid, nullptr, 0);
      throw std::runtime_error("bare FUSE child: cannot mount");
    }
  }
  ~BareFuseProcess() {
    kill(m_pid, SIGTERM);
    waitpid(m_pid, nullptr, 0);
  }
  std::string file() const { return m_dir + "/attr"; }
  const std::string& dir() const { return m_dir; }

 private:
  pid_t m_pid = -1;
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

// ----------------------------------------------- collecting the results

struct Result {
  std::vector<double> ops;  // items_per_second of each repetition
  double reported_median = 0;  // the "median" aggregate, when repeated
  int64_t threads = 1;
  std::string error;
  double median() const {
    if (reported_median > 0) return reported_median;
    if (ops.empty()) return 0;
    auto v = ops;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
};
std::map<std::string, Result> g_results;  // by run name

class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (auto& r : runs) {
      bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type != Run::RT_Iteration && !median) continue;
      auto& res = g_results[r.run_name.str()];
      res.threads = r.threads;
      if (r.error_occurred) {
        res.error = r.error_message;
        continue;
      }
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      if (median) res.reported_median = it->second.value;
      else res.ops.push_back(it->second.value);
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

// The run name of a target's single-threaded benchmark.
std::string run_name(const std::string& target, int threads = 1) {
  return target + "/real_time" + (threads > 1 ? "/threads:" + std::to_string(threads) : "");
}

// Benchmarks with several thread counts carry "/threads:1" too.
double ops_of(const std::string& target, int threads = 1) {
  for (auto& name : {run_name(target, threads), target + "/real_time/threads:" + std::to_string(threads)}) {
    auto it = g_results.find(name);
    if (it != g_results.end()) return it->second.median();
  }
  return 0;
}

void print_summary() {
  std::printf("\n== Summary (median ops/s of the runs; one op = open + read-to-EOF or one write + close)\n");
  std::printf("%-42s %14s %12s\n", "benchmark", "ops/s", "us/op");
  for (auto& [name, r] : g_results) {
    if (!r.error.empty()) {
      std::printf("%-42s %14s   %s\n", name.c_str(), "error", r.error.c_str());
      continue;
    }
    double ops = r.median();
    // With several threads, ops/s is the sum over them; us/op is per thread.
    std::printf("%-42s %14.0f %12.2f\n", name.c_str(), ops, ops > 0 ? 1e6 * static_cast<double>(r.threads) / ops : 0.0);
  }

  struct Ratio {
    const char* what;
    std::string num, den;
    int threads;
  };
  std::vector<Ratio> ratios = {
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
  };
  std::printf("\n== Ratios (throughput; 1.00 = as fast, 0.10 = ten times slower)\n");
  std::printf("%-46s %10s %14s %14s\n", "ratio", "value", "numerator/s", "denominator/s");
  for (auto& r : ratios) {
    double a = ops_of(r.num, r.threads), b = ops_of(r.den, r.threads);
    if (a <= 0 || b <= 0) {
      std::printf("%-46s %10s\n", r.what, "n/a");
      continue;
    }
    std::printf("%-46s %10.3f %14.0f %14.0f\n", r.what, a / b, a, b);
  }
  std::fflush(stdout);
}

// ---------------------------------------------- FUSE request profile

// Counts fuse:fuse_request_send events of one connection in a private
// tracefs instance while `op` runs for about `seconds`.
class RequestTracer {
 public:
  RequestTracer() {
    for (const char* base : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
      std::string inst = std::string(base) + "/instances";
      if (access((inst).c_str(), W_OK) != 0) continue;
      m_dir = inst + "/mdevsim-bench-" + std::to_string(getpid());
      if (mkdir(m_dir.c_str(), 0700) == 0 &&
          access((m_dir + "/events/fuse/fuse_request_send/enable").c_str(), W_OK) == 0)
        return;
      rmdir(m_dir.c_str());
      m_dir.clear();
    }
  }
  ~RequestTracer() {
    if (!m_dir.empty()) {
      put("events/fuse/fuse_request_send/enable", "0");
      rmdir(m_dir.c_str());
    }
  }
  bool ok() const { return !m_dir.empty(); }

  // opcode name -> count
  std::map<std::string, long> count(dev_t dev, const std::function<bool()>& op, double seconds, long& ops) {
    // The kernel's dev_t: major << 20 | minor.
    unsigned kdev = (major(dev) << 20) | minor(dev);
    put("buffer_size_kb", "8192");
    put("events/fuse/fuse_request_send/filter", "connection == " + std::to_string(kdev));
    put("trace", "");
    put("events/fuse/fuse_request_send/enable", "1");
    ops = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      for (int i = 0; i < 100; ++i, ++ops)
        if (!op()) break;
    }
    put("events/fuse/fuse_request_send/enable", "0");
    std::map<std::string, long> out;
    std::ifstream in(m_dir + "/trace");
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("#")) continue;
      auto p = line.find("(FUSE_");
      if (p == std::string::npos) continue;
      auto q = line.find(')', p);
      ++out[line.substr(p + 6, q - p - 6)];
    }
    return out;
  }

 private:
  void put(const std::string& file, const std::string& value) {
    int fd = open((m_dir + "/" + file).c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return;
    if (write(fd, value.data(), value.size()) < 0) {
    }
    close(fd);
  }
  std::string m_dir;
};

void print_request_profile() {
  RequestTracer tracer;
  if (!tracer.ok()) {
    std::printf("\n(FUSE request profile skipped: no writable tracefs with the fuse:fuse_request_send event)\n");
    return;
  }
  std::printf("\n== FUSE requests per operation (fuse:fuse_request_send, ~2 s of single-threaded ops each,\n"
              "   so that entry/attr timeouts of 1 s are amortised as in the benchmark)\n");
  std::printf("%-34s %9s  %s\n", "target", "req/op", "by opcode (per op)");
  for (auto& t : g_targets) {
    if (t.mount.empty()) continue;
    struct stat st{};
    if (stat(t.mount.c_str(), &st) != 0) continue;
    const char* path = t.path.c_str();
    bool is_write = !t.data.empty();
    long ops = 0;
    auto counts = tracer.count(
        st.st_dev, [&] { return (is_write ? write_once(path, t.data) : read_once(path)) >= 0; }, 2.0, ops);
    long total = 0;
    for (auto& [k, v] : counts) total += v;
    std::string by;
    for (auto& [k, v] : counts) {
      char b[64];
      std::snprintf(b, sizeof b, "%s%s %.3f", by.empty() ? "" : ", ", k.c_str(), static_cast<double>(v) / static_cast<double>(ops));
      by += b;
    }
    std::printf("%-34s %9.3f  %s   (%ld ops)\n", t.name.c_str(), static_cast<double>(total) / static_cast<double>(ops),
                by.c_str(), ops);
  }
  std::fflush(stdout);
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

  CollectingReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                    : benchmark::ConsoleReporter::OO_Tabular);
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
