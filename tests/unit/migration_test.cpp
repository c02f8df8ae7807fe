// The pure parts of live migration: the VFIO state machine for every pair
// of states, the vfio_ap_config stream and its errnos, and the destination
// checks with the kernel's lines.
#include <gtest/gtest.h>

#include <map>

#include "apbus/ap_engine.h"
#include "apbus/ap_hwinfo.h"
#include "migration/ap_config_stream.h"
#include "migration/destination_checks.h"
#include "migration/vfio_mig_state.h"

namespace {

using namespace migration;
using ap::ApHwinfo;
using S = MigState;

// The path a driver with `flags` walks from `cur` to `target`: the states
// it steps through ("-" for none), or EINVAL. Asked at least once, so that
// a state the device lacks is refused even as its own target.
std::string walk(uint64_t flags, S cur, S target) {
  std::string path;
  for (int hops = 0; hops == 0 || cur != target; ++hops) {
    if (hops > 8) return "LOOP";
    auto next = next_state(flags, cur, target);
    if (!next) return next.error().code == EINVAL ? "EINVAL" : "errno";
    if (*next == cur) break;
    cur = *next;
    path += (path.empty() ? "" : " ") + std::string(state_name(cur));
  }
  return path.empty() ? "-" : path;
}

// vfio_ap offers STOP_COPY only: every pair of the eight states.
TEST(VfioMigState, StopCopyOnlyEveryArc) {
  const uint64_t f = VFIO_MIGRATION_STOP_COPY;
  const std::map<std::pair<S, S>, std::string> expect = {
      {{S::STOP, S::STOP}, "-"},
      {{S::STOP, S::RUNNING}, "RUNNING"},
      {{S::STOP, S::STOP_COPY}, "STOP_COPY"},
      {{S::STOP, S::RESUMING}, "RESUMING"},
      {{S::RUNNING, S::STOP}, "STOP"},
      {{S::RUNNING, S::RUNNING}, "-"},
      {{S::RUNNING, S::STOP_COPY}, "STOP STOP_COPY"},
      {{S::RUNNING, S::RESUMING}, "STOP RESUMING"},
      {{S::STOP_COPY, S::STOP}, "STOP"},
      {{S::STOP_COPY, S::RUNNING}, "STOP RUNNING"},
      {{S::STOP_COPY, S::STOP_COPY}, "-"},
      {{S::STOP_COPY, S::RESUMING}, "STOP RESUMING"},
      {{S::RESUMING, S::STOP}, "STOP"},
      {{S::RESUMING, S::RUNNING}, "STOP RUNNING"},
      {{S::RESUMING, S::STOP_COPY}, "STOP STOP_COPY"},
      {{S::RESUMING, S::RESUMING}, "-"},
  };
  for (unsigned c = 0; c < MIG_STATE_NR; ++c)
    for (unsigned t = 0; t < MIG_STATE_NR; ++t) {
      auto key = std::pair{static_cast<S>(c), static_cast<S>(t)};
      auto it = expect.find(key);
      SCOPED_TRACE(std::string(state_name(key.first)) + " -> " + std::string(state_name(key.second)));
      // Anything touching ERROR, RUNNING_P2P, PRE_COPY or PRE_COPY_P2P: EINVAL.
      EXPECT_EQ(walk(f, key.first, key.second), it == expect.end() ? "EINVAL" : it->second);
    }
}

// With every flag the table itself shows through, one hop at a time, and
// the arcs it blocks (STOP_COPY -> PRE_COPY*) end in EINVAL, not a loop.
TEST(VfioMigState, AllFlagsFollowTheTable) {
  const uint64_t f = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;
  EXPECT_EQ(walk(f, S::RUNNING, S::STOP_COPY), "RUNNING_P2P STOP STOP_COPY");
  EXPECT_EQ(walk(f, S::RUNNING, S::PRE_COPY), "PRE_COPY");
  EXPECT_EQ(walk(f, S::PRE_COPY, S::STOP_COPY), "PRE_COPY_P2P STOP_COPY");
  EXPECT_EQ(walk(f, S::STOP_COPY, S::PRE_COPY), "EINVAL");
  EXPECT_EQ(walk(f, S::STOP_COPY, S::PRE_COPY_P2P), "EINVAL");
  EXPECT_EQ(walk(f, S::RESUMING, S::RUNNING), "STOP RUNNING_P2P RUNNING");
  EXPECT_EQ(walk(f, S::STOP, S::ERROR), "EINVAL");
  EXPECT_EQ(walk(f, S::ERROR, S::STOP), "EINVAL");
  // P2P without PRE_COPY: PRE_COPY targets are refused.
  EXPECT_EQ(walk(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, S::RUNNING, S::PRE_COPY), "EINVAL");
  EXPECT_EQ(walk(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, S::RUNNING, S::STOP), "RUNNING_P2P STOP");
}

TEST(VfioMigState, StateNames) {
  for (unsigned i = 0; i < MIG_STATE_NR; ++i) EXPECT_EQ(parse_state(state_name(static_cast<S>(i))), static_cast<S>(i));
  EXPECT_EQ(parse_state("3"), S::STOP_COPY);
  EXPECT_FALSE(parse_state("8"));
  EXPECT_FALSE(parse_state("stop"));
  EXPECT_FALSE(parse_state(""));
}

ApConfig two_queues() {
  ApConfig c;
  c.adm.set(4);
  c.adm.set(0xff);
  c.queues = {{0xea0000000bff0007, 0x0504}, {0xea0000000bff0007, 0x0604}};
  return c;
}

TEST(ApConfigStream, LayoutIsTheKernels) {
  auto b = encode(two_queues());
  ASSERT_EQ(b.size(), 40u + 2 * 16);
  EXPECT_EQ(b[3], 2);                           // num_queues
  EXPECT_EQ(b[8], 0x08);                        // adm: domain 4 is bit 4 from the left
  EXPECT_EQ(b[39], 0x01);                       // domain 0xff
  EXPECT_EQ(b[40], 0xea);                       // qinfo[0].data, big-endian
  EXPECT_EQ(b[47], 0x07);
  EXPECT_EQ(b[48], 0x05);                       // qinfo[0].apqn
  EXPECT_EQ(b[49], 0x04);
  EXPECT_EQ(b[40 + 16 + 8], 0x06);              // qinfo[1].apqn
  EXPECT_EQ(config_size(0), 40u);
  EXPECT_EQ(config_size(65536), 40u + 16 * 65536);
}

TEST(ApConfigStream, WritesInAnyPiecesGiveTheConfigBack) {
  auto b = encode(two_queues());
  for (size_t first : {4u, 5u, 40u, 71u, 72u}) {
    ResumeBuffer r;
    ASSERT_EQ(*r.write({b.data(), first}, false), first);
    for (size_t i = first; i < b.size(); ++i) ASSERT_EQ(*r.write({b.data() + i, 1}, false), 1u);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.config(), two_queues());
  }
}

TEST(ApConfigStream, WriteErrnos) {
  auto b = encode(two_queues());
  ResumeBuffer r;
  EXPECT_EQ(r.write({b.data(), 4}, true).error().code, ESPIPE);
  EXPECT_EQ(r.write({}, false).error().code, EINVAL);
  EXPECT_EQ(r.write({b.data(), 3}, false).error().code, EINVAL);  // the first write must hold num_queues
  std::vector<uint8_t> big = {0x00, 0x01, 0x00, 0x01};           // 65537 queues
  EXPECT_EQ(r.write(big, false).error().code, EINVAL);
  std::vector<uint8_t> longer = b;
  longer.push_back(0);
  EXPECT_EQ(r.write(longer, false).error().code, EIO);  // beyond the total size
  EXPECT_FALSE(r.complete());
  ASSERT_EQ(*r.write({b.data(), 10}, false), 10u);      // nothing taken before this
  EXPECT_EQ(r.write({b.data() + 10, b.size() - 9}, false).error().code, EIO);
  ASSERT_EQ(*r.write({b.data() + 10, b.size() - 10}, false), b.size() - 10);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.write({b.data(), 1}, false).error().code, EIO);
  ResumeBuffer most;
  std::vector<uint8_t> max = {0x00, 0x01, 0x00, 0x00};  // 65536 queues: allowed
  EXPECT_EQ(*most.write(max, false), 4u);
}

// A target host for the checks: queues bound to vfio_ap with their words.
struct FakeHost : TargetHost {
  std::map<unsigned, uint64_t> bound;  // apqn -> hwinfo
  std::map<unsigned, uint8_t> tapq_rc;
  base::Bitmap256 adm;
  bool async = false;
  bool bound_to_vfio_ap(unsigned apid, unsigned apqi) const override { return bound.count(apid << 8 | apqi); }
  bool control_domain(unsigned dom) const override { return adm.test(dom); }
  Tapq tapq(unsigned apid, unsigned apqi) const override {
    auto rc = tapq_rc.find(apid << 8 | apqi);
    auto w = bound.find(apid << 8 | apqi);
    return {rc == tapq_rc.end() ? uint8_t{0} : rc->second, async, w == bound.end() ? 0 : w->second};
  }
};

std::vector<std::string> texts(const std::vector<LogLine>& log) {
  std::vector<std::string> t;
  for (auto& l : log) t.push_back(l.text);
  return t;
}

constexpr uint64_t CEX5A = 0xea0000000bff0007;  // APSC MEX4K CRT4K ACCEL APXA, at 0x0b
constexpr uint64_t CEX8C_FULL = (uint64_t{0x92000000 | 0x01800000 | 0x00800000} << 32) | 0x0eff0007;

FakeHost host_for(const ApConfig& c) {
  FakeHost h;
  for (auto& q : c.queues) h.bound[q.apqn] = q.data;
  h.adm = c.adm;
  return h;
}

TEST(DestinationChecks, SameHardwarePasses) {
  auto c = two_queues();
  std::vector<LogLine> log;
  EXPECT_EQ(post_copy_validation("u", c, host_for(c), log), 0);
  EXPECT_TRUE(log.empty());
}

TEST(DestinationChecks, MissingQueuesThenControlDomainsInOrder) {
  auto c = two_queues();
  FakeHost h = host_for(c);
  h.bound.clear();
  h.adm = {};
  std::vector<LogLine> log;
  EXPECT_EQ(post_copy_validation("u", c, h, log), ENODEV);
  EXPECT_EQ(texts(log), (std::vector<std::string>{
                            "vfio_ap_mdev u: Queue 05.0004 not available to vfio_ap driver on target host",
                            "vfio_ap_mdev u: Queue 06.0004 not available to vfio_ap driver on target host"}));
  h = host_for(c);
  h.adm.clear(0xff);
  log.clear();
  EXPECT_EQ(post_copy_validation("u", c, h, log), ENODEV);
  EXPECT_EQ(texts(log),
            (std::vector<std::string>{"vfio_ap_mdev: u: Control domain 00ff not available on the destination host"}));
}

TEST(DestinationChecks, TapqFailures) {
  auto c = two_queues();
  FakeHost h = host_for(c);
  for (uint8_t ok : {0x02, 0x03, 0x04, 0x05}) {  // the information comes with these
    h.tapq_rc[0x0504] = ok;
    std::vector<LogLine> log;
    EXPECT_EQ(post_copy_validation("u", c, h, log), 0) << int{ok};
  }
  h.tapq_rc[0x0504] = ap::AP_RESPONSE_Q_NOT_AVAIL;
  h.tapq_rc[0x0604] = 0x07;
  std::vector<LogLine> log;
  EXPECT_EQ(post_copy_validation("u", c, h, log), EIO);  // the last failure's errno; all are logged
  EXPECT_EQ(texts(log), (std::vector<std::string>{"vfio_ap_mdev u: Failed to get hwinfo for queue 05.0004: TAPQ rc=1",
                                                  "vfio_ap_mdev u: Failed to get hwinfo for queue 06.0004: TAPQ rc=7"}));
  h.async = true;  // a pending asynchronous error: the information is there
  log.clear();
  EXPECT_EQ(post_copy_validation("u", c, h, log), ENODEV);
  EXPECT_EQ(log.size(), 1u);
}

// One line pair per capability that differs, in the kernel's order.
TEST(DestinationChecks, EachCapabilityMismatch) {
  struct Case {
    uint64_t src, dst;
    std::vector<std::string> lines;  // after the header
  };
  const uint64_t cca = (CEX5A & ~(ApHwinfo::ACCEL | ApHwinfo::MEX4K | ApHwinfo::CRT4K)) | ApHwinfo::CCA;
  const Case cases[] = {
      {CEX5A, CEX5A & ~ApHwinfo::APSC,
       {"APSC facility installed in source queue 05.0004", "APSC facility not installed in target queue 05.0004"}},
      {CEX5A & ~ApHwinfo::APSC, CEX5A,
       {"APSC facility not installed in source queue 05.0004", "APSC facility installed in target queue 05.0004"}},
      {CEX5A, CEX5A & ~ApHwinfo::MEX4K,
       {"mex4k facility installed in source queue 05.0004", "mex4k facility not installed in target queue 05.0004"}},
      {CEX5A, CEX5A & ~ApHwinfo::CRT4K,
       {"crt4k facility installed in source queue 05.0004", "crt4k facility not installed in target queue 05.0004"}},
      {cca, CEX5A & ~(ApHwinfo::MEX4K | ApHwinfo::CRT4K),
       {"Coprocessor-mode facility installed in source queue 05.0004",
        "Coprocessor-mode facility not installed in target queue 05.0004",
        "Accelerator-mode facility not installed in source queue 05.0004",
        "Accelerator-mode facility installed in target queue 05.0004"}},
      {cca | ApHwinfo::EP11, cca,
       {"XCP-mode facility installed in source queue 05.0004", "XCP-mode facility not installed in target queue 05.0004"}},
      {CEX5A, CEX5A & ~ApHwinfo::APXA,
       {"AP-extended-addressing (APXA) facility installed in source queue 05.0004",
        "AP-extended-addressing (APXA) facility not installed in target queue 05.0004"}},
      {CEX5A | ApHwinfo::SLCF, CEX5A,
       {"Stateless-command-filtering (SLCF) available in source queue 05.0004",
        "Stateless-command-filtering (SLCF) not available in target queue 05.0004"}},
      {CEX5A + (uint64_t{1} << 24), CEX5A, {"AP type of source (0c) not compatible with target (0b)"}},
      {CEX5A | (uint64_t{1} << 46), CEX5A, {"Bind/associate state for source (1) and target (0) queue 05.0004 must be 0"}},
      {CEX5A | (uint64_t{2} << 46), CEX5A | (uint64_t{2} << 46),
       {"Bind/associate state for source (2) and target (2) queue 05.0004 must be 0"}},
      {CEX5A | ApHwinfo::CLASS_FULL, CEX5A | ApHwinfo::CLASS_STATELESS,
       {"Full native card function available on source queue 05.0004",
        "Only stateless functions available on target queue 05.0004"}},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.lines.front());
    ApConfig c;
    c.queues = {{k.src, 0x0504}};
    FakeHost h;
    h.bound[0x0504] = k.dst;
    std::vector<LogLine> log;
    EXPECT_FALSE(hwinfo_compatible(k.src, k.dst));
    EXPECT_EQ(post_copy_validation("u", c, h, log), EINVAL);
    std::vector<std::string> want = {"vfio_ap_mdev u: Migration failed: Source and target queue (05.0004) not compatible"};
    for (auto& l : k.lines) want.push_back("vfio_ap_mdev u: " + l);
    EXPECT_EQ(texts(log), want);
  }
}

TEST(DestinationChecks, AllowedDifferences) {
  // A newer AP type on the target, stateless to full function, and bits
  // outside the compared ones (domains, message size, depth).
  EXPECT_TRUE(hwinfo_compatible(CEX5A, CEX5A + (uint64_t{3} << 24)));
  EXPECT_TRUE(hwinfo_compatible(CEX5A | ApHwinfo::CLASS_STATELESS, CEX5A | ApHwinfo::CLASS_FULL));
  EXPECT_TRUE(hwinfo_compatible(CEX5A, (CEX5A & ~uint64_t{0xffffff}) | 0x0f0403));
  EXPECT_TRUE(hwinfo_compatible(CEX8C_FULL, CEX8C_FULL));
  EXPECT_FALSE(hwinfo_compatible(CEX8C_FULL, CEX8C_FULL - (uint64_t{1} << 24)));
}

}  // namespace
