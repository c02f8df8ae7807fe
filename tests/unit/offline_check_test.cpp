// Host snapshots (JSON both ways, one clear error per bad input) and the
// offline migration check: verdicts, the live outcome's lines in the
// kernel's order and ratelimit, the master-key warnings and the ranking.
#include <gtest/gtest.h>

#include <algorithm>

#include "apbus/ap_hwinfo.h"
#include "migration/offline_check.h"

namespace {

using namespace migration;
using ap::ApHwinfo;

const std::string U = "62177883-f1bb-47f0-914d-32a22e3a8804";
constexpr uint64_t CEX5A = 0xea0000000bff0007, CEX5C = 0x920000000bff0007;

QueueSnapshot queue(unsigned apid, unsigned apqi, uint64_t hw, std::string driver = "vfio_ap") {
  QueueSnapshot q{static_cast<uint16_t>(apid << 8 | apqi), std::move(driver), {0, false, hw}, {}};
  if (hw == CEX5C) {
    q.mkvps.emplace();
    for (int r = 0; r < 3; ++r) std::fill_n(q.mkvps->reg[r].begin(), q.mkvps->size(r), 0x11 * (r + 1));
  }
  return q;
}

// Adapters 5 (CCA) and 6 (accelerator), domains 4 and 0x47, all bound to
// vfio_ap, control domains 4 and 0x47; the mdev U. The source's guest vm1
// uses U with all four queues and control domain 0x47.
HostSnapshot host(const std::string& name, bool source) {
  HostSnapshot s;
  s.host = name;
  s.apmask = s.aqmask = base::Bitmap256::all();
  for (unsigned a : {5u, 6u}) s.config.apm.set(a);
  for (unsigned d : {4u, 0x47u}) s.config.aqm.set(d), s.config.adm.set(d);
  for (unsigned a : {5u, 6u})
    for (unsigned d : {4u, 0x47u}) s.queues.push_back(queue(a, d, a == 5 ? CEX5C : CEX5A));
  MdevSnapshot m{U, {}, {}, source ? "vm1" : ""};
  if (source) {
    m.matrix = {s.config.apm, s.config.aqm, {}};
    m.matrix.adm.set(0x47);
    m.guest_matrix = m.matrix;
    s.guests.push_back({"vm1", U});
  }
  s.mdevs.push_back(m);
  s.index();
  return s;
}

CheckReport check(const HostSnapshot& src, const HostSnapshot& dst) {
  std::string error;
  auto r = check_migration(src, "vm1", "", dst, error);
  EXPECT_TRUE(r.has_value()) << error;
  return r ? *r : CheckReport{};
}

std::vector<std::string> broken(const CheckReport& r) {
  std::vector<std::string> out;
  for (auto& v : r.verdicts)
    if (v.kind != Verdict::PASS) out.push_back(std::string(v.kind == Verdict::FAIL ? "FAIL " : "warn ") + v.topic);
  return out;
}

TEST(HostSnapshot, JsonRoundTrip) {
  HostSnapshot s = host("src", true);
  s.queues[1].tapq = {0x03, true, 0x1234};
  s.queues[2].driver = "";
  std::string text = to_json(s), error;
  auto back = parse_snapshot(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(to_json(*back), text);
  EXPECT_EQ(back->queue(5, 0x47)->tapq.rc, 0x03);
  EXPECT_TRUE(back->queue(5, 0x47)->tapq.async);
  EXPECT_EQ(back->queue(6, 4)->driver, "");
  EXPECT_EQ(back->queue(5, 4)->mkvps, s.queues[0].mkvps);
  EXPECT_NE(text.find(R"("mkvps":{"AES":"0x1111111111111111","APKA":"0x2222222222222222","ASYM":"0x33333333333333333333333333333333"})"),
            std::string::npos);
  EXPECT_EQ(back->mdev(U)->guest_matrix.adm.count(), 1);
  EXPECT_EQ(back->queue(7, 4), nullptr);
}

TEST(HostSnapshot, BadSnapshotsNameTheKeyAndTheReason) {
  std::string good = to_json(host("h", true));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? t : t.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"{}", "mdevsim_snapshot: must be 1: this is not an mdevsim snapshot of this layout"},
      {with("\"apqn\":\"05.0004\"", "\"apqn\":\"05.04\""), "queues[0].apqn: must be an APQN such as \"05.0047\""},
      {with("\"apqn\":\"05.0004\"", "\"apqn\":\"05.0100\""), "queues[0].apqn: must be an APQN such as \"05.0047\""},
      {with("\"apqn\":\"05.0047\"", "\"apqn\":\"05.0004\""), "queues[1].apqn: 05.0004 is listed twice"},
      {with("\"tapq_rc\":0", "\"tapq_rc\":256"), "queues[0].tapq_rc: must be an integer from 0 to 255"},
      // Probe issue 12, item 11c: beyond int64, negative, floats.
      {with("\"tapq_rc\":0", "\"tapq_rc\":18446744073709551615"), "queues[0].tapq_rc: must be an integer from 0 to 255"},
      {with("\"tapq_rc\":0", "\"tapq_rc\":-1"), "queues[0].tapq_rc: must be an integer from 0 to 255"},
      {with("\"tapq_rc\":0", "\"tapq_rc\":0.0"), "queues[0].tapq_rc: must be an integer from 0 to 255"},
      {with("\"adapters\":[5,6]", "\"adapters\":[5,4294967302]"), "mdevs[0].matrix.adapters[1]: must be an integer from 0 to 255"},
      {with("\"mdevsim_snapshot\":1", "\"mdevsim_snapshot\":1.0"),
       "mdevsim_snapshot: must be 1: this is not an mdevsim snapshot of this layout"},
      {with("\"hwinfo\":\"0x920000000bff0007\"", "\"hwinfo\":\"92\""), "queues[0].hwinfo: must be the TAPQ word as \"0x\" and hex digits"},
      {with("\"AES\"", "\"DES\""), "queues[0].mkvps.DES: unknown key"},
      {with("\"AES\":\"0x1111111111111111\",", ""), "queues[0].mkvps.AES: is missing"},
      {with("\"AES\":\"0x1111111111111111\"", "\"AES\":\"0x11\""), "queues[0].mkvps.AES: must be \"0x\" and 16 hex digits"},
      {with("\"apmask\":\"0x", "\"apmask\":\"0xf"), "ap.apmask: must be \"0x\" and 64 hex digits, as /sys/bus/ap shows a mask"},
      // Item 11f: exactly 64 digits; the kernel's parser would take 63 and a newline.
      {with("\"aqmask\":\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
            "\"aqmask\":\"0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\""),
       "ap.aqmask: must be \"0x\" and 64 hex digits, as /sys/bus/ap shows a mask"},
      {with("\"aqmask\":\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
            "\"aqmask\":\"0xxfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\""),
       "ap.aqmask: must be \"0x\" and 64 hex digits, as /sys/bus/ap shows a mask"},
      {with("\"aqmask\":\"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
            "\"aqmask\":\"0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\\n\""),
       "ap.aqmask: contains the control character \\u000a"},
      {with("\"adapters\":[5,6]", "\"adapters\":[5,300]"), "mdevs[0].matrix.adapters[1]: must be an integer from 0 to 255"},
      {with("\"mdev\":\"" + U + "\"", "\"mdev\":\"x\""), "guests[0].mdev: x is not among the mdevs"},
      // Item 11e: a guest and its mdev name each other; names as the simulator writes them.
      {with("\"guests\": [\n  {\"name\":\"vm1\",\"mdev\":\"" + U + "\"}",
            "\"guests\": [\n  {\"name\":\"vm1\",\"mdev\":\"" + U + "\"},\n  {\"name\":\"vm2\",\"mdev\":\"" + U + "\"}"),
       "guests[1].mdev: the mdev " + U + " names guest vm1"},
      {with("\"guest\":\"vm1\"", "\"guest\":\"vm9\""), "guests[0].mdev: the mdev " + U + " names guest vm9"},
      {with("\"guest\":\"vm1\"", "\"guest\":null"), "guests[0].mdev: the mdev " + U + " names no guest"},
      {with("\"mdev\":\"" + U + "\"", "\"mdev\":null"), "mdevs[0].guest: guest vm1 uses no mdev"},
      {with("\"name\":\"vm1\",\"mdev\":\"" + U + "\"", "\"name\":\"vm2\",\"mdev\":null"), "mdevs[0].guest: vm1 is not among the guests"},
      {with("\"name\":\"vm1\"", "\"name\":\"\""), "guests[0].name: must not be empty"},
      {with("\"uuid\":\"" + U, "\"uuid\":\"" + std::string("62177883-F1BB-47f0-914d-32a22e3a8804")),
       "mdevs[0].uuid: must be a lower-case UUID such as \"62177883-f1bb-47f0-914d-32a22e3a8804\""},
      {with("\"uuid\":\"" + U + "\"", "\"uuid\":\"x\""),
       "mdevs[0].uuid: must be a lower-case UUID such as \"62177883-f1bb-47f0-914d-32a22e3a8804\""},
      {with("\"migratable\":true", "\"migratable\":1"), "vfio_ap.migratable: must be true or false"},
      {with("\"host\":\"h\",", ""), "host: is missing"},
      {good.substr(0, 100), ""},  // cut short: a JSON error
  };
  for (auto& [text, want] : cases) {
    std::string error;
    EXPECT_FALSE(parse_snapshot(text, error).has_value());
    if (want.empty()) EXPECT_TRUE(error.starts_with("not valid JSON: ")) << error;
    else EXPECT_EQ(error, want);
  }
}

// Probe issue 12, items 7 and 11a, b, d: one line with the reason, no crash,
// no endless read.
TEST(HostSnapshot, HostileSnapshotsGiveOneLine) {
  std::string good = to_json(host("h", true)), error;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    return t.replace(t.find(from), from.size(), to);
  };
  std::string deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_FALSE(parse_snapshot(with("\"host\":\"h\"", "\"host\":" + deep), error).has_value());
  EXPECT_EQ(error, "JSON nested deeper than 32 levels");
  EXPECT_FALSE(parse_snapshot(with("\"name\":\"vm1\"", R"("name":"vm1\u0000")"), error).has_value());
  EXPECT_EQ(error, R"(guests[0].name: contains the control character \u0000)");

  const std::pair<const char*, std::pair<int, const char*>> files[] = {
      {"/dev/zero", {EFBIG, "snapshot /dev/zero: larger than 64 MiB"}},
      {"/tmp", {EISDIR, "snapshot /tmp: Is a directory"}},
      {"/nonexistent/s.json", {ENOENT, "snapshot /nonexistent/s.json: No such file or directory"}},
  };
  for (auto& [path, want] : files) {
    auto s = load_snapshot(path, error);
    ASSERT_FALSE(s.has_value()) << path;
    EXPECT_EQ(s.error().code, want.first) << path;
    EXPECT_EQ(error, want.second);
  }
}

TEST(OfflineCheck, SuccessAndTheSeedsFailures) {
  const HostSnapshot src = host("src", true);
  HostSnapshot dst = host("dst", false);
  CheckReport ok = check(src, dst);
  EXPECT_TRUE(ok.migrates);
  EXPECT_TRUE(broken(ok).empty());
  EXPECT_TRUE(ok.console.empty());
  EXPECT_EQ(ok.rank_class(), 0);

  HostSnapshot d = dst;
  d.mdevs.clear();
  CheckReport r = check(src, d);
  EXPECT_EQ(r.console, "error: device not found: mediated device '" + U + "' not found");
  EXPECT_EQ(broken(r), std::vector<std::string>{"FAIL mediated device"});
  EXPECT_EQ(r.rank_class(), 2);

  d = dst;
  d.queues[1].driver = "cex4queue";
  d.index();
  r = check(src, d);
  EXPECT_EQ(r.destination_log, std::vector<std::string>{"vfio_ap_mdev " + U + ": Queue 05.0047 not available to vfio_ap driver on target host"});
  EXPECT_TRUE(r.console.ends_with("No such device: Failed to load vmstate version_id: 1, ret: -19"));
  EXPECT_EQ(r.rank_class(), 2);

  d = dst;
  d.config.adm.clear(0x47);
  r = check(src, d);
  EXPECT_EQ(r.destination_log, std::vector<std::string>{"vfio_ap_mdev: " + U + ": Control domain 0047 not available on the destination host"});
  EXPECT_EQ(r.rank_class(), 3);

  d = dst;
  d.queues[3].tapq.rc = 0x01;
  d.index();
  r = check(src, d);
  EXPECT_EQ(r.destination_log, std::vector<std::string>{"vfio_ap_mdev " + U + ": Failed to get hwinfo for queue 06.0047: TAPQ rc=1"});
  EXPECT_TRUE(r.console.ends_with("failed to get hardware information for queue device 06.0047"));

  d = dst;
  d.queues[2].tapq.hwinfo &= ~ApHwinfo::APSC;
  r = check(src, d);
  EXPECT_EQ(r.destination_log, (std::vector<std::string>{
                                   "vfio_ap_mdev " + U + ": Migration failed: Source and target queue (06.0004) not compatible",
                                   "vfio_ap_mdev " + U + ": APSC facility installed in source queue 06.0004",
                                   "vfio_ap_mdev " + U + ": APSC facility not installed in target queue 06.0004"}));
  EXPECT_TRUE(r.console.ends_with("Invalid argument: Failed to load vmstate version_id: 1, ret: -22"));
  EXPECT_EQ(broken(r), std::vector<std::string>{"FAIL hardware capabilities"});
}

// The live order decides the outcome; every rule is still judged.
TEST(OfflineCheck, TheFirstFailingStepDecidesEveryRuleIsReported) {
  const HostSnapshot src = host("src", true);
  HostSnapshot d = host("dst", false);
  d.queues[0].driver = "cex4queue";
  d.index();
  d.config.adm.clear(0x47);
  d.queues[2].tapq.hwinfo &= ~ApHwinfo::APXA;
  CheckReport r = check(src, d);
  EXPECT_EQ(broken(r), (std::vector<std::string>{"FAIL vfio_ap bindings", "FAIL control domains", "FAIL hardware capabilities"}));
  ASSERT_EQ(r.destination_log.size(), 1u);  // the kernel stops after the queues
  EXPECT_TRUE(r.destination_log[0].find("Queue 05.0004 not available") != std::string::npos);
}

// pr_err_ratelimited lets ten lines of one call site out.
TEST(OfflineCheck, KernelLinesAreRatelimitedAsPrinted) {
  HostSnapshot src = host("src", true), d = host("dst", false);
  MdevSnapshot& m = src.mdevs[0];
  for (unsigned q = 0x10; q < 0x16; ++q) {
    m.guest_matrix.aqm.set(q);
    for (unsigned a : {5u, 6u}) src.queues.push_back(queue(a, q, a == 5 ? CEX5C : CEX5A));
  }
  std::sort(src.queues.begin(), src.queues.end(), [](auto& x, auto& y) { return x.apqn < y.apqn; });
  src.index();
  CheckReport r = check(src, d);
  EXPECT_EQ(r.destination_log.size(), 10u);
  size_t details = 0;
  for (auto& v : r.verdicts) details += v.kind == Verdict::FAIL ? v.details.size() : 0;
  EXPECT_EQ(details, 12u);  // the report names all twelve
}

TEST(OfflineCheck, SourceAndKernelProblems) {
  HostSnapshot src = host("src", true), d = host("dst", false);
  src.queues[0].tapq.rc = 0x06;
  CheckReport r = check(src, d);
  EXPECT_EQ(r.console, "error: operation failed: job 'migration out' failed: Input/output error");
  EXPECT_EQ(r.source_log, std::vector<std::string>{"vfio_ap_mdev " + U + ": Failed to get hwinfo for queue 05.0004: TAPQ rc=6"});
  EXPECT_EQ(broken(r), std::vector<std::string>{"FAIL source queues"});

  src = host("src", true);
  d.migratable = false;
  EXPECT_EQ(check(src, d).console, "error: operation failed: job 'migration in' failed: Inappropriate ioctl for device");
  d = host("dst", false);
  d.mdevs[0].guest = "other";
  EXPECT_EQ(check(src, d).console, "error: Requested operation is not valid: mediated device /sys/bus/mdev/devices/" + U +
                                       " is in use by driver QEMU, domain other");
  d = host("dst", false);
  d.mdevs.insert(d.mdevs.begin(), {"11111111-2222-3333-4444-555555555555", {}, {}, ""});
  d.mdevs.front().matrix.apm.set(6);
  d.mdevs.front().matrix.aqm.set(4);
  r = check(src, d);
  EXPECT_EQ(r.destination_log, std::vector<std::string>{"vfio_ap_mdev " + U +
                                                        ": Userspace may not assign queue 06.0004 to mdev: already assigned to "
                                                        "11111111-2222-3333-4444-555555555555"});
  EXPECT_TRUE(r.console.ends_with("Address already in use: Failed to load vmstate version_id: 1, ret: -98"));

  std::string error;
  EXPECT_FALSE(check_migration(src, "vm9", "", d, error).has_value());
  EXPECT_EQ(error, "no guest vm9 on src");
  EXPECT_FALSE(check_migration(src, "", "nope", d, error).has_value());
  EXPECT_EQ(error, "no mediated device nope on src");
  auto by_mdev = check_migration(src, "", U, host("dst", false), error);
  ASSERT_TRUE(by_mdev);
  EXPECT_EQ(by_mdev->guest, "vm1");
  EXPECT_TRUE(by_mdev->migrates);
}

TEST(OfflineCheck, MasterKeysWarnAndRank) {
  const HostSnapshot src = host("src", true);
  HostSnapshot d = host("dst", false);
  std::fill_n(d.queues[1].mkvps->reg[1].begin(), 8, 0x44);
  CheckReport warned = check(src, d);
  EXPECT_TRUE(warned.migrates);
  EXPECT_EQ(broken(warned), std::vector<std::string>{"warn master keys"});
  EXPECT_EQ(warned.verdicts.back().details,
            std::vector<std::string>{"05.0047: APKA master key verification pattern 0x2222222222222222 on the source, "
                                     "0x4444444444444444 on the destination"});
  EXPECT_EQ(warned.rank_class(), 1);

  HostSnapshot bad = host("dst3", false);
  bad.queues[2].tapq.hwinfo &= ~ApHwinfo::APXA;
  HostSnapshot setup = host("dst4", false);
  setup.mdevs.clear();
  std::vector<CheckReport> reports = {check(src, bad), check(src, setup), warned, check(src, host("dst1", false))};
  EXPECT_EQ(format_ranking(reports, {"c.json", "d.json", "b.json", "a.json"}),
            "Destinations for guest vm1 (mdev " + U + ") from src, best first:\n"
            " 1  a.json (dst1): migrates\n"
            " 2  b.json (dst): migrates; warnings: master keys (1)\n"
            " 3  d.json (dst4): needs set-up: mediated device (1)\n"
            " 4  c.json (dst3): incompatible: hardware capabilities (1)\n");
}

}  // namespace

namespace {

// A guest's vfio-ccw devices cannot migrate: alone, the check refuses the
// guest with the reason; beside a vfio-ap device, a failing rule says it.
TEST(OfflineCheck, VfioCcwDevicesCannotMigrate) {
  const std::string blocked = "vfio-ccw device fe.0.1234 cannot migrate: vfio_ccw has no VFIO migration support "
                              "(VFIO_DEVICE_FEATURE MIGRATION: ENOTTY), and QEMU blocks it: State blocked by "
                              "non-migratable device '/fe.0.1234/vfio-ccw'";
  HostSnapshot src = host("src", true), dst = host("dst", false);
  src.guests[0].vfio_ccw = {"fe.0.1234"};
  std::string text = to_json(src), error;
  auto back = parse_snapshot(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->guest("vm1")->vfio_ccw, std::vector<std::string>{"fe.0.1234"});
  CheckReport r = check(*back, dst);
  EXPECT_EQ(broken(r), std::vector<std::string>{"FAIL vfio-ccw"});
  src.guests.push_back({"vm2", "", {"fe.0.1234"}});
  EXPECT_FALSE(check_migration(src, "vm2", "", dst, error));
  EXPECT_EQ(error, "guest vm2 cannot be migrated: " + blocked);
}

}  // namespace
