// Golden transcripts: one text format of sysfs operations and their exact
// results, run in-process (through sysfs::Tree) and through a real mount.
//
//   # comment
//   host full-256x256                       (optional, first: testdata/hosts/<name>.json)
//   write bus/ap/apmask "-5,-6\n" -> ok      (ok: the whole buffer was taken)
//   write bus/ap/apmask "x y"     -> EINVAL
//   read  bus/ap/bindings         -> "8/8 (complete)\n"
//   read  bus/ap/drivers/vfio_ap/bind -> EACCES
//   readlink bus/ap/devices/05.0004/driver -> "../../../../bus/ap/drivers/vfio_ap"
//   ls    bus/ap/drivers/vfio_ap  -> "05.0004 05.0047 bind module uevent unbind"
//   missing bus/ap/devices/07.0004
//   dmesg -> "text of the last kernel log line"     dmesg 3 -> "the last three\n...\n..."
//   uevent -> "ACTION=change\nDEVPATH=/devices/ap\n..."   (the last uevent)
//   guest start g1 <uuid> [ap=off] -> ok     (or -> "QEMU's error message"; the
//       words as `mdevsim guest start` sends them: a UUID for vfio-ap, or
//       -device arguments such as vfio-ccw,devno=fe.0.1234,sysfsdev=PATH)
//   guest show g1 -> "guest g1\n..."         guest stop g1 -> ok
//   ap tapq 05.0004 -> "cc=0 rc=0x00 ..."    (a `mdevsim ap` request and its answer)
//   vfio UUID get_state -> "state=RUNNING"   (a `mdevsim vfio` request and its answer)
//
// Strings use C escapes (\n \t \\ \" \xNN).
#pragma once

#include <string>
#include <vector>

namespace golden {

struct Step {
  int line;
  std::string op;      // write read readlink ls missing dmesg uevent guest ap vfio
  std::string path;
  std::string data;    // for write; the arguments of guest and ap
  std::string expect;  // "ok", an errno name, or the expected text
  bool expect_text;    // expect is a quoted string
};

struct Transcript {
  std::string name;
  std::string host;  // empty: the default host
  std::vector<Step> steps;
};

// Throws std::runtime_error naming the file and line on a syntax error.
Transcript parse_transcript(const std::string& file);
std::string errno_name(int err);
// Shows control characters the way the transcript writes them.
std::string quote(const std::string& s);

}  // namespace golden
