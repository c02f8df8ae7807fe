// Helpers shared by the benchmarks: the client operations (open + read/write
// + close), the do-nothing "bare" FUSE file system that is the reference for
// every FUSE figure, a console reporter that keeps the results for a summary,
// and the FUSE request profile (fuse:fuse_request_send tracepoint).
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct fuse_session;

namespace bench {

// ------------------------------------------------------------ client side

// open(O_RDONLY), read until EOF, close. Bytes read, or -errno.
long read_once(const char* path);
// open(O_WRONLY|O_TRUNC), one write, close. Bytes written, or -errno.
long write_once(const char* path, std::string_view data);

std::string slurp(const std::string& path);
// A new directory "<base>/mdevsim-bench-XXXXXX".
std::string make_tmp_dir(const char* base);
// Root and /dev/fuse: FUSE mounts work.
bool can_mount();

// ------------------------------------------- the bare FUSE reference

// A libfuse3 low-level file system that does nothing but answer for one
// regular file, "attr" (inode 2), in its root, with the simulator's options:
// direct_io, flush ENOSYS, atomic_o_trunc, no splice, the same mt loop
// configuration and the same entry/attr timeouts (sysfs::FuseServer). It is
// the floor for any FUSE server: the kernel round trips and libfuse.
class BareFuse {
 public:
  // The simulator's entry/attr timeout (sysfs-fs/fuse/fuse_server.cpp).
  static constexpr double SIM_TIMEOUT = 86400.0;

  // With `write_work_ns`, every write spins that long on the clock before it
  // answers: a server that does that much work per write and nothing else.
  explicit BareFuse(double timeout = SIM_TIMEOUT, long write_work_ns = 0);
  ~BareFuse();
  BareFuse(const BareFuse&) = delete;
  BareFuse& operator=(const BareFuse&) = delete;
  std::string file() const { return m_dir + "/attr"; }
  const std::string& dir() const { return m_dir; }

  struct Config {  // the session's user data
    double timeout;
    long write_work_ns;
  };

 private:
  std::string m_dir;
  Config m_config;
  fuse_session* m_se = nullptr;
  std::thread m_loop;
};

// The same file system served by a forked child process: the reference for
// a simulator served by another process. Construct it before this process
// starts any thread.
class BareFuseProcess {
 public:
  BareFuseProcess();
  ~BareFuseProcess();
  BareFuseProcess(const BareFuseProcess&) = delete;
  BareFuseProcess& operator=(const BareFuseProcess&) = delete;
  std::string file() const { return m_dir + "/attr"; }
  const std::string& dir() const { return m_dir; }

 private:
  pid_t m_pid = -1;
  std::string m_dir;
};

// ----------------------------------------------- collecting the results

struct Result {
  std::vector<double> ops;     // items_per_second of each repetition
  double reported_median = 0;  // the "median" aggregate, when repeated
  int64_t threads = 1;
  std::string error;
  // The other user counters: each repetition's value, the median aggregate.
  std::map<std::string, std::vector<double>> counters;
  std::map<std::string, double> reported_counter_medians;
  double median() const;
  // The median over the repetitions of a user counter; 0 if absent.
  double counter(const std::string& name) const;
};
// By run name ("write/bare/real_time").
std::map<std::string, Result>& results();

// The console reporter, keeping items_per_second of every run in results().
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  void ReportRuns(const std::vector<Run>& runs) override;
};
// A reporter for stdout (colour on a terminal).
CollectingReporter make_reporter();

// The run name of a benchmark registered with UseRealTime().
std::string run_name(const std::string& name, int threads = 1);
// The median items/s of a benchmark, whatever its time (real, manual or
// CPU); 0 when it did not run or failed.
double ops_of(const std::string& name, int threads = 1);
// The result of a benchmark as ops_of() finds it, or nullptr.
const Result* result_of(const std::string& name, int threads = 1);

// A table of throughput ratios (num / den).
struct Ratio {
  std::string what, num, den;
  int threads = 1;
};
void print_ratios(const std::vector<Ratio>& ratios);

// A program's own --NAME=VALUE option, taken out of argv before Google
// Benchmark sees the rest: its value, or `fallback` when absent.
std::string take_option(int& argc, char** argv, std::string_view name, std::string fallback);

// ---------------------------------------------- FUSE request profile

// Counts fuse:fuse_request_send events of one FUSE connection, in a private
// tracefs instance.
class RequestTracer {
 public:
  RequestTracer();
  ~RequestTracer();
  RequestTracer(const RequestTracer&) = delete;
  RequestTracer& operator=(const RequestTracer&) = delete;
  bool ok() const { return !m_dir.empty(); }

  // Runs `op` repeatedly for about `seconds` and returns the requests sent
  // meanwhile on the connection of `dev` (the mount's st_dev), by opcode
  // name ("OPEN"); `calls` is how often `op` ran. `op` returning false ends
  // the run.
  std::map<std::string, long> count(dev_t dev, const std::function<bool()>& op, double seconds, long& calls);

 private:
  void put(const std::string& file, const std::string& value);
  std::string m_dir;
};

// One line of a request profile table per target.
struct ProfileTarget {
  std::string name;
  std::string mount;            // the FUSE mount point
  std::function<bool()> op;     // one call
  double ops_per_call = 1;      // client operations per call
};
// Prints requests per client operation for each target, about `seconds`
// each (so that the kernel's cached entries are amortised as in the
// benchmarks).
void print_request_profile(const std::vector<ProfileTarget>& targets, double seconds = 2.0);

}  // namespace bench
