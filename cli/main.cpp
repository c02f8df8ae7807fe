// mdevsim: mount a simulated s390 /sys, run commands against it.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <map>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/ap_client.h"
#include "cli/control.h"
#include "cli/css_view.h"
#include "cli/guest_ccw.h"
#include "cli/guest_text.h"
#include "cli/matrix_view.h"
#include "cli/migration_check.h"
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

  auto* guest = app.add_subcommand("guest", "Simulated KVM guests with vfio-ap and vfio-ccw devices, as QEMU runs them");
  guest->require_subcommand(1);
  std::string sysdir = "/sys", name;
  std::vector<std::string> mdevs, ccws, devices;
  bool no_ap = false, unplug = false;
  auto* gstart = guest->add_subcommand("start", "Start guest NAME as qemu-system-s390x would with these devices, in order");
  gstart->add_option("NAME", name)->required();
  auto* o_mdev = gstart->add_option("--mdev,--sysfsdev", mdevs,
                                    "A vfio-ap device: the mdev's UUID or /sys/devices/vfio_ap/matrix/UUID");
  auto* o_ccw = gstart->add_option("--ccw", ccws,
                                   "A vfio-ccw device: the mdev's UUID (or its /sys path), then QEMU's properties such "
                                   "as ,devno=fe.0.1234");
  auto* o_device = gstart->add_option("--device", devices,
                                      "A -device argument as QEMU takes it: vfio-ap,sysfsdev=PATH; "
                                      "vfio-ccw,devno=C.S.DDDD,sysfsdev=PATH; virtio-net-ccw[,devno=C.S.DDDD] "
                                      "and the other virtio-*-ccw models (devices that take subchannels)");
  gstart->add_flag("--no-ap", no_ap, "The CPU model lacks the AP facility (-cpu ...,ap=off)");
  gstart->add_flag("--unplug-on-request", unplug,
                   "Unplug the vfio-ap device when the kernel asks for it (an mdev remove), as current QEMU does; "
                   "without it, the remove waits until the guest stops");
  auto* gstop = guest->add_subcommand("stop", "Stop guest NAME: its vfio-ap device is closed");
  gstop->add_option("NAME", name)->required();
  auto* gshow = guest->add_subcommand("show", "Show the CRYCB masks of guest NAME and the APQNs it can use");
  gshow->add_option("NAME", name)->required();
  auto* glist = guest->add_subcommand("list", "List the running guests and their mdevs");
  std::string to;
  auto* gmigrate = guest->add_subcommand(
      "migrate", "Live-migrate guest NAME and its vfio-ap device to the simulator listening at HOST:PORT (as virsh migrate "
                 "--live); that host needs an mdev with the same UUID");
  gmigrate->add_option("NAME", name)->required();
  gmigrate->add_option("--to", to, "HOST:PORT of the destination (mdevsim migration listen)")->required();
  auto* glog = guest->add_subcommand("log", "Print guest NAME's QEMU log (kept after the guest has gone)");
  glog->add_option("NAME", name)->required();
  std::vector<std::string> ccw_args;
  auto* gccw = guest->add_subcommand(
      "ccw", "Act as guest NAME's channel subsystem and Linux on a vfio-ccw device: ssch DEVNO CCW... (each "
             "'CMD FLAGS COUNT [ADDR] [=HEX]' in hex, e.g. 'E4 20 0028'; fmt0, lpm=HH), tsch|stsch|hsch|csch DEVNO, "
             "msch DEVNO enable|disable, stcrw, read ADDR LEN, write ADDR HEX, online DEVNO [path-message-once], "
             "dmesg, dasd-read DEVNO BLOCK [LENGTH], dasd-write DEVNO BLOCK HEX, ipl DEVNO");
  gccw->add_option("NAME", name)->required();
  gccw->add_option("ARGS", ccw_args, "The verb and its arguments")->required();
  for (auto* sub : {gstart, gstop, gshow, glist, gmigrate, glog, gccw})
    sub->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");

  auto* migration = app.add_subcommand("migration", "Live migration between simulators");
  migration->require_subcommand(1);
  std::string listen_addr;
  auto* mlisten = migration->add_subcommand("listen", "Accept guests migrated to this simulator on HOST:PORT (port 0: any)");
  mlisten->add_option("ADDRESS", listen_addr, "HOST:PORT, such as 0.0.0.0:49152")->required();
  mlisten->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");
  std::string from, mdev_uuid, check_guest;
  std::vector<std::string> destinations;
  auto* mcheck = migration->add_subcommand(
      "check", "Would guest NAME's AP configuration (or an mdev's) migrate from one snapshot's host to another's? Each rule "
               "of the vfio-ap documentation with its verdict, the outcome, and the kernel and virsh lines it would give; "
               "exit 0 if it migrates, 1 if not");
  auto* mrank = migration->add_subcommand(
      "rank", "Rank the hosts of several snapshots as destinations for a guest: migrates, migrates with warnings (CCA "
              "master keys), needs set-up, incompatible");
  for (auto* sub : {mcheck, mrank}) {
    sub->add_option("--from", from, "The source host's snapshot (mdevsim snapshot)")->required();
    auto* g = sub->add_option("--guest", check_guest, "The guest to move");
    auto* u = sub->add_option("--mdev", mdev_uuid, "Or: the mdev whose guest view would move (no guest needed)");
    g->excludes(u);
    u->excludes(g);
  }
  mcheck->add_option("--to", to, "The destination host's snapshot")->required();
  mrank->add_option("DESTINATIONS", destinations, "Snapshots of the candidate hosts")->required();

  auto* snapshot = app.add_subcommand("snapshot", "Print the simulated host's AP configuration as JSON for `migration "
                                                  "check` and `migration rank`");
  snapshot->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");
  snapshot->add_option("--name", name, "The host's name in reports (default: the host name)");

  std::vector<std::string> vfio_args;
  auto* vfio = app.add_subcommand("vfio", "What QEMU does with a VFIO device, step by step. vfio_ap (migration): UUID "
                                          "migration|get_state|set_state STATE|data_size|reset, read FD LENGTH [pread], "
                                          "write FD HEX [pwrite], close FD. vfio_ccw: UUID get_info, get_region_info N, "
                                          "get_irq_info N, read N OFFSET LENGTH, write N OFFSET HEX, set_irqs N "
                                          "none|bool:B|eventfd:FD, eventfd N, reset, migration");
  vfio->add_option("ARGS", vfio_args, "The request")->required();
  vfio->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");

  auto* ccwg = app.add_subcommand("ccw", "The machine's subchannels and the devices behind them");
  ccwg->require_subcommand(1);
  std::string schid;
  std::vector<std::string> ccw_settings;
  auto* ccw_fault = ccwg->add_subcommand(
      "fault", "Inject faults into a host subchannel (0.0.0313): notoper=0|1, interrupt=normal|hold|lose, busy=N, "
               "unit_check=HEX (sense bytes), media_error=TRACK|none, release, clear");
  ccw_fault->add_option("SUBCHANNEL", schid, "The host's subchannel, e.g. 0.0.0313")->required();
  ccw_fault->add_option("SETTINGS", ccw_settings, "key=value ...");
  ccw_fault->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");

  auto* matrix = app.add_subcommand("matrix", "Draw the host's adapter x domain matrix: host, vfio_ap, mdevs, guests");
  std::string svg, color = "auto";
  auto* css = app.add_subcommand("css", "Draw the host's channel subsystem: subchannels, devices, drivers, channel paths, "
                                         "vfio_ccw mdevs and their guests");
  for (auto* sub : {matrix, css}) {
    sub->add_option("MOUNTPOINT", mountpoint, "Where the simulator is mounted (/sys inside exec)")->required();
    sub->add_option("--svg", svg, "Write an SVG picture to this file instead");
    sub->add_option("--color", color, "auto (when stdout is a terminal), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
  }

  // The crypto engine: AP instructions as the host or a guest, and faults.
  auto* apg = app.add_subcommand("ap", "Execute AP instructions (PQAP, NQAP, DQAP) on the simulated adapters, as the host "
                                       "or as a guest; inject faults");
  apg->require_subcommand(1);
  std::string apqn, guest_name, hexmsg, key_file, input, nib;
  uint64_t psmid = 1, length = 4096, wait_ms = 0, cat = 14, bytes = 32;
  unsigned requests = 60;
  bool special = false, off = false, check = false, crt = false, me = false;
  std::vector<std::string> settings;
  auto ap_sub = [&](const char* verb, const char* help, bool needs_apqn = true) {
    auto* sub = apg->add_subcommand(verb, help);
    if (needs_apqn) sub->add_option("APQN", apqn, "The queue, such as 05.0004")->required();
    sub->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");
    sub->add_option("--guest", guest_name, "Execute in this running guest (its CRYCB), not as the host");
    return sub;
  };
  ap_sub("tapq", "PQAP TAPQ: status word and hardware info");
  ap_sub("rapq", "PQAP RAPQ: reset the queue");
  ap_sub("zapq", "PQAP ZAPQ: reset and zeroize the queue");
  auto* aqic = ap_sub("aqic", "PQAP AQIC: enable interruptions (--nib) or disable them (--off)");
  aqic->add_option("--nib", nib, "Notification-indicator byte address to enable with");
  aqic->add_flag("--off", off, "Disable interruptions");
  auto* qci = ap_sub("qci", "PQAP QCI: the 128-byte configuration block in hex", false);
  auto* qact = ap_sub("qact", "PQAP QACT: the compatible type, at most --cat");
  qact->add_option("--cat", cat, "The newest type asked for (default 14, CEX8)");
  auto* nqap = ap_sub("nqap", "NQAP: enqueue a request message");
  nqap->add_option("--psmid", psmid, "Program-supplied message id (default 1)");
  nqap->add_option("--hex", hexmsg, "The message in hex")->required();
  nqap->add_flag("--special", special, "Set the special-command bit");
  auto* dqap = ap_sub("dqap", "DQAP: dequeue (part of) a reply");
  dqap->add_option("--length", length, "Buffer length (default 4096); a longer reply comes in parts");
  dqap->add_option("--wait", wait_ms, "Wait up to this many ms for a reply (as for an interrupt)");
  auto* rsa = ap_sub("rsa", "RSA through a type 50 request on an accelerator queue; prints the result in hex");
  rsa->add_option("--key", key_file, "RSA private key (PEM)")->required();
  rsa->add_option("--input", input, "The number, in hex, below the modulus")->required();
  rsa->add_flag("--crt", crt, "The private operation by CRT (type 50 CRB)");
  rsa->add_flag("--me", me, "The private operation as x^d mod n (type 50 MEB); default: the public x^e mod n");
  rsa->add_flag("--check", check, "Also compute it with OpenSSL and compare");
  auto* rng = ap_sub("rng", "CCA random number generation on a CCA coprocessor queue; prints the bytes in hex");
  rng->add_option("--bytes", bytes, "How many (default 32)");
  auto* selftest = ap_sub("selftest", "A mixed workload on every usable queue, every result checked against OpenSSL", false);
  selftest->add_option("--requests", requests, "How many requests (default 60)");
  auto* fault = apg->add_subcommand("fault", "Inject faults into a card (config=0|1 chkstop=0|1) or a queue (lost= deconfigured= "
                                             "checkstopped= busy= hold_reset= hold_irq= fail= stall= 0|1, reset_polls=N, clear)");
  fault->add_option("DEVICE", apqn, "cardXX or XX.YYYY")->required();
  fault->add_option("SETTINGS", settings, "key=value ...");
  fault->add_option("--sys", sysdir, "Where the simulator is mounted (default /sys, as inside exec)");

  CLI11_PARSE(app, argc, argv);
  if (apg->parsed()) {
    std::string who = guest_name.empty() ? "" : " @" + guest_name;
    if (fault->parsed()) {
      std::string req = "ap fault " + apqn;
      for (auto& kv : settings) req += " " + kv;
      return mdevsim::control_request(sysdir, req);
    }
    if (rsa->parsed()) return mdevsim::ap_rsa(sysdir, guest_name, apqn, key_file, crt ? "crt" : me ? "me" : "public", input, check);
    if (rng->parsed()) return mdevsim::ap_rng(sysdir, guest_name, apqn, bytes);
    if (selftest->parsed()) return mdevsim::ap_selftest(sysdir, guest_name, requests);
    std::string req = "ap " + std::string(apg->get_subcommands().front()->get_name()) + who;
    if (!qci->parsed()) req += " " + apqn;
    if (aqic->parsed()) {
      if (off == !nib.empty()) {
        fprintf(stderr, "mdevsim: ap aqic: give either --nib ADDRESS or --off\n");
        return 1;
      }
      req += off ? " off" : " on " + nib;
    }
    if (qact->parsed()) req += " " + std::to_string(cat);
    if (nqap->parsed()) req += fmt::format(" {} {}{}", psmid, hexmsg, special ? " special" : "");
    if (dqap->parsed()) req += fmt::format(" {} {}", length, wait_ms);
    return mdevsim::control_request(sysdir, req);
  }
  if (matrix->parsed() || css->parsed()) {
    std::string snapshot;
    if (int rc = mdevsim::control_query(mountpoint, matrix->parsed() ? "matrix" : "css", snapshot)) return rc;
    bool tty = isatty(STDOUT_FILENO);
    auto style = !svg.empty() ? mdevsim::MatrixStyle::Svg
                 : (color == "always" || (color == "auto" && tty)) ? mdevsim::MatrixStyle::Color
                                                                   : mdevsim::MatrixStyle::Plain;
    std::string picture;
    try {
      picture = matrix->parsed() ? mdevsim::render_matrix(snapshot, style) : mdevsim::render_css(snapshot, style);
    } catch (const std::invalid_argument& e) {
      fprintf(stderr, "mdevsim: %s\n", e.what());
      return 1;
    }
    if (svg.empty()) return fputs(picture.c_str(), stdout) < 0;
    FILE* f = fopen(svg.c_str(), "w");
    if (!f || fputs(picture.c_str(), f) < 0 || fclose(f) != 0) {
      fprintf(stderr, "mdevsim: %s: %s\n", svg.c_str(), strerror(errno));
      return 1;
    }
    return 0;
  }
  if (gstart->parsed()) {
    // The device options in the order given.
    std::vector<mdevsim::GuestDeviceOption> opts;
    std::map<const CLI::Option*, size_t> next;
    for (const CLI::Option* o : gstart->parse_order()) {
      if (o == o_mdev) opts.push_back({mdevsim::GuestDeviceOption::Mdev, mdevs[next[o]++]});
      if (o == o_ccw) opts.push_back({mdevsim::GuestDeviceOption::Ccw, ccws[next[o]++]});
      if (o == o_device) opts.push_back({mdevsim::GuestDeviceOption::Device, devices[next[o]++]});
    }
    std::string req, error;
    if (!mdevsim::guest_start_request(name, opts, no_ap, unplug, sysdir, req, error)) {
      fprintf(stderr, "mdevsim: guest start: %s\n", error.c_str());
      return 2;
    }
    return mdevsim::control_request(sysdir, req);
  }
  if (gstop->parsed()) return mdevsim::control_request(sysdir, "guest stop " + name);
  if (gshow->parsed()) return mdevsim::control_request(sysdir, "guest show " + name);
  if (glist->parsed()) return mdevsim::control_request(sysdir, "guest list");
  if (gmigrate->parsed()) return mdevsim::control_request(sysdir, "guest migrate " + name + " " + to);
  if (glog->parsed()) return mdevsim::control_request(sysdir, "guest log " + name);
  if (gccw->parsed()) {
    std::string req = "guest ccw " + name;
    for (auto& a : ccw_args) req += " " + mdevsim::ccw_word(a);
    return mdevsim::control_request(sysdir, req);
  }
  if (mlisten->parsed()) return mdevsim::control_request(sysdir, "migration listen " + listen_addr);
  if ((mcheck->parsed() || mrank->parsed()) && check_guest.empty() == mdev_uuid.empty()) {
    fprintf(stderr, "mdevsim: migration %s: give --guest NAME or --mdev UUID\n", mcheck->parsed() ? "check" : "rank");
    return 2;
  }
  if (mcheck->parsed()) return mdevsim::cmd_migration_check(from, check_guest, mdev_uuid, to);
  if (mrank->parsed()) return mdevsim::cmd_migration_rank(from, check_guest, mdev_uuid, destinations);
  if (snapshot->parsed()) {
    if (name.empty()) {
      char host[256] = "";
      gethostname(host, sizeof host - 1);
      name = host;
    }
    return mdevsim::control_request(sysdir, "snapshot " + name);
  }
  if (ccw_fault->parsed()) {
    std::string req = "ccw fault " + schid;
    for (auto& a : ccw_settings) req += " " + a;
    return mdevsim::control_request(sysdir, req);
  }
  if (vfio->parsed()) {
    std::string req = "vfio";
    for (auto& a : vfio_args) req += " " + a;
    return mdevsim::control_request(sysdir, req);
  }
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
