#include "cli/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/control.h"
#include "cli/system.h"
#include "sysfs-fs/fuse/fuse_server.h"

namespace mdevsim {
namespace {

int fail(const std::string& msg) {
  fmt::print(stderr, "mdevsim: {}\n", msg);
  return 1;
}

std::optional<Host> load_host(const std::string& host_file) {
  if (host_file.empty()) return default_host();
  std::string error;
  auto host = load_host_file(host_file, error);
  if (!host) {
    fail(error);
    return std::nullopt;
  }
  return std::move(*host);
}

struct MountEntry {
  std::string target;  // unescaped
  std::string fstype;
};

// /proc/self/mountinfo: "id parent major:minor root mountpoint opts [tags] - fstype ...",
// with space, tab, newline and backslash in paths as octal escapes.
std::vector<MountEntry> mounts() {
  std::vector<MountEntry> out;
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    std::istringstream ls(line);
    std::string f[5], w;
    for (auto& x : f) ls >> x;
    while (ls >> w && w != "-") {
    }
    MountEntry e;
    ls >> e.fstype;
    for (size_t i = 0; i < f[4].size(); ++i) {
      if (f[4][i] == '\\' && i + 3 < f[4].size()) {
        e.target += static_cast<char>(std::stoi(f[4].substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        e.target += f[4][i];
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The mount point must be an existing directory that nothing is mounted on.
bool check_mountpoint(const std::string& path, std::string& real, std::string& error) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    error = fmt::format("mountpoint {}: {}", path, std::strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    error = fmt::format("mountpoint {}: not a directory", path);
    return false;
  }
  real = std::filesystem::canonical(path).string();
  for (auto& m : mounts()) {
    if (m.target == real) {
      error = fmt::format("mountpoint {}: busy, something is already mounted there", path);
      return false;
    }
  }
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    error = fmt::format("/dev/fuse: {}", std::strerror(errno));
    return false;
  }
  return true;
}

void write_all(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Everything a child writes to the pipe until it closes its end; closes `fd`.
std::string read_to_eof(int fd) {
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// Takes the mount point's pid lock, made with O_NOFOLLOW in the checked run
// directory. A server on its way out holds it until it has released
// everything: wait for it a while.
int lock_pidfile(const std::string& path, const std::string& mountpoint, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      error = fmt::format("pid file {}: {}", path, std::strerror(errno));
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      // Its last holder may have unlinked it between our open and lock.
      struct stat held{}, now{};
      if (fstat(fd, &held) == 0 && lstat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev && held.st_ino == now.st_ino)
        return fd;
    }
    close(fd);
    if (std::chrono::steady_clock::now() > deadline) {
      error = fmt::format("mountpoint {}: the simulator served there before has not exited (pid file {})", mountpoint, path);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Mounts, serves until unmounted, and releases everything it made.
int serve_mounted(Host host, const std::string& mountpoint, const std::string& sock, std::string& error,
                  int& ready_fd) {
  System sys(std::move(host));
  sysfs::FuseServer server(sys.tree(), sys.lock());
  if (!server.mount(mountpoint, error, true)) return 1;
  ControlServer control(sys, server);
  if (!control.listen(sock, error)) return 1;
  if (ready_fd >= 0) {
    write_all(ready_fd, "K");
    close(ready_fd);
    ready_fd = -1;
  }
  server.loop();
  server.unmount();
  return 0;
}

// Serves until unmounted. `ready_fd` gets "K" once the mount is up, or "E"
// and the error; -1 prints the error instead. The pid file stays locked
// until everything else is released (umount waits for that).
int serve(Host host, const std::string& mountpoint, const std::string& real, int ready_fd) {
  std::string error;
  auto pidfile = run_file(real, ".pid", error);
  auto sock = pidfile ? run_file(real, ".sock", error) : std::nullopt;
  int pfd = sock ? lock_pidfile(*pidfile, mountpoint, error) : -1;
  int rc = 1;
  if (pfd >= 0) {
    MadeFile pid;
    pid.record(*pidfile);
    if (ftruncate(pfd, 0) == 0) write_all(pfd, fmt::format("{}\n{}\n", getpid(), real));
    rc = serve_mounted(std::move(host), mountpoint, *sock, error, ready_fd);
    // The lock goes with the process (exit closes pfd after freeing its
    // memory): umount returns only once the server is gone.
    pid.remove();
  }
  if (rc != 0 && ready_fd >= 0) write_all(ready_fd, "E" + error);
  else if (rc != 0) fail(error);
  return rc;
}

// A user who is not root unmounts through the setuid fusermount3, as
// libfuse does. Its errors are turned back into an errno where they are
// the ones umount2() gives root; anything else is its own message.
int fusermount_u(const std::string& real, std::string& error) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return errno;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 2);
    execlp("fusermount3", "fusermount3", "-u", "--", real.c_str(), static_cast<char*>(nullptr));
    fmt::print(stderr, "fusermount3: {}", std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  std::string msg = read_to_eof(out[0]);
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (msg.find("Device or resource busy") != std::string::npos) return EBUSY;
  if (msg.find("not found in") != std::string::npos) return EINVAL;
  error = msg.empty() ? "fusermount3 -u failed" : msg;
  return EPERM;
}

}  // namespace

int cmd_mount(const std::string& host_file, const std::string& mountpoint, bool foreground) {
  auto host = load_host(host_file);
  if (!host) return 1;
  std::string real, error;
  if (!check_mountpoint(mountpoint, real, error)) return fail(error);
  if (foreground) return serve(std::move(*host), mountpoint, real, -1);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return fail(fmt::format("pipe: {}", std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) return fail(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    close(fds[0]);
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    _exit(serve(std::move(*host), mountpoint, real, fds[1]));
  }
  close(fds[1]);
  std::string msg = read_to_eof(fds[0]);
  if (msg == "K") return 0;
  waitpid(pid, nullptr, 0);
  if (!msg.empty() && msg[0] == 'E') return fail(msg.substr(1));
  return fail("the server exited before the mount was ready");
}

int cmd_umount(const std::string& mountpoint) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(mountpoint, ec).string();
  if (ec) return fail(fmt::format("mountpoint {}: {}", mountpoint, ec.message()));
  std::string error;
  auto pidfile = run_file(real, ".pid", error);
  if (!pidfile) return fail(error);
  int err = geteuid() == 0 ? (umount2(real.c_str(), 0) == 0 ? 0 : errno) : fusermount_u(real, error);
  if (err == EINVAL) return fail(fmt::format("{}: not mounted", mountpoint));
  if (err == EBUSY) return fail(fmt::format("{}: busy (a process is using it)", mountpoint));
  if (err) return fail(error.empty() ? fmt::format("umount {}: {}", mountpoint, std::strerror(err)) : error);
  // Wait until the server has left (it holds its pid file locked).
  int pfd = open(pidfile->c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0) return 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (flock(pfd, LOCK_SH | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      close(pfd);
      return fail(fmt::format("{}: unmounted, but the server did not exit", mountpoint));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  close(pfd);
  return 0;
}

namespace {

bool mount_tmpfs(const char* path, std::string& error) {
  if (mount("mdevsim", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
    error = fmt::format("mount tmpfs on {}: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

// A private, empty /etc/mdevctl.d with the directories mdevctl checks for.
// Without one on the host, /etc gets a private overlay so nothing is written.
// The configuration directories of mdevctl and driverctl are private and
// empty; where /etc lacks one, a private overlay on /etc makes room for it.
bool private_config_dirs(std::string& error) {
  const char* const dirs[] = {"/etc/mdevctl.d", "/etc/driverctl.d"};
  struct stat st{};
  if (std::any_of(std::begin(dirs), std::end(dirs), [&](const char* d) { return stat(d, &st) != 0; })) {
    if (!mount_tmpfs("/run", error)) return false;
    mkdir("/run/mdevsim-etc", 0755);
    mkdir("/run/mdevsim-etc/upper", 0755);
    mkdir("/run/mdevsim-etc/work", 0755);
    if (mount("overlay", "/etc", "overlay", 0, "lowerdir=/etc,upperdir=/run/mdevsim-etc/upper,workdir=/run/mdevsim-etc/work") != 0) {
      error = fmt::format("overlay on /etc (for private /etc/mdevctl.d and /etc/driverctl.d): {}", std::strerror(errno));
      return false;
    }
  }
  for (const char* d : dirs) {
    mkdir(d, 0755);
    if (!mount_tmpfs(d, error)) return false;
  }
  for (const char* d : {"/etc/mdevctl.d/scripts.d", "/etc/mdevctl.d/scripts.d/callouts", "/etc/mdevctl.d/scripts.d/notifiers"})
    mkdir(d, 0755);
  return true;
}

// libudev insists that /sys is a sysfs (f_type); the preload library next
// to the binary makes the mount report SYSFS_MAGIC.
void preload_sysfs_magic() {
  std::error_code ec;
  auto lib = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "libmdevsim-preload.so";
  if (ec || !std::filesystem::exists(lib)) return;
  const char* old = getenv("LD_PRELOAD");
  std::string v = lib.string() + (old && *old ? std::string(":") + old : "");
  setenv("LD_PRELOAD", v.c_str(), 1);
}

}  // namespace

int cmd_exec(const std::string& host_file, const std::vector<std::string>& command) {
  auto host = load_host(host_file);
  if (!host) return 1;
  if (command.empty()) return fail("exec: no command given");
  if (unshare(CLONE_NEWNS) != 0)
    return fail(fmt::format("exec: cannot create a mount namespace: {} (run as root)", std::strerror(errno)));
  std::string error;
  // Slave, not private: unmounts on the host still reach this namespace, so
  // it pins no other mount (another simulator's umount must not fail). Where
  // the host's mounts are private there is no propagation: other
  // simulators' mounts are detached here, so that they are not held either.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return fail(fmt::format("exec: cannot make / a slave mount: {}", std::strerror(errno)));
  for (auto& m : mounts())
    if (m.fstype == "fuse.mdevsim") umount2(m.target.c_str(), MNT_DETACH);
  if (!private_config_dirs(error)) return fail("exec: " + error);
  struct stat st{};
  if (stat("/run/lock", &st) == 0 && !mount_tmpfs("/run/lock", error)) return fail("exec: " + error);

  // Control files go to the private /run/lock, so `mdevsim dmesg /sys`
  // inside reaches this simulator and no other.
  setenv("MDEVSIM_RUN_DIR", "/run/lock/mdevsim", 1);
  // What the command's child needs is made now: a child forked from this
  // process once it has threads may only make async-signal-safe calls.
  preload_sysfs_magic();
  std::vector<char*> argv;
  for (auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string exec_failed = fmt::format("mdevsim: exec {}: ", command[0]);
  System sys(std::move(*host));
  sysfs::FuseServer server(sys.tree(), sys.lock());
  if (!server.mount("/sys", error, false)) return fail("exec: " + error);
  ControlServer control(sys, server);
  auto sock = run_file("/sys", ".sock", error);
  if (!sock || !control.listen(*sock, error)) return fail("exec: " + error);
  std::thread loop([&] { server.loop(); });

  // Like system(): the command gets the terminal's signals, we wait.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], argv.data());
    const char* why = std::strerror(errno);
    (void)!write(2, exec_failed.data(), exec_failed.size());
    (void)!write(2, why, std::strlen(why));
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  server.exit();
  server.unmount();
  loop.join();
  if (pid < 0) return fail(fmt::format("exec: fork: {}", std::strerror(errno)));
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace mdevsim
