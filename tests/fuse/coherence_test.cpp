// Coherence of one mount as seen by several processes: a writer process
// changes bus attributes, reader processes (forked, so every access is a real
// system call through the kernel's FUSE client, with its dentry and attribute
// caches) check that they never see a value older than the last write that
// had returned before their read began, and never one from a write that had
// not yet begun; and that structural side effects of a write (driver links,
// driver directory entries) are visible to other processes as soon as the
// write returns, and gone as soon as the undoing write returns.
//
// Every test runs twice: against a mount served by the server library
// (tests/support/mounted.h) in a child forked before anything else, and
// against `mdevsim mount`. The test process itself stays single-threaded:
// its reader and writer children are forked from it and allocate, which is
// safe only in a child of a single-threaded process once a sanitizer's
// allocator (whose locks a fork does not reset) is in use.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/mounted.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace {

using mdevsim::testing::Mounted;
using mdevsim::testing::run;

// ------------------------------------------------------------ shared state

// Lives in a MAP_SHARED mapping made before fork(), so all processes see it.
struct Shared {
  std::atomic<uint64_t> started{0};    // sequence number of the write begun last
  std::atomic<uint64_t> completed{0};  // sequence number of the write returned last
  std::atomic<int> stop{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> stable_checks{0};
  std::atomic<int> msg_claimed{0};
  char first_error[2048]{};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "cross-process atomics must be lock free");

class SharedMap {
 public:
  SharedMap() {
    void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    m_sh = new (p) Shared();
  }
  ~SharedMap() {
    m_sh->~Shared();
    munmap(m_sh, sizeof(Shared));
  }
  Shared* operator->() const { return m_sh; }
  Shared* get() const { return m_sh; }

 private:
  Shared* m_sh;
};

// Records a failure seen in a child; the first message is kept.
__attribute__((format(printf, 2, 3))) void report(Shared* sh, const char* fmt, ...) {
  sh->errors.fetch_add(1);
  if (sh->msg_claimed.exchange(1) == 0) {
    char pre[32];
    int n = std::snprintf(pre, sizeof pre, "[pid %d] ", static_cast<int>(getpid()));
    std::memcpy(sh->first_error, pre, static_cast<size_t>(n));
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(sh->first_error + n, sizeof sh->first_error - static_cast<size_t>(n), fmt, ap);
    va_end(ap);
  }
}

// --------------------------------------------------------- system calls
// Used in the children: plain system calls and stack buffers.

// open/read/close; returns the length or -errno.
long read_attr(const std::string& path, char* buf, size_t cap) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    if (n == 0 || used + static_cast<size_t>(n) >= cap - 1) {
      used += static_cast<size_t>(n);
      break;
    }
    used += static_cast<size_t>(n);
  }
  buf[used] = '\0';
  close(fd);
  return static_cast<long>(used);
}

// Like a shell's `echo -n VALUE > PATH`: open(O_WRONLY|O_TRUNC), one write().
long write_attr(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, value.data(), value.size());
  long r = n < 0 ? -errno : n;
  close(fd);
  return r;
}

bool exists(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0;
}

int lstat_errno(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0 ? 0 : errno;
}

std::string readlink_str(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return std::string("<error: ") + std::strerror(errno) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

bool dir_has(const std::string& dir, const char* name) {
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = readdir(d))
    if (std::strcmp(e->d_name, name) == 0) found = true;
  closedir(d);
  return found;
}

// ----------------------------------------------------------- processes

// Runs `body` in a child process; its return value is the exit status. The
// alarm ends a child stuck on a hung mount.
pid_t spawn(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    alarm(120);
    int rc = 1;
    try {
      rc = body();
    } catch (...) {
      rc = 3;
    }
    _exit(rc);
  }
  return pid;
}

// Waits for every child; a description of each abnormal end.
std::vector<std::string> wait_all(const std::vector<pid_t>& pids) {
  std::vector<std::string> problems;
  for (pid_t pid : pids) {
    if (pid < 0) {
      problems.push_back("fork failed");
      continue;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
      problems.push_back("child " + std::to_string(pid) + " killed by signal " + std::to_string(WTERMSIG(status)));
    else if (WEXITSTATUS(status) != 0)
      problems.push_back("child " + std::to_string(pid) + " exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return problems;
}

// -------------------------------------------------------------- mounts

enum class Backend { Library, Binary };

// A Mounted in a child process: the mount point comes back through a pipe,
// and closing the other pipe stops the server. Its exit status is 0 unless
// the server failed (or LeakSanitizer found a leak).
class ForkedServer {
 public:
  ForkedServer() {
    int path_pipe[2], stop_pipe[2];
    if (pipe2(path_pipe, O_CLOEXEC) != 0 || pipe2(stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    m_pid = fork();
    if (m_pid == 0) {
      close(path_pipe[0]);
      close(stop_pipe[1]);
      int rc = serve(path_pipe[1], stop_pipe[0]);
#if defined(__SANITIZE_ADDRESS__)
      if (rc == 0 && __lsan_do_recoverable_leak_check()) rc = 2;
#endif
      _exit(rc);
    }
    close(path_pipe[1]);
    close(stop_pipe[0]);
    m_stop = stop_pipe[1];
    char buf[256];
    long n = read(path_pipe[0], buf, sizeof buf);
    close(path_pipe[0]);
    if (m_pid < 0 || n <= 0) throw std::runtime_error("the forked server did not mount");
    m_path.assign(buf, static_cast<size_t>(n));
  }
  // The server's exit status (-1 if it died of a signal).
  int stop() {
    close(m_stop);
    int status = 0;
    while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& path() const { return m_path; }

 private:
  static int serve(int path_fd, int stop_fd) {
    try {
      Mounted m;
      const std::string p = m.path();
      if (write(path_fd, p.data(), p.size()) != static_cast<ssize_t>(p.size())) return 1;
      close(path_fd);
      char c;
      ssize_t n;
      while ((n = read(stop_fd, &c, 1)) > 0 || (n < 0 && errno == EINTR)) {
      }
      return 0;
    } catch (const std::exception&) {
      return 1;
    }
  }

  pid_t m_pid = -1;
  int m_stop = -1;
  std::string m_path;
};

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Library ? "LibraryServer" : "MdevsimMount";
}

class Coherence : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    MDEVSIM_REQUIRE_MOUNT();
    if (GetParam() == Backend::Library) {
      m_server = std::make_unique<ForkedServer>();
      m_root = m_server->path();
    } else {
      char tmpl[] = "/tmp/mdevsim-coherence-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
      m_dir = tmpl;
      int rc = run({MDEVSIM_BINARY, "mount", m_dir});
      ASSERT_EQ(rc, 0) << MDEVSIM_BINARY << " mount " << m_dir << " failed";
      m_binary_mounted = true;
      m_root = m_dir;
    }
  }

  void TearDown() override {
    if (m_server) {
      EXPECT_EQ(m_server->stop(), 0) << "the forked server failed";
    }
    if (m_binary_mounted) {
      EXPECT_EQ(run({MDEVSIM_BINARY, "umount", m_dir}), 0) << "mdevsim umount " << m_dir;
    }
    if (!m_dir.empty()) rmdir(m_dir.c_str());
  }

  std::string path(const std::string& rel) const { return m_root + "/" + rel; }

  void expect_clean(const SharedMap& sh, const std::vector<std::string>& problems) {
    EXPECT_EQ(sh->errors.load(), 0u) << "first error: " << sh->first_error;
    for (auto& p : problems) ADD_FAILURE() << p;
  }

  std::unique_ptr<ForkedServer> m_server;
  std::string m_dir;
  bool m_binary_mounted = false;
  std::string m_root;
};

// ---------------------------------------------------- value coherence

// poll_timeout takes any value up to 120 s and shows it back as "%lu\n", so
// every write in the sequence leaves a distinct, ordered value.
TEST_P(Coherence, ReadersNeverSeeAnOlderPollTimeoutThanTheLastCompletedWrite) {
  constexpr uint64_t kBase = 1000000;
  constexpr uint64_t kWrites = 3000;
  constexpr int kFreshOpenReaders = 2;
  const std::string attr = path("bus/ap/poll_timeout");
  ASSERT_EQ(write_attr(attr, std::to_string(kBase)), static_cast<long>(std::to_string(kBase).size()));

  SharedMap sh;
  Shared* s = sh.get();
  // Checks one value read at a time when `before` writes had returned and
  // at most `after` had begun.
  auto check = [s](const char* how, const char* text, long n, uint64_t before, uint64_t after) {
    s->reads.fetch_add(1);
    if (n < 0) return report(s, "%s: read failed: %s", how, std::strerror(static_cast<int>(-n)));
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (end == text || std::strcmp(end, "\n") != 0 || v < kBase)
      return report(s, "%s: unexpected text \"%s\"", how, text);
    uint64_t seq = v - kBase;
    if (seq < before)
      report(s, "%s: STALE read: got write #%llu, but write #%llu had completed before the read began", how,
             static_cast<unsigned long long>(seq), static_cast<unsigned long long>(before));
    if (seq > after)
      report(s, "%s: read write #%llu, which had not begun (last begun: #%llu)", how,
             static_cast<unsigned long long>(seq), static_cast<unsigned long long>(after));
  };

  std::vector<pid_t> pids;
  for (int r = 0; r < kFreshOpenReaders; ++r) {
    pids.push_back(spawn([&] {
      char buf[256];
      while (!s->stop.load()) {
        uint64_t before = s->completed.load();
        long n = read_attr(attr, buf, sizeof buf);
        uint64_t after = s->started.load();
        check("open+read", buf, n, before, after);
      }
      long n = read_attr(attr, buf, sizeof buf);
      check("final open+read", buf, n, kWrites, kWrites);
      return 0;
    }));
  }
  // One reader keeps the file open: a read at offset 0 must run show() again.
  pids.push_back(spawn([&] {
    int fd = open(attr.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return report(s, "open %s: %s", attr.c_str(), std::strerror(errno)), 1;
    char buf[256];
    auto pread0 = [&] {
      ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
      buf[n < 0 ? 0 : n] = '\0';
      return n < 0 ? -static_cast<long>(errno) : static_cast<long>(n);
    };
    while (!s->stop.load()) {
      uint64_t before = s->completed.load();
      long n = pread0();
      uint64_t after = s->started.load();
      check("pread(fd, 0) on a kept-open fd", buf, n, before, after);
    }
    long n = pread0();
    check("final pread(fd, 0)", buf, n, kWrites, kWrites);
    close(fd);
    return 0;
  }));
  // The writer.
  pids.push_back(spawn([&] {
    for (uint64_t i = 1; i <= kWrites; ++i) {
      std::string v = std::to_string(kBase + i);
      if (i % 2) v += "\n";  // both forms clients use
      s->started.store(i);
      long r = write_attr(attr, v);
      if (r != static_cast<long>(v.size())) {
        report(s, "write #%llu of \"%s\" returned %ld", static_cast<unsigned long long>(i), v.c_str(), r);
        break;
      }
      s->completed.store(i);
    }
    s->stop.store(1);
    return 0;
  }));

  auto problems = wait_all(pids);
  expect_clean(sh, problems);
  EXPECT_GT(sh->reads.load(), 300u) << "the readers hardly overlapped the writer";
  int err = 0;
  EXPECT_EQ(mdevsim::testing::read_file(attr, err), std::to_string(kBase + kWrites) + "\n");
  EXPECT_EQ(err, 0);
  RecordProperty("reads", std::to_string(sh->reads.load()));
}

// apmask: write #n stores an absolute mask whose last 64 bits hold n and
// whose bit 5 (adapter 5) is cleared for odd n, so every write also moves
// the four queues of card 5 between cex4queue and vfio_ap. Readers check the
// value as above, that it is never torn, and (when no write was in flight
// around their look) that the driver links match the completed write.
std::string apmask_for(uint64_t n) {
  char tail[17];
  std::snprintf(tail, sizeof tail, "%016llx", static_cast<unsigned long long>(n));
  return std::string("0x") + (n % 2 ? "fb" : "ff") + std::string(46, 'f') + tail;
}

TEST_P(Coherence, ApmaskReadersAndDriverLinksFollowCompletedWrites) {
  constexpr uint64_t kWrites = 600;
  const std::string mask = path("bus/ap/apmask");
  ASSERT_EQ(write_attr(mask, apmask_for(0)), 66);

  SharedMap sh;
  Shared* s = sh.get();
  std::vector<pid_t> pids;

  // Value readers.
  for (int r = 0; r < 2; ++r) {
    pids.push_back(spawn([&] {
      char buf[256];
      while (!s->stop.load()) {
        uint64_t before = s->completed.load();
        long n = read_attr(mask, buf, sizeof buf);
        uint64_t after = s->started.load();
        s->reads.fetch_add(1);
        if (n != 67 || buf[66] != '\n') {
          report(s, "apmask read returned %ld: \"%s\"", n, n > 0 ? buf : "");
          continue;
        }
        buf[66] = '\0';
        uint64_t seq = std::strtoull(buf + 50, nullptr, 16);
        if (apmask_for(seq) != buf) report(s, "torn or wrong apmask \"%s\" (expected %s)", buf, apmask_for(seq).c_str());
        if (seq < before)
          report(s, "STALE apmask: read write #%llu after write #%llu had completed", static_cast<unsigned long long>(seq),
                 static_cast<unsigned long long>(before));
        if (seq > after)
          report(s, "apmask from write #%llu, which had not begun (last begun #%llu)", static_cast<unsigned long long>(seq),
                 static_cast<unsigned long long>(after));
      }
      return 0;
    }));
  }

  // Structure reader: the binding of 05.0004 through several paths.
  pids.push_back(spawn([&] {
    const std::string link = path("devices/ap/card05/05.0004/driver");
    const std::string via_bus = path("bus/ap/devices/05.0004/driver");
    const std::string in_vfio = path("bus/ap/drivers/vfio_ap/05.0004");
    const std::string in_cex4 = path("bus/ap/drivers/cex4queue/05.0004");
    while (!s->stop.load()) {
      uint64_t started1 = s->started.load();
      uint64_t done = s->completed.load();
      if (started1 != done) continue;  // a write is in flight
      std::string target = readlink_str(link);
      std::string target2 = readlink_str(via_bus);
      bool vfio = exists(in_vfio), cex4 = exists(in_cex4);
      if (s->started.load() != started1) continue;  // a write began meanwhile
      s->stable_checks.fetch_add(1);
      bool want_vfio = done % 2;
      const char* want = want_vfio ? "../../../../bus/ap/drivers/vfio_ap" : "../../../../bus/ap/drivers/cex4queue";
      if (target != want || target2 != want || vfio != want_vfio || cex4 == want_vfio)
        report(s,
               "after write #%llu (adapter 5 %s): driver -> %s, via bus/ap/devices -> %s, "
               "drivers/vfio_ap/05.0004 %s, drivers/cex4queue/05.0004 %s",
               static_cast<unsigned long long>(done), want_vfio ? "reserved for vfio_ap" : "default", target.c_str(),
               target2.c_str(), vfio ? "exists" : "missing", cex4 ? "exists" : "missing");
    }
    return 0;
  }));

  // The writer; a short pause between writes leaves windows for the
  // structure reader.
  pids.push_back(spawn([&] {
    for (uint64_t i = 1; i <= kWrites; ++i) {
      std::string v = apmask_for(i);
      s->started.store(i);
      long r = write_attr(mask, v);
      if (r != static_cast<long>(v.size())) {
        report(s, "write #%llu of apmask returned %ld", static_cast<unsigned long long>(i), r);
        break;
      }
      s->completed.store(i);
      // Every few writes, leave the structure reader a quiet window to
      // check in (bounded, so a slow machine only makes the test slower).
      uint64_t checks = s->stable_checks.load();
      for (int w = 0; i % 4 == 0 && w < 200 && s->stable_checks.load() == checks; ++w) usleep(500);
      usleep(300);
    }
    s->stop.store(1);
    return 0;
  }));

  auto problems = wait_all(pids);
  expect_clean(sh, problems);
  EXPECT_GT(sh->reads.load(), 100u) << "the readers hardly overlapped the writer";
  EXPECT_GT(sh->stable_checks.load(), 50u) << "too few quiet windows to check the driver links";
  RecordProperty("reads", std::to_string(sh->reads.load()));
  RecordProperty("stable_checks", std::to_string(sh->stable_checks.load()));
}

// --------------------------------------------- structure, lock step

// One process writes apmask; after each write() has returned it hands over
// (through a pipe) to another process, which checks at once that the queues
// of card 5 moved: present under drivers/vfio_ap and gone from cex4queue, or
// the reverse. Each round first caches the entries the next round must see
// changed: a positive entry that must then be gone (no stale dentry), and a
// negative one that must then exist.
TEST_P(Coherence, DriverEntriesAppearAndVanishForOtherProcessesAsSoonAsTheWriteReturns) {
  constexpr int kRounds = 150;
  const std::string mask = path("bus/ap/apmask");
  const char* queues[] = {"05.0004", "05.0047", "05.00ab", "05.00ff"};
  // The forms clients write: relative with and without newline, absolute.
  const std::string reserve[] = {"-5", "-5\n", "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"};
  const std::string release[] = {"+5", "+5\n", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"};
  ASSERT_EQ(write_attr(mask, release[2]), 66);

  SharedMap sh;
  Shared* s = sh.get();
  int to_checker[2], to_writer[2];
  ASSERT_EQ(pipe2(to_checker, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(to_writer, O_CLOEXEC), 0);

  // Checks that every queue of card 5 is bound to `drv` and not to `other`.
  auto check_state = [&](int round, const char* drv, const char* other) {
    for (const char* q : queues) {
      std::string mine = path(std::string("bus/ap/drivers/") + drv + "/" + q);
      std::string theirs = path(std::string("bus/ap/drivers/") + other + "/" + q);
      std::string dev = path(std::string("devices/ap/card05/") + q);
      std::string want_link = std::string("../../../../bus/ap/drivers/") + drv;
      if (int e = lstat_errno(mine))
        report(s, "round %d: %s: %s right after the write returned", round, mine.c_str(), std::strerror(e));
      int e = lstat_errno(theirs);
      if (e != ENOENT)
        report(s, "round %d: %s: expected ENOENT right after the write returned, got %s (stale entry)", round,
               theirs.c_str(), e ? std::strerror(e) : "it exists");
      std::string link = readlink_str(dev + "/driver");
      if (link != want_link) report(s, "round %d: %s/driver -> %s, expected %s", round, dev.c_str(), link.c_str(), want_link.c_str());
      // Through the link into the driver's directory and back.
      if (!exists(dev + "/driver/" + q)) report(s, "round %d: %s/driver/%s missing", round, dev.c_str(), q);
      char real[PATH_MAX] = "<error>";
      std::string want_real = path(std::string("bus/ap/drivers/") + drv);
      if (!realpath((dev + "/driver").c_str(), real) || want_real != real)
        report(s, "round %d: realpath(%s/driver) = %s, expected %s", round, dev.c_str(), real, want_real.c_str());
      if (!dir_has(path(std::string("bus/ap/drivers/") + drv), q))
        report(s, "round %d: readdir of drivers/%s lacks %s", round, drv, q);
      if (dir_has(path(std::string("bus/ap/drivers/") + other), q))
        report(s, "round %d: readdir of drivers/%s still lists %s", round, other, q);
      char buf[512];
      long n = read_attr(dev + "/uevent", buf, sizeof buf);
      std::string want_uevent = std::string("DEVTYPE=ap_queue\nDRIVER=") + drv + "\nMODE=cca\n";
      if (n < 0 || want_uevent != buf)
        report(s, "round %d: %s/uevent is \"%s\", expected \"%s\"", round, dev.c_str(), n < 0 ? "<error>" : buf,
               want_uevent.c_str());
      s->stable_checks.fetch_add(1);
    }
  };

  std::vector<pid_t> pids;
  pids.push_back(spawn([&] {  // the checker
    close(to_checker[1]);
    close(to_writer[0]);
    char c;
    int round = 0;
    while (read(to_checker[0], &c, 1) == 1) {
      if (c == 'V') check_state(round, "vfio_ap", "cex4queue");
      else check_state(round, "cex4queue", "vfio_ap");
      ++round;
      if (write(to_writer[1], "k", 1) != 1) break;
    }
    return 0;
  }));
  pids.push_back(spawn([&] {  // the writer
    close(to_checker[0]);
    close(to_writer[1]);
    char c;
    for (int round = 0; round < 2 * kRounds; ++round) {
      bool to_vfio = round % 2 == 0;
      const std::string& v = to_vfio ? reserve[(round / 2) % 3] : release[(round / 2) % 3];
      long r = write_attr(mask, v);
      if (r != static_cast<long>(v.size())) {
        report(s, "round %d: writing \"%s\" to apmask returned %ld", round, v.c_str(), r);
        break;
      }
      if (write(to_checker[1], to_vfio ? "V" : "C", 1) != 1 || read(to_writer[0], &c, 1) != 1) {
        report(s, "round %d: the checker went away", round);
        break;
      }
    }
    close(to_checker[1]);
    return 0;
  }));
  for (int fd : {to_checker[0], to_checker[1], to_writer[0], to_writer[1]}) close(fd);

  auto problems = wait_all(pids);
  expect_clean(sh, problems);
  EXPECT_EQ(sh->stable_checks.load(), 2u * kRounds * 4) << "not every round was checked";
  // Released at the end: everything back with cex4queue.
  EXPECT_EQ(readlink_str(path("devices/ap/card05/05.0004/driver")), "../../../../bus/ap/drivers/cex4queue");
  EXPECT_EQ(lstat_errno(path("bus/ap/drivers/vfio_ap/05.0004")), ENOENT);
}

INSTANTIATE_TEST_SUITE_P(Mounts, Coherence, ::testing::Values(Backend::Library, Backend::Binary), backend_name);

}  // namespace
