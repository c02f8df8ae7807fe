// libmdevsim-preload.so: makes statfs()/fstatfs() report SYSFS_MAGIC for
// files on an mdevsim mount. FUSE cannot choose its f_type, and libudev
// (systemd >= 249) refuses a /sys whose f_type is not sysfs's. `mdevsim exec`
// preloads it into the command it runs.
#include <dlfcn.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstring>

namespace {

// Is the device an mdevsim mount ("... major:minor ... - fuse.mdevsim ...")?
bool is_mdevsim_dev(dev_t dev) {
  FILE* f = std::fopen("/proc/self/mountinfo", "re");
  if (!f) return false;
  char line[4096];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f)) {
    unsigned maj = 0, min = 0;
    const char* sep = std::strstr(line, " - ");
    if (std::sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && sep && std::strncmp(sep + 3, "fuse.mdevsim ", 13) == 0)
      found = makedev(maj, min) == dev;
  }
  std::fclose(f);
  return found;
}

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void fix(struct statfs* buf, dev_t dev) {
  if (buf->f_type == FUSE_SUPER_MAGIC && is_mdevsim_dev(dev)) buf->f_type = SYSFS_MAGIC;
}

}  // namespace

extern "C" {

int fstatfs(int fd, struct statfs* buf) {
  static auto real = next<int (*)(int, struct statfs*)>("fstatfs");
  int r = real(fd, buf);
  struct stat st;
  if (r == 0 && buf->f_type == FUSE_SUPER_MAGIC && fstat(fd, &st) == 0) fix(buf, st.st_dev);
  return r;
}

int statfs(const char* path, struct statfs* buf) {
  static auto real = next<int (*)(const char*, struct statfs*)>("statfs");
  int r = real(path, buf);
  struct stat st;
  if (r == 0 && buf->f_type == FUSE_SUPER_MAGIC && stat(path, &st) == 0) fix(buf, st.st_dev);
  return r;
}

// On 64-bit glibc the *64 variants share the layout.
int fstatfs64(int fd, struct statfs64* buf) { return fstatfs(fd, reinterpret_cast<struct statfs*>(buf)); }
int statfs64(const char* path, struct statfs64* buf) { return statfs(path, reinterpret_cast<struct statfs*>(buf)); }

}
