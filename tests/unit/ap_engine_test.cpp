// The AP queues in the adapters: PQAP, NQAP and DQAP with their response
// codes, capacity, multi-part receive, resets and interrupt control.
#include <gtest/gtest.h>

#include "apbus/ap_engine.h"

namespace {

using namespace ap;

std::vector<uint8_t> echo(const CardConfig&, unsigned, std::span<const uint8_t> msg) { return {msg.begin(), msg.end()}; }

struct Engine {
  HostConfig host = default_host();
  ApEngine engine{host, echo};
};

TEST(ApEngine, TapqReportsTheCardWordAndAvailability) {
  Engine e;
  auto r = e.engine.tapq(5, 4);
  EXPECT_EQ(r.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(r.hwinfo, 0x920000000BFF0007ULL);
  EXPECT_TRUE(r.status.queue_empty);
  EXPECT_EQ(r.status.word(), 0x80000000u);
  EXPECT_EQ(e.engine.tapq(7, 4).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);  // no such adapter
  EXPECT_EQ(e.engine.tapq(5, 5).status.response_code, AP_RESPONSE_Q_NOT_AVAIL);  // not a usage domain
  e.host.cards[0].config = false;
  r = e.engine.tapq(5, 4);
  EXPECT_EQ(r.status.response_code, AP_RESPONSE_DECONFIGURED);
  EXPECT_EQ(r.hwinfo, 0x920000000BFF0007ULL);  // the information stays valid
  e.host.cards[0].chkstop = true;
  EXPECT_EQ(e.engine.tapq(5, 4).status.response_code, AP_RESPONSE_CHECKSTOPPED);
  EXPECT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(8)).response_code, AP_RESPONSE_CHECKSTOPPED);
}

TEST(ApEngine, NqapDqapByPsmidWithCapacityQdPlusOne) {
  Engine e;
  std::vector<uint8_t> msg{1, 2, 3, 4};
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(e.engine.nqap(6, 0x47, 100 + i, msg).response_code, AP_RESPONSE_NORMAL);
  auto full = e.engine.nqap(6, 0x47, 200, msg);
  EXPECT_EQ(full.response_code, AP_RESPONSE_Q_FULL);
  EXPECT_TRUE(full.queue_full);
  EXPECT_TRUE(e.engine.tapq(6, 0x47).status.replies_waiting);
  std::vector<uint8_t> buf(16);
  auto d = e.engine.dqap(6, 0x47, buf);
  EXPECT_EQ(d.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(d.psmid, 100u);
  EXPECT_EQ(d.length, 4u);
  EXPECT_EQ(d.residual, 0u);
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + 4), msg);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(e.engine.dqap(6, 0x47, buf).psmid, 100u + static_cast<unsigned>(i));
  auto none = e.engine.dqap(6, 0x47, buf);
  EXPECT_EQ(none.status.response_code, AP_RESPONSE_NO_PENDING_REPLY);
  EXPECT_TRUE(none.status.queue_empty);
}

TEST(ApEngine, LargeRepliesArriveInParts) {
  Engine e;
  std::vector<uint8_t> msg(100);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i);
  ASSERT_EQ(e.engine.nqap(5, 4, 7, msg).response_code, AP_RESPONSE_NORMAL);
  std::vector<uint8_t> buf(40), got;
  for (size_t expect_residual : {60u, 20u, 0u}) {
    auto d = e.engine.dqap(5, 4, buf);
    EXPECT_EQ(d.psmid, 7u);
    EXPECT_EQ(d.residual, expect_residual);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(d.length));
  }
  EXPECT_EQ(got, msg);
  EXPECT_EQ(e.engine.outstanding(5, 4), 0u);
}

TEST(ApEngine, MessageLimitsAndSpecialCommands) {
  Engine e;
  EXPECT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(12288)).response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(12289)).response_code, AP_RESPONSE_MESSAGE_TOO_BIG);
  EXPECT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(8), true).response_code, AP_RESPONSE_NORMAL);
  e.host.cards[0].hwinfo.value &= ~ApHwinfo::APSC;
  EXPECT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(8), true).response_code, AP_RESPONSE_REQ_FAC_NOT_INST);
}

TEST(ApEngine, ResetDropsWorkAndRunsUntilTapqSeesItDone) {
  Engine e;
  ASSERT_EQ(e.engine.nqap(5, 4, 1, std::vector<uint8_t>(8)).response_code, AP_RESPONSE_NORMAL);
  e.engine.faults(5, 4).reset_polls = 3;
  EXPECT_EQ(e.engine.zapq(5, 4).response_code, AP_RESPONSE_NORMAL);
  EXPECT_EQ(e.engine.nqap(5, 4, 2, std::vector<uint8_t>(8)).response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  EXPECT_EQ(e.engine.rapq(5, 4).response_code, AP_RESPONSE_RESET_IN_PROGRESS);  // one is running already
  EXPECT_EQ(e.engine.tapq(5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  EXPECT_EQ(e.engine.tapq(5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  auto done = e.engine.tapq(5, 4);
  EXPECT_EQ(done.status.response_code, AP_RESPONSE_NORMAL);
  EXPECT_TRUE(done.status.queue_empty);
  e.engine.faults(5, 4).hold_reset = true;
  e.engine.rapq(5, 4);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(e.engine.tapq(5, 4).status.response_code, AP_RESPONSE_RESET_IN_PROGRESS);
  e.engine.faults(5, 4).busy = true;
  EXPECT_EQ(e.engine.tapq(5, 4).status.response_code, AP_RESPONSE_BUSY);
}

TEST(ApEngine, InterruptsAreEnabledAsynchronously) {
  Engine e;
  EXPECT_EQ(e.engine.aqic(5, 4, true, 0).response_code, AP_RESPONSE_INVALID_ADDRESS);
  EXPECT_EQ(e.engine.aqic(5, 4, false, 0x1000).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
  auto s = e.engine.aqic(5, 4, true, 0x1000);
  EXPECT_EQ(s.response_code, AP_RESPONSE_NORMAL);
  EXPECT_FALSE(s.irq_enabled);
  EXPECT_EQ(e.engine.aqic(5, 4, true, 0x1000).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
  EXPECT_TRUE(e.engine.tapq(5, 4).status.irq_enabled);
  EXPECT_EQ(e.engine.zapq(5, 4).irq_enabled, false);  // a reset disables them
  e.engine.tapq(5, 4);
  EXPECT_FALSE(e.engine.tapq(5, 4).status.irq_enabled);
  EXPECT_EQ(e.engine.aqic(5, 4, false, 0).response_code, AP_RESPONSE_OTHERWISE_CHANGED);
}

TEST(ApEngine, QciBlockMatchesTheHostFile) {
  Engine e;
  auto b = e.engine.qci();
  EXPECT_EQ(b[0], 0xF0);  // APSC APXA QACT RC8A
  EXPECT_EQ(b[1], 0x00);
  EXPECT_EQ(b[4], 255);
  EXPECT_EQ(b[5], 255);
  EXPECT_EQ(b[16], 0x06);  // adapters 5 and 6
  EXPECT_EQ(b[48], 0x08);  // domain 4
  EXPECT_EQ(b[48 + 8], 0x01);  // domain 0x47
  EXPECT_EQ(b[48 + 31], 0x01);  // domain 0xff
  EXPECT_EQ(b[80], 0x08);
}

}  // namespace
