#define FUSE_USE_VERSION 314
#include "benchmarks/bench_support.h"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bench {

// ------------------------------------------------------------ client side

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

long write_once(const char* path, std::string_view data) {
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

// ------------------------------------------- the bare FUSE reference

namespace {

constexpr fuse_ino_t FILE_INO = 2;

struct BareOps {
  static const BareFuse::Config& config(fuse_req_t req) {
    return *static_cast<const BareFuse::Config*>(fuse_req_userdata(req));
  }
  static double timeout(fuse_req_t req) { return config(req).timeout; }
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
  static void init(void*, fuse_conn_info* conn) {
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  }
  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (parent != FUSE_ROOT_ID || std::strcmp(name, "attr") != 0) return (void)fuse_reply_err(req, ENOENT);
    fuse_entry_param e{};
    e.ino = FILE_INO;
    e.attr = stat_of(FILE_INO);
    e.entry_timeout = timeout(req);
    e.attr_timeout = timeout(req);
    fuse_reply_entry(req, &e);
  }
  static void forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    struct stat st = stat_of(ino);
    fuse_reply_attr(req, &st, timeout(req));
  }
  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int, fuse_file_info*) {
    struct stat st = stat_of(ino);
    fuse_reply_attr(req, &st, timeout(req));
  }
  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (ino != FILE_INO) return (void)fuse_reply_err(req, EISDIR);
    fi->direct_io = 1;
    fi->keep_cache = 0;
    fuse_reply_open(req, fi);
  }
  static void read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
    static const char text[] = "0\n";
    size_t len = sizeof text - 1;
    size_t o = static_cast<size_t>(off);
    if (o >= len) return (void)fuse_reply_buf(req, nullptr, 0);
    fuse_reply_buf(req, text + o, std::min(size, len - o));
  }
  static void write(fuse_req_t req, fuse_ino_t, const char*, size_t size, off_t, fuse_file_info*) {
    if (long ns = config(req).write_work_ns) {
      auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
      while (std::chrono::steady_clock::now() < end) {
      }
    }
    fuse_reply_write(req, size);
  }
  static void flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }
  static void release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }
  static fuse_lowlevel_ops make() {
    fuse_lowlevel_ops o{};
    o.init = init;
    o.lookup = lookup;
    o.forget = forget;
    o.getattr = getattr;
    o.setattr = setattr;
    o.open = open;
    o.read = read;
    o.write = write;
    o.flush = flush;
    o.release = release;
    return o;
  }
};

}  // namespace

BareFuse::BareFuse(double timeout, long write_work_ns)
    : m_dir(make_tmp_dir("/tmp")), m_config{timeout, write_work_ns} {
  std::vector<std::string> argv = {"mdevsim-bench", "-o", "fsname=bare,subtype=mdevsim-bench"};
  if (geteuid() == 0) argv.insert(argv.end(), {"-o", "allow_other"});
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(cargv.size()), cargv.data());
  static const fuse_lowlevel_ops ops = BareOps::make();
  m_se = fuse_session_new(&args, &ops, sizeof ops, &m_config);
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

BareFuse::~BareFuse() {
  fuse_session_exit(m_se);
  fuse_session_unmount(m_se);
  m_loop.join();
  fuse_session_destroy(m_se);
  rmdir(m_dir.c_str());
}

BareFuseProcess::BareFuseProcess() {
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
      if (::write(ready[1], dir.data(), dir.size()) < 0) code = 1;
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
  while ((n = ::read(ready[0], buf, sizeof buf)) > 0) m_dir.append(buf, static_cast<size_t>(n));
  close(ready[0]);
  if (m_dir.empty()) {
    waitpid(m_pid, nullptr, 0);
    throw std::runtime_error("bare FUSE child: cannot mount");
  }
}

BareFuseProcess::~BareFuseProcess() {
  kill(m_pid, SIGTERM);
  waitpid(m_pid, nullptr, 0);
}

// ----------------------------------------------- collecting the results

double Result::median() const {
  if (reported_median > 0) return reported_median;
  if (ops.empty()) return 0;
  auto v = ops;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Result::counter(const std::string& name) const {
  if (auto it = reported_counter_medians.find(name); it != reported_counter_medians.end()) return it->second;
  auto it = counters.find(name);
  if (it == counters.end() || it->second.empty()) return 0;
  auto v = it->second;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::map<std::string, Result>& results() {
  static std::map<std::string, Result> r;
  return r;
}

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  for (auto& r : runs) {
    bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
    if (r.run_type != Run::RT_Iteration && !median) continue;
    auto& res = results()[r.run_name.str()];
    res.threads = r.threads;
    if (r.error_occurred) {
      res.error = r.error_message;
      continue;
    }
    for (auto& [name, c] : r.counters) {
      if (name == "items_per_second") continue;
      if (median) res.reported_counter_medians[name] = c.value;
      else res.counters[name].push_back(c.value);
    }
    auto it = r.counters.find("items_per_second");
    if (it == r.counters.end()) continue;
    if (median) res.reported_median = it->second.value;
    else res.ops.push_back(it->second.value);
  }
  ConsoleReporter::ReportRuns(runs);
}

CollectingReporter make_reporter() {
  return CollectingReporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                  : benchmark::ConsoleReporter::OO_Tabular);
}

std::string run_name(const std::string& name, int threads) {
  return name + "/real_time" + (threads > 1 ? "/threads:" + std::to_string(threads) : "");
}

const Result* result_of(const std::string& name, int threads) {
  std::string t = "/threads:" + std::to_string(threads);
  std::vector<std::string> candidates = {run_name(name, threads), name + "/real_time" + t, name + "/manual_time",
                                         name + "/manual_time" + t};
  if (threads == 1) candidates.push_back(name);
  candidates.push_back(name + t);
  for (auto& c : candidates) {
    auto it = results().find(c);
    if (it != results().end() && it->second.error.empty()) return &it->second;
  }
  return nullptr;
}

double ops_of(const std::string& name, int threads) {
  const Result* r = result_of(name, threads);
  return r ? r->median() : 0;
}

void print_ratios(const std::vector<Ratio>& ratios) {
  std::printf("\n== Ratios (throughput; 1.00 = as fast, 0.10 = ten times slower)\n");
  std::printf("%-46s %10s %14s %14s\n", "ratio", "value", "numerator/s", "denominator/s");
  for (auto& r : ratios) {
    double a = ops_of(r.num, r.threads), b = ops_of(r.den, r.threads);
    if (a <= 0 || b <= 0) {
      std::printf("%-46s %10s\n", r.what.c_str(), "n/a");
      continue;
    }
    std::printf("%-46s %10.3f %14.0f %14.0f\n", r.what.c_str(), a / b, a, b);
  }
  std::fflush(stdout);
}

// ---------------------------------------------- FUSE request profile

RequestTracer::RequestTracer() {
  for (const char* base : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    std::string inst = std::string(base) + "/instances";
    if (access(inst.c_str(), W_OK) != 0) continue;
    m_dir = inst + "/mdevsim-bench-" + std::to_string(getpid());
    if (mkdir(m_dir.c_str(), 0700) == 0 && access((m_dir + "/events/fuse/fuse_request_send/enable").c_str(), W_OK) == 0)
      return;
    rmdir(m_dir.c_str());
    m_dir.clear();
  }
}

RequestTracer::~RequestTracer() {
  if (!m_dir.empty()) {
    put("events/fuse/fuse_request_send/enable", "0");
    rmdir(m_dir.c_str());
  }
}

std::map<std::string, long> RequestTracer::count(dev_t dev, const std::function<bool()>& op, double seconds,
                                                 long& calls) {
  // The kernel's dev_t: major << 20 | minor.
  unsigned kdev = (major(dev) << 20) | minor(dev);
  put("buffer_size_kb", "8192");
  put("events/fuse/fuse_request_send/filter", "connection == " + std::to_string(kdev));
  put("trace", "");
  put("events/fuse/fuse_request_send/enable", "1");
  calls = 0;
  bool failed = false;
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!failed && std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 100; ++i, ++calls) {
      if (!op()) {
        failed = true;
        break;
      }
    }
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

void RequestTracer::put(const std::string& file, const std::string& value) {
  int fd = open((m_dir + "/" + file).c_str(), O_WRONLY | O_TRUNC);
  if (fd < 0) return;
  if (::write(fd, value.data(), value.size()) < 0) {
  }
  close(fd);
}

void print_request_profile(const std::vector<ProfileTarget>& targets, double seconds) {
  RequestTracer tracer;
  if (!tracer.ok()) {
    std::printf("\n(FUSE request profile skipped: no writable tracefs with the fuse:fuse_request_send event)\n");
    return;
  }
  std::printf("\n== FUSE requests per operation (fuse:fuse_request_send, ~%g s of single-threaded ops each,\n"
              "   so that cached entries and attributes are amortised as in the benchmark)\n",
              seconds);
  std::printf("%-34s %9s  %s\n", "target", "req/op", "by opcode (per op)");
  for (auto& t : targets) {
    struct stat st{};
    if (stat(t.mount.c_str(), &st) != 0) continue;
    long calls = 0;
    auto counts = tracer.count(st.st_dev, t.op, seconds, calls);
    double ops = static_cast<double>(calls) * t.ops_per_call;
    if (ops <= 0) continue;
    long total = 0;
    for (auto& [k, v] : counts) total += v;
    std::string by;
    for (auto& [k, v] : counts) {
      char b[64];
      std::snprintf(b, sizeof b, "%s%s %.3f", by.empty() ? "" : ", ", k.c_str(), static_cast<double>(v) / ops);
      by += b;
    }
    std::printf("%-34s %9.3f  %s   (%.0f ops)\n", t.name.c_str(), static_cast<double>(total) / ops, by.c_str(), ops);
  }
  std::fflush(stdout);
}

std::string take_option(int& argc, char** argv, std::string_view name, std::string fallback) {
  const std::string prefix = "--" + std::string(name) + "=";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind(prefix, 0) != 0) continue;
    fallback = a.substr(prefix.size());
    std::copy(argv + i + 1, argv + argc, argv + i);
    --argc;
    --i;
  }
  return fallback;
}

}  // namespace bench
