#include "cli/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

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

std::optional<ap::HostConfig> load_host(const std::string& host_file) {
  if (host_file.empty()) return ap::default_host();
  std::string error;
  auto host = ap::load_host_file(host_file, error);
  if (!host) {
    fail(error);
    return std::nullopt;
  }
  return std::move(*host);
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
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) {
    // "id parent major:minor root mountpoint ..."
    std::istringstream ls(line);
    std::string f[5];
    for (auto& x : f) ls >> x;
    if (f[4] == real) {
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

// Serves until unmounted. `ready` gets "K" once the mount is up, or "E" and
// the error.
int serve(ap::HostConfig host, const std::string& mountpoint, const std::string& real, int ready_fd) {
  System sys(std::move(host));
  sysfs::FuseServer server(sys.tree(), sys.lock());
  std::string error;
  if (!server.mount(mountpoint, error, true)) {
    if (ready_fd >= 0) write_all(ready_fd, "E" + error);
    else fail(error);
    return 1;
  }
  ControlServer control(sys, server);
  if (!control.listen(run_file(real, ".sock"), error)) {
    if (ready_fd >= 0) write_all(ready_fd, "E" + error);
    else fail(error);
    return 1;
  }
  // The pid file is locked while the server runs (umount waits for that).
  std::string pidfile = run_file(real, ".pid");
  int pfd = open(pidfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pfd >= 0 && flock(pfd, LOCK_EX | LOCK_NB) == 0) {
    ftruncate(pfd, 0);
    write_all(pfd, fmt::format("{}\n{}\n", getpid(), real));
  }
  if (ready_fd >= 0) {
    write_all(ready_fd, "K");
    close(ready_fd);
  }
  server.loop();
  server.unmount();
  if (pfd >= 0) {
    unlink(pidfile.c_str());
    close(pfd);
  }
  return 0;
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
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  if (msg == "K") return 0;
  waitpid(pid, nullptr, 0);
  if (!msg.empty() && msg[0] == 'E') return fail(msg.substr(1));
  return fail("the server exited before the mount was ready");
}

int cmd_umount(const std::string& mountpoint) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(mountpoint, ec).string();
  if (ec) return fail(fmt::format("mountpoint {}: {}", mountpoint, ec.message()));
  if (umount2(real.c_str(), 0) != 0) {
    if (errno == EINVAL) return fail(fmt::format("{}: not mounted", mountpoint));
    if (errno == EBUSY) return fail(fmt::format("{}: busy (a process is using it)", mountpoint));
    return fail(fmt::format("umount {}: {}", mountpoint, std::strerror(errno)));
  }
  // Wait until the server has left (it holds its pid file locked).
  int pfd = open(run_file(real, ".pid").c_str(), O_RDONLY | O_CLOEXEC);
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
bool private_mdevctl_dir(std::string& error) {
  struct stat st{};
  if (stat("/etc/mdevctl.d", &st) != 0) {
    if (!mount_tmpfs("/run", error)) return false;
    mkdir("/run/mdevsim-etc", 0755);
    mkdir("/run/mdevsim-etc/upper", 0755);
    mkdir("/run/mdevsim-etc/work", 0755);
    if (mount("overlay", "/etc", "overlay", 0, "lowerdir=/etc,upperdir=/run/mdevsim-etc/upper,workdir=/run/mdevsim-etc/work") != 0) {
      error = fmt::format("overlay on /etc (for a private /etc/mdevctl.d): {}", std::strerror(errno));
      return false;
    }
    mkdir("/etc/mdevctl.d", 0755);
  }
  if (!mount_tmpfs("/etc/mdevctl.d", error)) return false;
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
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail(fmt::format("exec: cannot make / private: {}", std::strerror(errno)));
  if (!private_mdevctl_dir(error)) return fail("exec: " + error);
  struct stat st{};
  if (stat("/run/lock", &st) == 0 && !mount_tmpfs("/run/lock", error)) return fail("exec: " + error);

  // Control files go to the private /run/lock, so `mdevsim dmesg /sys`
  // inside reaches this simulator and no other.
  setenv("MDEVSIM_RUN_DIR", "/run/lock/mdevsim", 1);
  System sys(std::move(*host));
  sysfs::FuseServer server(sys.tree(), sys.lock());
  if (!server.mount("/sys", error, false)) return fail("exec: " + error);
  ControlServer control(sys, server);
  if (!control.listen(run_file("/sys", ".sock"), error)) return fail("exec: " + error);
  std::thread loop([&] { server.loop(); });

  // Like system(): the command gets the terminal's signals, we wait.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    preload_sysfs_magic();
    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    fmt::print(stderr, "mdevsim: exec {}: {}\n", command[0], std::strerror(errno));
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
