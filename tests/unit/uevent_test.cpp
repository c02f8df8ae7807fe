// Uevents: kobject_synth_uevent() parsing of writes to `uevent` files and
// the variable order of kobject_uevent_env() (kernel-facts §1).
#include "sysfs-fs/tree/uevent.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
