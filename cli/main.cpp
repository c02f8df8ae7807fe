// mdevsim: mount a simulated s390 /sys, run commands against it.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/control.h"
#include "cli/matrix_view.h"
#include "cli/mount.h"

int main(int argc, char** argv) {
  CLI::App app{"mdevsim: a simulated s390 AP bus and vfio_ap/vfio_ccw sysfs, served over FUSE"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mdevsim 0.1.0");

  std::string host_file, mountpoint;
  bool foreground = false;
  std::vector<std::string> command;

  auto* mount = app.add_subcommand("mount", "Mount a simulated /sys at MOUNTPOINT; returns once it is ready");
  mount->add_option("--host", host_file, "Host file (JSON); default: the upstream documentation's LPAR");
  mount->add_flag("--foreground,-f", foreground, "Stay attached instead of serving in the background");
  mount->add_option("MOUNTPOINT", mountpoint, "An existing directory")->required();

  auto* umount = app.add_subcommand("umount", "Unmount a simulator and wait for it to exit");
  umount->add_option("MOUNTPOINT", mountpoint)->required();

  auto* exec = app.add_subcommand("exec", "Run COMMAND in a private mount namespace with the simulator on /sys");
  exec->add_option("--host", host_file, "Host file (JSON); default: the upstream documentation's LPAR");
  exec->prefix_command();  // everything after the options (and an optional --) is COMMAND
  exec->footer("Usage: mdevsim exec [--host FILE] -- COMMAND [ARGS...]");

  // Everything after "--" is the command of `exec`, untouched by the parser.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      command.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  auto* dmesg = app.add_subcommand("dmesg", "Print the simulated kernel's log, as dmesg does");
  dmesg->add_option("MOUNTPOINT", mountpoint, "Where the simulator is mounted (/sys inside exec)")->required();
  auto* uevents = app.add_subcommand("uevents", "Print the uevents sent so far, as `udevadm monitor --kernel --property`");
  uevents->add_option("MOUNTPOINT", mountpoint, "Where the simulator is mounted (/sys inside exec)")->required();

  auto* guest = app.add_subcommand("guest", "Simulated KVM guests with a vfio-ap device (as QEMU -device vfio-ap)");
  guest->require_subcommand(1);
  std::string sysdir = "/sys", name;
  std::vector<std::string> mdevs;
  bool no_ap = false, unplug = false;
  auto* gstart = guest->add_subcommand("start", "Start guest NAME with the vfio-ap device of an mdev");
  gstart->add_option("NAME", name)->required();
  gstart->add_option("--mdev,--sysfsdev", mdevs, "The mdev: its UUID or /sys/devices/vfio_ap/matrix/UUID")->required();
  gstart->add_flag("--no-ap", no_ap, "The CPU model lacks the AP facility (-cpu ...,ap=off)");
  gstart->add_flag("--unplug-on-request", unplug,
                   "Unplug the vfio-ap device when the kernel asks for it (an mdev remove), as current QEMU does; "
                   "without it, the remove waits until the guest stops");
  auto* gstop = guest->add_subcommand("stop", "Stop guest NAME: its vfio-ap device is closed");
  gstop->add_option("NAME", name)->required();
  auto* gshow = guest->add_subcommand("show", "Show the CRYCB masks of guest NAME and the APQNs it can use");
  gshow->add_option("NAME", name)->required();
  auto* glist = guest->add_subcommand("list", "List the running guests and their mdevs");
  for (auto* sub : {gstart, gstop, gshow, glist})
    sub->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");

  auto* matrix = app.add_subcommand("matrix", "Draw the host's adapter x domain matrix: host, vfio_ap, mdevs, guests");
  std::string svg, color = "auto";
  matrix->add_option("MOUNTPOINT", mountpoint, "Where the simulator is mounted (/sys inside exec)")->required();
  matrix->add_option("--svg", svg, "Write an SVG picture to this file instead");
  matrix->add_option("--color", color, "auto (when stdout is a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  CLI11_PARSE(app, argc, argv);
  if (matrix->parsed()) {
    std::string snapshot;
    if (int rc = mdevsim::control_query(mountpoint, "matrix", snapshot)) return rc;
    bool tty = isatty(STDOUT_FILENO);
    auto style = !svg.empty() ? mdevsim::MatrixStyle::Svg
                 : (color == "always" || (color == "auto" && tty)) ? mdevsim::MatrixStyle::Color
                                                                   : mdevsim::MatrixStyle::Plain;
    std::string picture = mdevsim::render_matrix(snapshot, style);
    if (svg.empty()) return fputs(picture.c_str(), stdout) < 0;
    FILE* f = fopen(svg.c_str(), "w");
    if (!f || fputs(picture.c_str(), f) < 0 || fclose(f) != 0) {
      fprintf(stderr, "mdevsim: %s: %s\n", svg.c_str(), strerror(errno));
      return 1;
    }
    return 0;
  }
  if (gstart->parsed()) {
    std::string req = "guest start " + name;
    for (auto& m : mdevs) req += " " + m.substr(m.find_last_of('/') + 1);
    if (no_ap) req += " ap=off";
    if (unplug) req += " unplug-on-request";
    return mdevsim::control_request(sysdir, req);
  }
  if (gstop->parsed()) return mdevsim::control_request(sysdir, "guest stop " + name);
  if (gshow->parsed()) return mdevsim::control_request(sysdir, "guest show " + name);
  if (glist->parsed()) return mdevsim::control_request(sysdir, "guest list");
  if (dmesg->parsed()) return mdevsim::control_request(mountpoint, "dmesg");
  if (uevents->parsed()) return mdevsim::control_request(mountpoint, "uevents");
  if (mount->parsed()) return mdevsim::cmd_mount(host_file, mountpoint, foreground);
  if (umount->parsed()) return mdevsim::cmd_umount(mountpoint);
  if (exec->parsed()) {
    if (command.empty()) command = exec->remaining();
    return mdevsim::cmd_exec(host_file, command);
  }
  return 1;
}
