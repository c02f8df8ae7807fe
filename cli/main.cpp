// mdevsim: mount a simulated s390 /sys, run commands against it.
#include <CLI/CLI.hpp>

#include "cli/control.h"
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

  CLI11_PARSE(app, argc, argv);
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
