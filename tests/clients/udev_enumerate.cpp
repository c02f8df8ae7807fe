// udev_enumerate: lists the devices of the "ap" subsystem the way a libudev
// client (libvirt's node device driver, for one) finds them.
//
//   udev_enumerate [PROPERTY...]
//
// prints one line per device, sorted:
//   <sysname> <subsystem> <devtype> <driver> [PROPERTY=<value>...]
// with "-" for anything libudev reports as NULL.
//
// Note: libudev (systemd 252 here) silently skips syspaths that are not on a
// sysfs file system (statfs magic). `mdevsim exec` preloads a library that
// makes its FUSE mount report sysfs's magic; elsewhere run this with
// SYSTEMD_DEVICE_VERIFY_SYSFS=0 in the environment.
#include <libudev.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string or_dash(const char* s) { return s ? s : "-"; }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> props(argv + 1, argv + argc);
  for (auto& p : props) {
    if (p == "-h" || p == "--help") {
      std::printf("usage: %s [PROPERTY...]\n", argv[0]);
      return 0;
    }
  }

  udev* u = udev_new();
  if (!u) {
    std::fprintf(stderr, "udev_enumerate: udev_new failed\n");
    return 1;
  }
  udev_enumerate* e = udev_enumerate_new(u);
  if (!e) {
    std::fprintf(stderr, "udev_enumerate: udev_enumerate_new failed\n");
    udev_unref(u);
    return 1;
  }
  int rc = 0;
  std::vector<std::string> lines;
  int r = udev_enumerate_add_match_subsystem(e, "ap");
  if (r < 0) {
    std::fprintf(stderr, "udev_enumerate: add_match_subsystem: %s\n", std::strerror(-r));
    rc = 1;
  }
  if (rc == 0) {
    r = udev_enumerate_scan_devices(e);
    if (r < 0) {
      std::fprintf(stderr, "udev_enumerate: scan_devices: %s\n", std::strerror(-r));
      rc = 1;
    }
  }
  if (rc == 0) {
    udev_list_entry* entry;
    udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
      const char* syspath = udev_list_entry_get_name(entry);
      errno = 0;
      udev_device* d = udev_device_new_from_syspath(u, syspath);
      if (!d) {
        std::fprintf(stderr, "udev_enumerate: %s: %s\n", syspath, std::strerror(errno ? errno : ENODEV));
        rc = 1;
        continue;
      }
      std::string line = or_dash(udev_device_get_sysname(d)) + " " + or_dash(udev_device_get_subsystem(d)) + " " +
                         or_dash(udev_device_get_devtype(d)) + " " + or_dash(udev_device_get_driver(d));
      for (auto& p : props) line += " " + p + "=" + or_dash(udev_device_get_property_value(d, p.c_str()));
      lines.push_back(std::move(line));
      udev_device_unref(d);
    }
  }
  if (rc == 0 && lines.empty() && !std::getenv("SYSTEMD_DEVICE_VERIFY_SYSFS"))
    std::fprintf(stderr,
                 "udev_enumerate: no devices found; if /sys is a FUSE simulator, run this under `mdevsim exec` "
                 "(which preloads libmdevsim-preload.so) or with SYSTEMD_DEVICE_VERIFY_SYSFS=0\n");
  std::sort(lines.begin(), lines.end());
  for (auto& l : lines) std::printf("%s\n", l.c_str());
  udev_enumerate_unref(e);
  udev_unref(u);
  return rc;
}
