// The AP queues in the adapters: PQAP, NQAP and DQAP with their response
// codes, capacity, multi-part receive, resets, interrupt control, the view
// an instruction runs in, and faults.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "apbus/ap_engine.h"
#include "apbus/ap_message.h"
#include "apbus/msgtype6.h"

namespace {

using namespace ap;
using namespace std::chrono_literals;

std::vector<uint8_t> echo(const CardConfig&, unsigned, std::span<const uint8_t> msg) { return {msg.begin(), msg.end()}; }
// Type 6 CPRB stand-in for these tests: byte 0 names the target domain.
std::optional<unsigned> first_byte(std::span<const uint8_t> msg) {
  return msg.empty() ? std::nullopt : std::optional<unsigned>(msg[0]);
}

struct Engine {
  HostConfig host = default_host();
  ApEngine engine{host, echo, first_byte, 2};
  const ApView& v = engine.host_view();
  ApQueueStatus nqap(unsigned apid, unsigned apqi, uint64_t psmid, std::vector<uint8_t> msg, bool special = false) {
    return engine.nqap(v, apid, apqi, psmid, msg, special);
  }
  ApEngine::DqapResult dqap(unsigned apid, unsigned apqi, std::span<uint8_t> buf) {
    engine.wait_reply(apid, apqi, 5s);
    return engine.dqap(v, apid, apqi, buf);
  }
  void fault(unsigned apid, unsigned apqi, void (*f)(QueueFaults&)) {
    QueueFaults q = engine.faults(apid, apqi);
    f(q);
    engine.set_faults(apid, apqi, q);
  }
};

TEST(ApEngine, TapqReportsTheCardWordAndAvailability) {
  Engine e;
  auto r = e.engine.tapq(e.v, 5, 4);
  EXPECT_EQ(r.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(r.status.cc(), 0);
  EXPECT_EQ(r.hwinfo, 0x920000000BFF0007ULL);
  EXPECT_TRUE(r.status.queue_empty);
  EXPECT_EQ(r.status.word(), 0x80000000u);
  EXPECT_EQ(e.engine.tapq(e.v, 7, 4).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);  // no such adapter
  EXPECT_EQ(e.engine.tapq(e.v, 5, 5).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);  // not a usage domain
  EXPECT_EQ(e.engine.tapq(e.v, 5, 5).status.cc(), 3);
  e.engine.set_card_state(5, false, false);
  r = e.engine.tapq(e.v, 5, 4);
  EXPECT_EQ(r.status.response_code, AP_RESPONSE_DECONFIGURED);
  EXPECT_EQ(r.hwinfo, 0x920000000BFF0007ULL);  // the information stays valid
  e.engine.set_card_state(5, false, true);
  EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_CHECKSTOPPED);
  EXPECT_EQ(e.nqap(5, 4, 1, std::vector<uint8_t>(8)).response_code, AP_RESPONSE_CHECKSTOPPED);
  e.engine.set_card_state(5, true, false);
  EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_NORMAL);
}

TEST(ApEngine, QueueFaultsAnswerInTheHardwaresOrder) {
  Engine e;
  e.fault(6, 0x47, [](QueueFaults& f) { f.busy = true; });
  EXPECT_EQ(e.engine.tapq(e.v, 6, 0x47).status.response_code, AP_RESPONSE_BUSY);
  EXPECT_EQ(e.engine.tapq(e.v, 6, 0xab).status.response_code, AP_RESPONSE_NORMAL);  // 06.00ab untouched
  e.fault(6, 0x47, [](QueueFaults& f) { f.deconfigured = true; });
  EXPECT_EQ(e.engine.tapq(e.v, 6, 0x47).status.response_code, AP_RESPONSE_DECONFIGURED);
  e.fault(6, 0x47, [](QueueFaults& f) { f.checkstopped = true; });
  EXPECT_EQ(e.engine.tapq(e.v, 6, 0x47).status.response_code, AP_RESPONSE_CHECKSTOPPED);
  e.engine.set_faults(6, 0x47, {});
  EXPECT_EQ(e.engine.tapq(e.v, 6, 0x47).status.response_code, AP_RESPONSE_NORMAL);
  // A failing queue accepts requests and answers with machine failures.
  e.fault(6, 0x47, [](QueueFaults& f) { f.fail = true; });
  ASSERT_EQ(e.nqap(6, 0x47, 9, {0x47, 1, 2}).response_code, AP_RESPONSE_NORMAL);
  std::vector<uint8_t> buf(64);
  auto d = e.dqap(6, 0x47, buf);
  ASSERT_EQ(d.length, 8u);
  EXPECT_EQ(buf[1], 0x82);
  EXPECT_EQ(buf[4], 0x10);
}

TEST(ApEngine, NqapDqapByPsmidWithCapacityQdPlusOne) {
  Engine e;
  e.fault(6, 0x47, [](QueueFaults& f) { f.hold_reset = false; });
  std::vector<uint8_t> msg{0x47, 2, 3, 4};
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(e.nqap(6, 0x47, 100 + i, msg).response_code, AP_RESPONSE_NORMAL);
  auto full = e.nqap(6, 0x47, 200, msg);
  EXPECT_EQ(full.response_code, AP_RESPONSE_Q_FULL);
  EXPECT_TRUE(full.queue_full);
  EXPECT_EQ(e.engine.outstanding(6, 0x47), 8u);
  std::vector<uint8_t> buf(16);
  std::set<uint64_t> seen;
  for (int i = 0; i < 8; ++i) {
    auto d = e.dqap(6, 0x47, buf);
    ASSERT_EQ(d.status.response_code, AP_RESPONSE_NORMAL);
    EXPECT_EQ(d.length, 4u);
    EXPECT_EQ(d.residual, 0u);
    EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + 4), msg);
    seen.insert(d.psmid);
  }
  EXPECT_EQ(seen.size(), 8u);  // every request answered once, matched by its PSMID
  EXPECT_EQ(*seen.begin(), 100u);
  auto none = e.engine.dqap(e.v, 6, 0x47, buf);
  EXPECT_EQ(none.status.response_code, AP_RESPONSE_NO_PENDING_REPLY);
  EXPECT_TRUE(none.status.queue_empty);
}

TEST(ApEngine, LargeRepliesArriveInParts) {
  Engine e;
  std::vector<uint8_t> msg(100);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i ? i : 4);
  ASSERT_EQ(e.nqap(5, 4, 7, msg).response_code, AP_RESPONSE_NORMAL);
  std::vector<uint8_t> buf(40), got;
  for (size_t expect_residual : {60u, 20u, 0u}) {
    auto d = e.dqap(5, 4, buf);
    EXPECT_EQ(d.psmid, 7u);
    EXPECT_EQ(d.residual, expect_residual);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(d.length));
  }
  EXPECT_EQ(got, msg);
  EXPECT_EQ(e.engine.outstanding(5, 4), 0u);
}

TEST(ApEngine, MessageLimitsSpecialCommandsAndControlDomains) {
  Engine e;
  std::vector<uint8_t> big(12288, 4);
  EXPECT_EQ(e.nqap(5, 4, 1, big).response_code, AP_RESPONSE_NORMAL);
  big.push_back(0);
  EXPECT_EQ(e.nqap(5, 4, 1, big).response_code, AP_RESPONSE_MESSAGE_TOO_BIG);
  EXPECT_EQ(e.nqap(5, 4, 1, {4}, true).response_code, AP_RESPONSE_NORMAL);
  // Another domain only if it is a control domain of the view.
  EXPECT_EQ(e.nqap(5, 4, 1, {0xab}).response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(e.nqap(5, 4, 1, {0x05}).response_code, AP_RESPONSE_INVALID_DOMAIN);
  ApView guest{e.v.apm, e.v.aqm, {}};
  EXPECT_EQ(e.engine.nqap(guest, 5, 4, 1, std::vector<uint8_t>{0xab}).response_code, AP_RESPONSE_INVALID_DOMAIN);
  EXPECT_EQ(e.engine.nqap(guest, 5, 4, 1, std::vector<uint8_t>{4}).response_code, AP_RESPONSE_NORMAL);
  e.host.cards[0].hwinfo.value &= ~ApHwinfo::APSC;
  ApEngine no_apsc(e.host, echo, first_byte, 1);
  EXPECT_EQ(no_apsc.nqap(no_apsc.host_view(), 5, 4, 1, std::vector<uint8_t>{4}, true).response_code,
            AP_RESPONSE_REQ_FAC_NOT_INST);
}

TEST(ApEngine, ResetDropsWorkAndRunsUntilTapqSeesItDone) {
  Engine e;
  ASSERT_EQ(e.nqap(5, 4, 1, {4}).response_code, AP_RESPONSE_NORMAL);
  e.engine.wait_reply(5, 4, 5s);
  e.fault(5, 4, [](QueueFaults& f) { f.reset_polls = 3; });
  EXPECT_EQ(e.engine.zapq(e.v, 5, 4).response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(e.engine.outstanding(5, 4), 0u);
  EXPECT_EQ(e.nqap(5, 4, 2, {4}).response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  EXPECT_EQ(e.engine.rapq(e.v, 5, 4).response_code, AP_RESPONSE_RESET_IN_PROGRESS);  // one is running already
  EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  auto done = e.engine.tapq(e.v, 5, 4);
  EXPECT_EQ(done.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_TRUE(done.status.queue_empty);
  e.fault(5, 4, [](QueueFaults& f) { f.hold_reset = true; });
  e.engine.rapq(e.v, 5, 4);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  e.fault(5, 4, [](QueueFaults& f) { f.busy = true; });
  EXPECT_EQ(e.engine.tapq(e.v, 5, 4).status.response_code, AP_RESPONSE_BUSY);
  EXPECT_EQ(e.engine.zapq(e.v, 5, 4).response_code, AP_RESPONSE_BUSY);
}

// A reset while requests are being worked off: their results never show.
TEST(ApEngine, ResetLosesRequestsInFlight) {
  std::atomic<bool> release{false};
  auto slow = [&](const CardConfig& c, unsigned d, std::span<const uint8_t> m) {
    while (!release) std::this_thread::sleep_for(1ms);
    return echo(c, d, m);
  };
  HostConfig host = default_host();
  ApEngine engine(host, slow, {}, 1);
  ASSERT_EQ(engine.nqap(engine.host_view(), 5, 4, 1, std::vector<uint8_t>{1}).response_code, AP_RESPONSE_NORMAL);
  auto s = engine.tapq(engine.host_view(), 5, 4).status;
  EXPECT_FALSE(s.queue_empty);
  EXPECT_FALSE(s.replies_waiting);
  std::vector<uint8_t> buf(8);
  EXPECT_EQ(engine.dqap(engine.host_view(), 5, 4, buf).status.response_code, AP_RESPONSE_NO_PENDING_REPLY);
  engine.rapq(engine.host_view(), 5, 4);
  release = true;
  EXPECT_FALSE(engine.wait_reply(5, 4, 200ms));
  EXPECT_EQ(engine.tapq(engine.host_view(), 5, 4).status.word(), 0x80000000u);
}

TEST(ApEngine, InterruptsAreEnabledAsynchronously) {
  Engine e;
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, true, 0).response_code, AP_RESPONSE_INVALID_ADDRESS);
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, true, ~uint64_t{0}).response_code, AP_RESPONSE_INVALID_ADDRESS);
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, false, 0x1000).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
  auto s = e.engine.aqic(e.v, 5, 4, true, 0x1000);
  EXPECT_EQ(s.response_code, AP_RESPONSE_NORMAL);
  EXPECT_FALSE(s.irq_enabled);
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, true, 0x1000).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
  EXPECT_TRUE(e.engine.tapq(e.v, 5, 4).status.irq_enabled);
  EXPECT_EQ(e.engine.zapq(e.v, 5, 4).irq_enabled, false);  // a reset disables them
  e.engine.tapq(e.v, 5, 4);
  EXPECT_FALSE(e.engine.tapq(e.v, 5, 4).status.irq_enabled);
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, false, 0).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
  // A held enablement: TAPQ keeps showing I=0 until the hold goes.
  e.fault(5, 4, [](QueueFaults& f) { f.hold_irq = true; });
  EXPECT_EQ(e.engine.aqic(e.v, 5, 4, true, 0x1000).response_code, AP_RESPONSE_NORMAL);
  EXPECT_FALSE(e.engine.tapq(e.v, 5, 4).status.irq_enabled);
  EXPECT_FALSE(e.engine.tapq(e.v, 5, 4).status.irq_enabled);
  e.fault(5, 4, [](QueueFaults& f) { f.hold_irq = false; });
  EXPECT_TRUE(e.engine.tapq(e.v, 5, 4).status.irq_enabled);
}

TEST(ApEngine, QciBlockShowsTheView) {
  Engine e;
  auto b = e.engine.qci(e.v);
  EXPECT_EQ(b[0], 0xF0);  // APSC APXA QACT RC8A
  EXPECT_EQ(b[1], 0x00);
  EXPECT_EQ(b[4], 255);
  EXPECT_EQ(b[5], 255);
  EXPECT_EQ(b[16], 0x06);  // adapters 5 and 6
  EXPECT_EQ(b[48], 0x08);  // domain 4
  EXPECT_EQ(b[48 + 8], 0x01);  // domain 0x47
  EXPECT_EQ(b[48 + 31], 0x01);  // domain 0xff
  EXPECT_EQ(b[80], 0x08);
  ApView guest;
  guest.apm.set(5);
  guest.aqm.set(0xab);
  auto g = e.engine.qci(guest);
  EXPECT_EQ(g[16], 0x04);
  EXPECT_EQ(g[48], 0x00);
  EXPECT_EQ(g[48 + 21], 0x10);  // 0xab = 171 = word 5 byte 1 ... bit 3 of byte 21
  EXPECT_EQ(g[80], 0x00);
}

TEST(ApEngine, GuestsReachOnlyTheirCrycb) {
  Engine e;
  ApView guest;
  guest.apm.set(5);
  guest.aqm.set(4);
  EXPECT_EQ(e.engine.tapq(guest, 5, 4).status.response_code, AP_RESPONSE_NORMAL);
  for (auto [apid, apqi] : {std::pair{5u, 0x47u}, {6u, 4u}, {6u, 0x47u}}) {
    std::vector<uint8_t> buf(8);
    EXPECT_EQ(e.engine.tapq(guest, apid, apqi).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);
    EXPECT_EQ(e.engine.tapq(guest, apid, apqi).hwinfo, 0u);
    EXPECT_EQ(e.engine.rapq(guest, apid, apqi).response_code, AP_RESPONSE_Q_NOT_AVAIL);
    EXPECT_EQ(e.engine.aqic(guest, apid, apqi, true, 0x1000).response_code, AP_RESPONSE_Q_NOT_AVAIL);
    EXPECT_EQ(e.engine.nqap(guest, apid, apqi, 1, std::vector<uint8_t>{4}).response_code, AP_RESPONSE_Q_NOT_AVAIL);
    EXPECT_EQ(e.engine.dqap(guest, apid, apqi, buf).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);
    EXPECT_EQ(e.engine.qact(guest, apid, apqi, 14).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);
  }
  // The host's reply on 06.0047 is not the guest's to take.
  ASSERT_EQ(e.nqap(6, 0x47, 5, {0x47}).response_code, AP_RESPONSE_NORMAL);
  std::vector<uint8_t> buf(8);
  EXPECT_EQ(e.engine.dqap(guest, 6, 0x47, buf).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);
  EXPECT_EQ(e.dqap(6, 0x47, buf).psmid, 5u);
}

TEST(ApEngine, QactAnswersTheCompatibleType) {
  Engine e;
  auto r = e.engine.qact(e.v, 6, 4, 14);  // CEX5A: at 11, accelerator
  EXPECT_EQ(r.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ((r.info >> 24) & 0xff, 11u);
  EXPECT_EQ((r.info >> 58) & 7, 2u);  // mode bits: accel
  EXPECT_EQ((e.engine.qact(e.v, 6, 4, 10).info >> 24) & 0xff, 10u);
}

}  // namespace

namespace {

// A stalled adapter accepts requests and works them off once released.
TEST(ApEngine, StalledRequestsWaitForTheRelease) {
  Engine e;
  e.fault(5, 4, [](QueueFaults& f) { f.stall = true; });
  ASSERT_EQ(e.nqap(5, 4, 1, {4}).response_code, AP_RESPONSE_NORMAL);
  EXPECT_FALSE(e.engine.wait_reply(5, 4, 50ms));
  e.fault(5, 4, [](QueueFaults& f) { f.stall = false; });
  EXPECT_TRUE(e.engine.wait_reply(5, 4, 5s));
}

// With the real message handling: a CCA request naming another domain
// reaches the adapter only if that domain is one of the view's control
// domains (rc 42 otherwise); the reply describes the addressed domain.
TEST(ApEngine, CcaRequestsReachOtherDomainsOnlyAsControlDomains) {
  HostConfig host = default_host();
  ApEngine engine(host, process_message, message_target_domain, 1);
  ApView guest;
  guest.apm.set(5);
  guest.aqm.set(4);
  auto rng_to = make_cca_rng_request(0xab, 16);
  EXPECT_EQ(engine.nqap(guest, 5, 4, 1, rng_to).response_code, AP_RESPONSE_INVALID_DOMAIN);
  guest.adm.set(0xab);
  ASSERT_EQ(engine.nqap(guest, 5, 4, 2, rng_to).response_code, AP_RESPONSE_NORMAL);
  ASSERT_TRUE(engine.wait_reply(5, 4, 5s));
  std::vector<uint8_t> buf(4096);
  auto d = engine.dqap(guest, 5, 4, buf);
  EXPECT_EQ(d.psmid, 2u);
  buf.resize(d.length);
  auto random = parse_cca_rng_reply(buf);
  ASSERT_TRUE(random);
  EXPECT_EQ(random->size(), 16u);
}

}  // namespace
