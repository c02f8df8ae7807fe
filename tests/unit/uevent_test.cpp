// Uevents: kobject_synth_uevent() parsing of writes to `uevent` files and
// the variable order of kobject_uevent_env() (kernel-facts §1).
#include "sysfs-fs/tree/uevent.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "apbus/host_config.h"
#include "cli/system.h"

namespace {

using namespace std::string_literals;
using Env = std::vector<std::string>;

const std::string kUuid = "6dfd3ec5-e8b3-4e18-a6fe-57bc9eceb920";

TEST(SynthUevent, ValidInput) {
  struct Case {
    std::string in;
    std::string action;
    Env env;
  };
  const Case cases[] = {
      {"add", "add", {"SYNTH_UUID=0"}},
      {"remove", "remove", {"SYNTH_UUID=0"}},
      {"change", "change", {"SYNTH_UUID=0"}},
      {"move", "move", {"SYNTH_UUID=0"}},
      {"online", "online", {"SYNTH_UUID=0"}},
      {"offline", "offline", {"SYNTH_UUID=0"}},
      {"bind", "bind", {"SYNTH_UUID=0"}},
      {"unbind", "unbind", {"SYNTH_UUID=0"}},
      {"change\n", "change", {"SYNTH_UUID=0"}},  // echo change > uevent
      {"add\0"s, "add", {"SYNTH_UUID=0"}},        // trailing NUL, as with printf '%s\0'
      {"add " + kUuid, "add", {"SYNTH_UUID=" + kUuid}},
      {"add " + kUuid + "\n", "add", {"SYNTH_UUID=" + kUuid}},
      {"change 6DFD3EC5-E8B3-4E18-A6FE-57BC9ECEB920", "change",
       {"SYNTH_UUID=6DFD3EC5-E8B3-4E18-A6FE-57BC9ECEB920"}},  // as written
      {"add " + kUuid + " A=b C=d", "add", {"SYNTH_UUID=" + kUuid, "SYNTH_ARG_A=b", "SYNTH_ARG_C=d"}},
      {"add " + kUuid + " A=b C=d\n", "add", {"SYNTH_UUID=" + kUuid, "SYNTH_ARG_A=b", "SYNTH_ARG_C=d"}},
      {"remove " + kUuid + " Key1=Val2", "remove", {"SYNTH_UUID=" + kUuid, "SYNTH_ARG_Key1=Val2"}},
      {"add " + kUuid + " A=b A=c", "add", {"SYNTH_UUID=" + kUuid, "SYNTH_ARG_A=b", "SYNTH_ARG_A=c"}},
      // the kernel's isalnum() also takes Latin-1 letters
      {"add " + kUuid + " A=\xe9", "add", {"SYNTH_UUID=" + kUuid, "SYNTH_ARG_A=\xe9"}},
  };
  for (const auto& c : cases) {
    auto r = sysfs::parse_synth_uevent(c.in);
    ASSERT_TRUE(r) << "'" << c.in << "': errno " << r.error().code;
    EXPECT_EQ(r->action, c.action) << c.in;
    EXPECT_EQ(r->env, c.env) << c.in;
  }
}

TEST(SynthUevent, InvalidInputIsEinval) {
  const std::string cases[] = {
      // unknown or inexact action
      "", "\n", "\0"s, "foo", "Add", "ADD", "ad", "adds", " add", "add\n\n", "change\r", "change\r\n", "add\t",
      "add,",
      // bad uuid
      "add ", "add \n", "add  " + kUuid, "add " + kUuid.substr(1), "add " + kUuid + "0",
      "add 6dfd3ec5-e8b3-4e18-a6fe-57bc9eceb92g", "add 6dfd3ec5e8b34e18a6fe57bc9eceb920ffff",
      "add 6dfd3ec5_e8b3-4e18-a6fe-57bc9eceb920", "add {6dfd3ec5-e8b3-4e18-a6fe-57bc9eceb920}",
      "add " + kUuid + "x", "add " + kUuid + "\tA=b",
      // bad KEY=VAL arguments
      "add " + kUuid + " ", "add " + kUuid + "  A=b", "add " + kUuid + " A=b ", "add " + kUuid + " A=b  C=d",
      "add " + kUuid + " A", "add " + kUuid + " A=", "add " + kUuid + " =b", "add " + kUuid + " A=b=c",
      "add " + kUuid + " A-1=b", "add " + kUuid + " A=b-c", "add " + kUuid + " MY_KEY=1",
      "add " + kUuid + " A=b\n\n", "add " + kUuid + " A=\xd7",
  };
  for (const auto& in : cases) {
    auto r = sysfs::parse_synth_uevent(in);
    ASSERT_FALSE(r) << "'" << in << "' accepted as " << r->action;
    EXPECT_EQ(r.error().code, EINVAL) << in;
  }
}

// kobject_uevent_env(): ACTION, DEVPATH, SUBSYSTEM, the caller's variables,
// the kset's (dev_uevent) variables, SEQNUM. KOBJ_UNBIND drops MODALIAS.
TEST(UeventLog, OrderingAndSeqnum) {
  sysfs::UeventLog log;
  const Env card_vars = {"DEVTYPE=ap_card", "DRIVER=cex4card", "DEV_TYPE=000D", "MODALIAS=ap:t0D", "MODE=cca"};
  log.send("change", "/devices/ap/card05", "ap", {"CONFIG=0"}, card_vars);
  log.send("unbind", "/devices/ap/card05", "ap", {}, {"DEVTYPE=ap_card", "DEV_TYPE=000D", "MODALIAS=ap:t0D", "MODE=cca"});
  log.send("bind", "/devices/ap/card05", "ap", {}, card_vars);
  log.send("unbind", "/devices/ap/card05", "ap", {"MODALIAS=x", "Y=1"}, {});
  log.send("change", "/devices/ap", "ap", {"APMASK=0x" + std::string(64, 'f') + "\n"}, {});

  ASSERT_EQ(log.events().size(), 5u);
  EXPECT_EQ(log.seqnum(), 5u);
  struct Want {
    std::string action;
    Env env;
  };
  const Want want[] = {
      {"change", {"CONFIG=0", "DEVTYPE=ap_card", "DRIVER=cex4card", "DEV_TYPE=000D", "MODALIAS=ap:t0D", "MODE=cca"}},
      {"unbind", {"DEVTYPE=ap_card", "DEV_TYPE=000D", "MODE=cca"}},
      {"bind", card_vars},
      {"unbind", {"Y=1"}},  // zap_modalias_env() walks the whole environment
      {"change", {"APMASK=0x" + std::string(64, 'f') + "\n"}},
  };
  for (size_t i = 0; i < 5; ++i) {
    const auto& ev = log.events()[i];
    EXPECT_EQ(ev.seqnum, i + 1);
    EXPECT_EQ(ev.action, want[i].action);
    EXPECT_EQ(ev.subsystem, "ap");
    EXPECT_EQ(ev.env, want[i].env) << "event " << i;
  }
  EXPECT_EQ(log.events()[0].text(),
            "ACTION=change\nDEVPATH=/devices/ap/card05\nSUBSYSTEM=ap\nCONFIG=0\nDEVTYPE=ap_card\n"
            "DRIVER=cex4card\nDEV_TYPE=000D\nMODALIAS=ap:t0D\nMODE=cca\nSEQNUM=1\n");
  // A value that carries its own newline (the mask uevent) is not doubled.
  EXPECT_EQ(log.events()[4].text(),
            "ACTION=change\nDEVPATH=/devices/ap\nSUBSYSTEM=ap\nAPMASK=0x" + std::string(64, 'f') + "\nSEQNUM=5\n");
}

TEST(UeventLog, KeepsTheNewestEvents) {
  sysfs::UeventLog log;
  for (size_t i = 0; i < sysfs::UeventLog::CAPACITY + 3; ++i) log.send("change", "/devices/ap", "ap", {}, {});
  EXPECT_EQ(log.events().size(), sysfs::UeventLog::CAPACITY);
  EXPECT_EQ(log.events().front().seqnum, 4u);
  EXPECT_EQ(log.events().back().seqnum, sysfs::UeventLog::CAPACITY + 3);
}

// kobject_action_args(): SYNTH_UUID and the SYNTH_ARG_s share one
// environment: 64 variables, 2048 bytes with a NUL after each.
TEST(SynthUevent, ArgumentsFillOneEnvironmentAtMost) {
  auto args = [](int n) {
    std::string s = "add " + kUuid;
    for (int i = 0; i < n; ++i) s += fmt::format(" K{}=v", i);
    return s;
  };
  std::vector<std::string> warnings;
  auto r = sysfs::parse_synth_uevent(args(63), &warnings);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->env.size(), sysfs::UEVENT_NUM_ENVP);
  EXPECT_EQ(warnings, Env{});
  r = sysfs::parse_synth_uevent(args(64), &warnings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_EQ(warnings, Env{"add_uevent_var: too many keys"});
  // 48 bytes of SYNTH_UUID, then "SYNTH_ARG_A=" and 1987 characters: 2048.
  warnings.clear();
  EXPECT_TRUE(sysfs::parse_synth_uevent("add " + kUuid + " A=" + std::string(1987, 'v'), &warnings));
  r = sysfs::parse_synth_uevent("add " + kUuid + " A=" + std::string(1988, 'v'), &warnings);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_EQ(warnings, Env{"add_uevent_var: buffer size too small"});
}

// kobject_uevent_env() applies the same limits to the whole event. The
// MODALIAS an unbind drops frees its room before SEQNUM is added.
TEST(UeventLog, OneEventFitsOneEnvironment) {
  base::KernelLog klog;
  sysfs::UeventLog log(&klog);
  Env extra;
  for (int i = 0; i < 60; ++i) extra.push_back(fmt::format("V{}=1", i));
  EXPECT_TRUE(log.send("change", "/devices/ap", "ap", extra, {}));  // 3 + 60 + SEQNUM
  extra.push_back("V60=1");
  EXPECT_FALSE(log.send("change", "/devices/ap", "ap", extra, {}));
  EXPECT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.seqnum(), 2u);  // SEQNUM's number was taken
  ASSERT_EQ(klog.lines().size(), 2u);
  EXPECT_EQ(klog.lines()[0].text, "------------[ cut here ]------------");
  EXPECT_EQ(klog.lines()[0].level, base::LogLevel::WARNING);
  EXPECT_EQ(klog.lines()[1].text, "add_uevent_var: too many keys");
  EXPECT_EQ(klog.lines()[1].level, base::LogLevel::ERR);
  extra.pop_back();
  EXPECT_TRUE(log.send("unbind", "/devices/ap", "ap", extra, {"MODALIAS=ap:t0B"}));
  EXPECT_EQ(log.events().back().env.size(), 60u);
  EXPECT_FALSE(log.send("change", "/devices/ap", "ap", extra, {"MODALIAS=ap:t0B"}));

  // 2048 bytes: "ACTION=change" 14, "DEVPATH=/devices/ap" 20, "SUBSYSTEM=ap"
  // 13 with their NULs. A DEVTYPE that does not fit is left out; when a
  // variable of the bus does not fit, no event.
  Env big = {"B=" + std::string(2048 - 47 - 20 - 1 - 2, 'x')};  // leaves 20 bytes
  EXPECT_TRUE(log.send("change", "/devices/ap", "ap", big, {"DEVTYPE=" + std::string(12, 'y'), "MODE=cca"}));
  EXPECT_EQ(log.events().back().env, (Env{big[0], "MODE=cca"}));
  EXPECT_EQ(klog.lines().back().text, "add_uevent_var: buffer size too small");
  EXPECT_FALSE(log.send("change", "/devices/ap", "ap", big, {"MODE=" + std::string(16, 'z')}));
}

// A write of "change UUID" and `pairs` KEY=VALUE arguments (the last value
// `last_len` characters long, if given) to card05's uevent file: the
// errno (0 if taken), the kernel log lines it added, and whether an event
// went out. card05 adds five variables of its own (DEVTYPE, DRIVER,
// DEV_TYPE, MODALIAS, MODE); the kernel adds ACTION, DEVPATH, SUBSYSTEM and
// SEQNUM: 64 variables in 2048 bytes at most (UEVENT_NUM_ENVP,
// UEVENT_BUFFER_SIZE).
struct SynthOutcome {
  int err;
  Env log;
  bool sent;
};
SynthOutcome synth_on_card05(mdevsim::System& sys, int pairs, size_t last_len = 0) {
  std::string buf = "change " + kUuid;
  for (int i = 0; i < pairs; ++i)
    buf += fmt::format(" K{}={}", i, i + 1 == pairs && last_len ? std::string(last_len, 'v') : "v");
  const size_t lines = sys.klog().lines().size(), events = sys.uevents().events().size();
  auto r = sys.tree().write("bus/ap/devices/card05/uevent", buf);
  Env log;
  for (size_t i = lines; i < sys.klog().lines().size(); ++i) log.push_back(sys.klog().lines()[i].text);
  return {r ? 0 : r.error().code, log, sys.uevents().events().size() > events};
}

const std::string kCut = "------------[ cut here ]------------";
const std::string kTooMany = "add_uevent_var: too many keys";
const std::string kTooSmall = "add_uevent_var: buffer size too small";
const std::string kBadArgs = "synth uevent: /devices/ap/card05: incorrect uevent action arguments";
const std::string kNotSent = "synth uevent: /devices/ap/card05: failed to send uevent";
const std::string kEinval = "cex4card card05: uevent: failed to send synthetic uevent: -22";
const std::string kEnomem = "cex4card card05: uevent: failed to send synthetic uevent: -12";

// kobject_action_args() builds the arguments' environment with
// add_uevent_var(): SYNTH_UUID and up to 63 SYNTH_ARG_s; past that, EINVAL.
TEST(SynthUeventLimits, ArgumentsBeyondOneEnvironmentAreEinval) {
  mdevsim::System sys(ap::default_host());
  for (int pairs : {64, 300}) {
    auto o = synth_on_card05(sys, pairs);
    EXPECT_EQ(o.err, EINVAL) << pairs;
    EXPECT_EQ(o.log, (Env{kCut, kTooMany, kBadArgs, kEinval})) << pairs;
    EXPECT_FALSE(o.sent) << pairs;
  }
  // "SYNTH_UUID=<36>" takes 48 bytes with its NUL, "SYNTH_ARG_K0=" 13 and
  // a NUL: a 1986-character value fills the 2048 bytes exactly.
  auto o = synth_on_card05(sys, 1, 1987);
  EXPECT_EQ(o.err, EINVAL);
  EXPECT_EQ(o.log, (Env{kCut, kTooSmall, kBadArgs, kEinval}));
  EXPECT_FALSE(o.sent);
}

// kobject_uevent_env() then adds its own and the device's variables to a
// new environment: when one does not fit, nothing is sent and the write
// fails with ENOMEM. DEVTYPE and DRIVER (dev_uevent() itself) are left out
// when they do not fit; the bus's (ap_uevent()) and SEQNUM end the event.
TEST(SynthUeventLimits, EventBeyondOneEnvironmentIsEnomem) {
  mdevsim::System sys(ap::default_host());
  auto o = synth_on_card05(sys, 54);  // 3 + 1 + 54 + 5 + SEQNUM = 64
  EXPECT_EQ(o.err, 0);
  EXPECT_EQ(o.log, Env{});
  ASSERT_TRUE(o.sent);
  EXPECT_EQ(sys.uevents().events().back().env.size(), 60u);
  const uint64_t seqnum = sys.uevents().seqnum();

  o = synth_on_card05(sys, 55);  // no room for SEQNUM, whose number is taken all the same
  EXPECT_EQ(o.err, ENOMEM);
  EXPECT_EQ(o.log, (Env{kCut, kTooMany, kNotSent, kEnomem}));
  EXPECT_FALSE(o.sent);
  EXPECT_EQ(sys.uevents().seqnum(), seqnum + 1);

  o = synth_on_card05(sys, 59);  // DRIVER and DEV_TYPE do not fit
  EXPECT_EQ(o.err, ENOMEM);
  EXPECT_EQ(o.log, (Env{kCut, kTooMany, kCut, kTooMany, kNotSent, kEnomem}));
  EXPECT_FALSE(o.sent);

  o = synth_on_card05(sys, 63);  // a SYNTH_ARG does not fit
  EXPECT_EQ(o.err, ENOMEM);
  EXPECT_EQ(o.log, (Env{kCut, kTooMany, kNotSent, kEnomem}));
  EXPECT_FALSE(o.sent);

  // The arguments fit their 2048 bytes, not with ACTION, DEVPATH, SUBSYSTEM.
  o = synth_on_card05(sys, 1, 1986);
  EXPECT_EQ(o.err, ENOMEM);
  EXPECT_EQ(o.log, (Env{kCut, kTooSmall, kNotSent, kEnomem}));
  EXPECT_FALSE(o.sent);
  EXPECT_EQ(sys.uevents().seqnum(), seqnum + 1);  // none of these got as far as SEQNUM

  o = synth_on_card05(sys, 0);
  EXPECT_EQ(o.err, 0);
  EXPECT_EQ(sys.uevents().events().back().seqnum, seqnum + 2);
}

}  // namespace
