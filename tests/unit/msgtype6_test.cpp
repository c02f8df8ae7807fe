// Type 6 requests on CCA and EP11 coprocessors. Replies are checked byte by
// byte at the offsets of the kernel's structs (type86_hdr, type86_fmt2_ext,
// CPRBX, ep11_cprb) and read back the way zcrypt_ccamisc.c and
// zcrypt_ep11misc.c read them, with offsets written out here on purpose.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "apbus/msgtype6.h"

namespace {

using namespace ap;
using Bytes = std::vector<uint8_t>;

uint32_t be(const Bytes& m, size_t off, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | m.at(off + i);
  return v;
}
void set(Bytes& m, size_t off, uint32_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) m.at(off + i) = static_cast<uint8_t>(v >> 8 * (n - 1 - i));
}
std::string str(const Bytes& m, size_t off, size_t n) { return {m.begin() + long(off), m.begin() + long(off + n)}; }

CardConfig cca() { return default_host().cards[0]; }  // 5, CEX5C, serial "SIM00005"
CardConfig accel() { return default_host().cards[1]; }
CardConfig ep11() {
  CardConfig c;
  c.id = 9;
  c.type = "CEX7P";
  c.mode = CardMode::EP11;
  c.serialnr = "93AABEET";
  return c;
}

// Reply code of an 8-byte error reply of the given type, 0 if it is not one.
int error_code(const Bytes& r, uint8_t type) {
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(r.at(1), type);
  return r.size() == 8 && r[1] == type ? r[4] : 0;
}

// The type 86 format 2 framing, as zcrypt_msgtype6_receive() and convert_type86_*() use it.
void check_type86(const Bytes& r, uint32_t count1, uint32_t count2) {
  ASSERT_GE(r.size(), 48u);
  EXPECT_EQ(Bytes(r.begin(), r.begin() + 8), (Bytes{0x00, 0x86, 0x02, 0, 0, 0, 0, 0}));
  EXPECT_EQ(be(r, 8, 8), 0u);         // reserved, apfs
  EXPECT_EQ(be(r, 16, 4), count1);    // count1
  EXPECT_EQ(be(r, 20, 4), 48u);       // offset1: the CPRB right after the headers
  EXPECT_EQ(be(r, 24, 4), count2);    // count2
  EXPECT_EQ(be(r, 28, 4), 48 + count1);  // offset2
  for (size_t off = 32; off < 48; off += 4) EXPECT_EQ(be(r, off, 4), 0u);  // count3..offset4
  EXPECT_EQ(r.size(), 48 + count1 + count2);
}

TEST(Msgtype6, RngRequestIsFramedAsZcryptFramesIt) {
  Bytes m = make_cca_rng_request(0x47, 4096);
  ASSERT_EQ(m.size(), 88u + 220 + 16);
  EXPECT_EQ(m[1], 0x06);
  EXPECT_EQ(be(m, 16, 4), 0x58u);       // offset1
  EXPECT_EQ(str(m, 32, 2), "CA");
  EXPECT_EQ(str(m, 52, 2), "RL");
  EXPECT_EQ(be(m, 56, 4), 236u);        // ToCardLen1
  EXPECT_EQ(be(m, 72, 4), 236u);        // FromCardLen1
  EXPECT_EQ(be(m, 76, 4), 4096u);       // FromCardLen2
  EXPECT_EQ(be(m, 88, 2), 0xDCu);       // cprb_len
  EXPECT_EQ(m[90], 0x02);               // cprb_ver_id
  EXPECT_EQ(str(m, 88 + 6, 2), "T2");
  EXPECT_EQ(be(m, 88 + 12, 4), 16u);    // req_parml
  EXPECT_EQ(be(m, 88 + 20, 4), 236u);   // rpl_msgbl
  EXPECT_EQ(be(m, 88 + 28, 4), 4096u);  // rpl_datal
  EXPECT_EQ(be(m, 88 + 170, 2), 0x47u); // domain
  EXPECT_EQ(str(m, 308, 2), "RL");
  EXPECT_EQ(be(m, 310, 2), 10u);
  EXPECT_EQ(str(m, 312, 8), "RANDOM  ");
  EXPECT_EQ(be(m, 320, 4), 0x00020002u);
}

TEST(Msgtype6, RngReturnsFreshRandomBytes) {
  for (size_t n : {0u, 1u, 8u, 100u, 4096u, 8000u}) {
    SCOPED_TRACE(n);
    Bytes req = make_cca_rng_request(0x47, n);
    Bytes r = process_type6(cca(), 0x47, req);
    check_type86(r, 228, static_cast<uint32_t>(n));
    const size_t x = 48;  // reply CPRBX
    EXPECT_EQ(be(r, x, 2), 0xDCu);
    EXPECT_EQ(r[x + 2], 0x02);
    EXPECT_EQ(be(r, x + 24, 4), 8u);  // rpld_parml
    EXPECT_EQ(be(r, x + 32, 4), n);   // rpld_datal
    EXPECT_EQ(be(r, x + 144, 4), 0u); // ccp_rtcode, ccp_rscode
    EXPECT_EQ(be(r, x + 170, 2), 0x47u);
    EXPECT_EQ(str(r, x + 220, 2), "RL");
    auto bytes = parse_cca_rng_reply(r);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), n);
    EXPECT_TRUE(std::equal(bytes->begin(), bytes->end(), r.begin() + 276));
    if (n >= 8) {
      EXPECT_NE(*bytes, *parse_cca_rng_reply(process_type6(cca(), 0x47, req)));
      EXPECT_NE(*bytes, Bytes(n, 0));
    }
  }
}

// cca_get_info(): STATICSA, then STATICSB for APKA.
struct CcaInfo {
  std::string serial;
  char state[4][3];  // SYM, ASYM, AES, APKA: new, cur, old
  Bytes asym[3], aes[3], apka[3], sym_cur, sym_new;
};

CcaInfo cca_info(const CardConfig& card, unsigned dom) {
  CcaInfo ci{};
  auto sa = parse_cca_fq_reply(process_type6(card, dom, make_cca_fq_request(dom, "STATICSA")));
  auto sb = parse_cca_fq_reply(process_type6(card, dom, make_cca_fq_request(dom, "STATICSB")));
  EXPECT_TRUE(sa && sb);
  if (!sa || !sb) return ci;
  auto& [ra, va] = *sa;
  auto& [rb, vb] = *sb;
  EXPECT_EQ(ra.size(), 80u);   // the kernel wants >= 10 * 8
  EXPECT_EQ(va.size(), 204u);  // and >= 204
  EXPECT_EQ(rb.size(), 104u);  // >= 13 * 8
  EXPECT_EQ(vb.size(), 240u);  // >= 240
  if (ra.size() < 80 || va.size() < 204 || rb.size() < 104 || vb.size() < 240) return ci;
  ci.serial = str(ra, 0, 8);
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j) ci.state[k][j] = static_cast<char>((k < 3 ? ra : rb)[(1 + 3 * k + j) * 8]);
  for (int j = 0; j < 3; ++j) {  // old, cur, new
    ci.asym[j] = Bytes(va.begin() + 64 + 20 * j, va.begin() + 80 + 20 * j);
    ci.aes[j] = Bytes(va.begin() + 172 + 12 * j, va.begin() + 180 + 12 * j);
    ci.apka[j] = Bytes(vb.begin() + 208 + 12 * j, vb.begin() + 216 + 12 * j);
  }
  // opencryptoki cca_get_mkvps(): register ids before the SYM/AES/APKA patterns.
  EXPECT_EQ(be(vb, 134, 2), 0x0f07u);
  EXPECT_EQ(be(vb, 146, 2), 0x0f06u);
  EXPECT_EQ(be(vb, 182, 2), 0x0f0bu);
  EXPECT_EQ(be(vb, 194, 2), 0x0f0au);
  EXPECT_EQ(be(vb, 218, 2), 0x0f0eu);
  EXPECT_EQ(be(vb, 230, 2), 0x0f0du);
  ci.sym_cur = Bytes(vb.begin() + 136, vb.begin() + 144);
  ci.sym_new = Bytes(vb.begin() + 148, vb.begin() + 156);
  EXPECT_TRUE(std::equal(va.begin(), va.end(), vb.begin()));  // SB extends SA
  return ci;
}

TEST(Msgtype6, FqReportsSerialAndMasterKeys) {
  Bytes req = make_cca_fq_request(4);
  EXPECT_EQ(req.size(), 88u + 220 + 4112);
  EXPECT_EQ(str(req, 52, 2), "FQ");
  EXPECT_EQ(str(req, 88 + 224, 8), "STATICSA");
  Bytes r = process_type6(cca(), 4, req);
  check_type86(r, 220 + 292, 0);
  EXPECT_EQ(be(r, 48 + 24, 4), 292u);  // rpld_parml

  CcaInfo a = cca_info(cca(), 4), again = cca_info(cca(), 4), other = cca_info(cca(), 0x47);
  EXPECT_EQ(a.serial, "SIM00005");
  for (auto& s : a.state) EXPECT_EQ(std::string(s, 3), "322");
  Bytes zero8(8, 0);
  for (const Bytes* p : {&a.aes[0], &a.aes[1], &a.aes[2], &a.apka[0], &a.apka[1], &a.apka[2], &a.sym_cur, &a.sym_new})
    EXPECT_NE(*p, zero8);
  EXPECT_NE(a.aes[1], a.aes[0]);
  EXPECT_NE(a.aes[1], a.apka[1]);
  EXPECT_NE(a.asym[1], a.asym[2]);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(a.aes[j], again.aes[j]);
    EXPECT_EQ(a.apka[j], again.apka[j]);
    EXPECT_EQ(a.asym[j], again.asym[j]);
    EXPECT_NE(a.aes[j], other.aes[j]);
    EXPECT_NE(a.apka[j], other.apka[j]);
  }
  EXPECT_EQ(a.sym_cur, again.sym_cur);
  EXPECT_NE(a.sym_cur, other.sym_cur);

  CardConfig named = cca();
  named.serialnr = "AB12";
  EXPECT_EQ(cca_info(named, 4).serial, "AB12    ");
  named.id = 6;
  EXPECT_NE(cca_info(named, 4).aes[1], a.aes[1]);  // patterns are per card
}

// cca_master_keys() reads what the test's own parser reads; cards that hold
// the same named master keys have the same patterns per domain.
TEST(Msgtype6, MasterKeysAsCcaGetInfoReadsThem) {
  auto mk = cca_master_keys(cca(), 4);
  ASSERT_TRUE(mk);
  CcaInfo ci = cca_info(cca(), 4);
  for (int j = 0; j < 3; ++j) {  // old, cur, new
    int slot = 2 - j;
    EXPECT_EQ(mk->reg[CcaMasterKeys::AES][slot].mkvp, ci.aes[j]);
    EXPECT_EQ(mk->reg[CcaMasterKeys::APKA][slot].mkvp, ci.apka[j]);
    EXPECT_EQ(mk->reg[CcaMasterKeys::ASYM][slot].mkvp, ci.asym[j]);
  }
  EXPECT_EQ(mk->reg[CcaMasterKeys::AES][CcaMasterKeys::NEW].state, '3');
  EXPECT_EQ(mk->reg[CcaMasterKeys::APKA][CcaMasterKeys::CUR].state, '2');

  CardConfig a = cca(), b = cca();
  b.id = 9;
  EXPECT_NE(cca_master_keys(b, 4)->reg[CcaMasterKeys::AES][CcaMasterKeys::CUR].mkvp,
            mk->reg[CcaMasterKeys::AES][CcaMasterKeys::CUR].mkvp);
  a.master_keys = b.master_keys = "prod";
  auto ka = cca_master_keys(a, 4), kb = cca_master_keys(b, 4);
  for (int k = 0; k < 3; ++k)
    for (int slot = 0; slot < 3; ++slot) EXPECT_EQ(ka->reg[k][slot].mkvp, kb->reg[k][slot].mkvp);
  EXPECT_NE(cca_master_keys(a, 0x47)->reg[CcaMasterKeys::AES][CcaMasterKeys::CUR].mkvp,
            ka->reg[CcaMasterKeys::AES][CcaMasterKeys::CUR].mkvp);  // per domain
  b.master_keys = "test";
  EXPECT_NE(cca_master_keys(b, 4)->reg[CcaMasterKeys::ASYM][CcaMasterKeys::CUR].mkvp,
            ka->reg[CcaMasterKeys::ASYM][CcaMasterKeys::CUR].mkvp);
}

TEST(Msgtype6, UnsupportedCcaRequestsFailWithRtcode8) {
  auto rt = [](const Bytes& req) {
    Bytes r = process_type6(cca(), 4, req);
    EXPECT_EQ(r.at(1), 0x86);
    check_type86(r, 220, 0);
    EXPECT_FALSE(parse_cca_rng_reply(r));
    return std::pair{be(r, 48 + 144, 2), be(r, 48 + 146, 2)};
  };
  const std::pair<uint32_t, uint32_t> invalid{8, 72};
  Bytes m = make_cca_rng_request(4, 16);
  m[52] = m[308] = 'P', m[53] = m[309] = 'K';  // another verb
  EXPECT_EQ(rt(m), invalid);
  m = make_cca_rng_request(4, 16);
  std::copy_n("ODD     ", 8, m.begin() + 312);  // another rule
  EXPECT_EQ(rt(m), invalid);
  EXPECT_EQ(rt(make_cca_fq_request(4, "STATICSX")), invalid);
  m = make_cca_rng_request(4, 64);
  set(m, 76, 32, 4);  // fromcardlen2 below rpl_datal
  EXPECT_EQ(rt(m), invalid);
  EXPECT_EQ(rt(make_cca_rng_request(4, 12 * 1024)), invalid);  // beyond the card's message size
  m = make_cca_fq_request(4);
  set(m, 72, 300, 4);  // fromcardlen1 too short for the FQ reply
  EXPECT_EQ(rt(m), invalid);
}

TEST(Msgtype6, Ep11InfoQueries) {
  Bytes m = make_ep11_info_request(0x2b);
  ASSERT_EQ(m.size(), 88u + 60);
  EXPECT_EQ(str(m, 32, 2), "XC");
  EXPECT_EQ(be(m, 48, 2), 0x0001u);  // rqid
  EXPECT_EQ(be(m, 52, 2), 0u);       // function code
  EXPECT_EQ(be(m, 56, 4), 60u);      // tocardlen1
  EXPECT_EQ(be(m, 88, 2), 0x20u);    // cprb_len
  EXPECT_EQ(m[90], 0x04);
  EXPECT_EQ(m[93], 0x00);            // flags: usage
  EXPECT_EQ(str(m, 94, 2), "T4");
  EXPECT_EQ(be(m, 100, 4), 0x2bu);   // target_id
  EXPECT_EQ(be(m, 116, 4), 28u);     // payload_len
  EXPECT_EQ(be(m, 120, 4), 0x3082'0018u);
  EXPECT_EQ(be(m, 124, 2), 0x0404u);
  EXPECT_EQ(be(m, 126, 4), 0x0001'0026u);  // api 1, function 38

  Bytes r = process_type6(ep11(), 0x2b, m);
  check_type86(r, 32 + 26 + 196, 0);
  EXPECT_EQ(be(r, 48, 2), 0x20u);
  EXPECT_EQ(r[50], 0x04);
  EXPECT_EQ(be(r, 48 + 16, 4), 0u);         // ret_code
  EXPECT_EQ(be(r, 48 + 28, 4), 26u + 196);  // payload_len
  auto info = parse_ep11_info_reply(r);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->size(), 196u);  // struct ep11_module_query_info
  EXPECT_EQ(str(*info, 108, 16), "        93AABEET");
  EXPECT_GE(be(*info, 0, 4), 4u);  // API_ord_nr

  Bytes d1 = *parse_ep11_info_reply(process_type6(ep11(), 0x2b, make_ep11_info_request(0x2b, 3)));
  Bytes d2 = *parse_ep11_info_reply(process_type6(ep11(), 0x2c, make_ep11_info_request(0x2c, 3)));
  ASSERT_EQ(d1.size(), 80u);  // struct ep11_domain_query_info
  EXPECT_EQ(be(d1, 0, 4), 0x2bu);
  EXPECT_EQ(be(d1, 68, 4), 0x12u);  // imprint mode left, current WK valid
  EXPECT_NE(Bytes(d1.begin() + 4, d1.begin() + 36), Bytes(32, 0));
  EXPECT_NE(Bytes(d1.begin() + 4, d1.begin() + 36), Bytes(d2.begin() + 4, d2.begin() + 36));
  EXPECT_EQ(d1, *parse_ep11_info_reply(process_type6(ep11(), 0x2b, make_ep11_info_request(0x2b, 3))));
}

TEST(Msgtype6, UnsupportedEp11RequestsReturnCkrFunctionNotSupported) {
  Bytes m = make_ep11_info_request(3);
  set(m, 126, 0x0001'0015, 4);  // GenerateKey
  Bytes r = process_type6(ep11(), 3, m);
  check_type86(r, 32 + 22, 0);
  EXPECT_EQ(be(r, 80, 4), 0x3082'0012u);  // 18 bytes: function, domain, return value
  EXPECT_EQ(be(r, 84, 2), 0x0404u);
  EXPECT_EQ(be(r, 86, 4), 0x0001'0015u);
  EXPECT_EQ(be(r, 92, 4), 3u);
  EXPECT_EQ(be(r, 96, 2), 0x0404u);
  EXPECT_EQ(be(r, 98, 4), 0x54u);
  EXPECT_FALSE(parse_ep11_info_reply(r));

  m = make_ep11_info_request(3);
  set(m, 72, 60, 4);  // fromcardlen1 too short for module info
  r = process_type6(ep11(), 3, m);
  check_type86(r, 32 + 22, 0);
  EXPECT_EQ(be(r, 98, 4), 0x150u);  // CKR_BUFFER_TOO_SMALL
}

TEST(Msgtype6, TargetDomain) {
  EXPECT_EQ(type6_target_domain(make_cca_rng_request(0x47, 8)), 0x47u);
  EXPECT_EQ(type6_target_domain(make_cca_fq_request(0xab)), 0xabu);
  EXPECT_EQ(type6_target_domain(make_ep11_info_request(0x2b)), 0x2bu);
  Bytes m = make_cca_rng_request(0x47, 8);
  EXPECT_EQ(type6_target_domain(Bytes(m.begin(), m.begin() + 88 + 171)), std::nullopt);
  EXPECT_EQ(type6_target_domain(Bytes(m.begin(), m.begin() + 88 + 172)), 0x47u);
  m = make_ep11_info_request(0x2b);
  EXPECT_EQ(type6_target_domain(Bytes(m.begin(), m.begin() + 103)), std::nullopt);
  m[1] = 0x50;
  EXPECT_EQ(type6_target_domain(m), std::nullopt);
  EXPECT_EQ(type6_target_domain(Bytes{}), std::nullopt);
}

TEST(Msgtype6, MalformedRequestsGetErrorReplies) {
  const Bytes good = make_cca_rng_request(4, 16);
  auto c82 = [](const Bytes& m, const CardConfig& card = cca()) { return error_code(process_type6(card, 4, m), 0x82); };
  auto c88 = [](const Bytes& m, const CardConfig& card = cca()) { return error_code(process_type6(card, 4, m), 0x88); };
  auto with = [&](size_t off, uint32_t v, size_t n, Bytes m = {}) {
    if (m.empty()) m = good;
    set(m, off, v, n);
    return m;
  };
  EXPECT_EQ(c82(Bytes(good.begin(), good.begin() + 87)), 0x23);
  EXPECT_EQ(c82(Bytes(good.begin(), good.end() - 4)), 0x23);
  Bytes m = good;
  m.push_back(0);
  EXPECT_EQ(c82(m), 0x23);
  EXPECT_EQ(c82(with(56, 240, 4)), 0x23);  // tocardlen1 past the end
  EXPECT_EQ(c82(with(1, 0x50, 1)), 0x20);
  EXPECT_EQ(c82(good, accel()), 0x20);
  EXPECT_EQ(c82(good, ep11()), 0x20);                                  // "CA" on a CEXnP
  EXPECT_EQ(c82(make_ep11_info_request(4)), 0x20);                     // "XC" on a CEXnC
  EXPECT_EQ(c82(with(32, 'Z', 1)), 0x20);
  EXPECT_EQ(c82(with(16, 0x60, 4)), 0x29);                             // offset1
  EXPECT_EQ(c82(with(20, 0x58 + 236, 4)), 0x29);                       // offset2 without a data block
  EXPECT_EQ(c82(with(64, 4, 4)), 0x29);                                // tocardlen3
  EXPECT_EQ(c82(with(84, 4, 4)), 0x29);                                // fromcardlen4
  m = good;
  m.insert(m.end(), 8, 0);
  set(m, 60, 8, 4);  // a data block but offset2 not set
  EXPECT_EQ(c82(m), 0x29);
  set(m, 20, 0x58 + 236, 4);
  EXPECT_EQ(process_type6(cca(), 4, m)[1], 0x86);  // now well framed
  for (size_t off : {0u, 3u, 4u, 9u, 11u, 15u, 50u, 55u}) EXPECT_EQ(c82(with(off, 1, 1)), 0x24) << off;
  EXPECT_EQ(c88(with(88, 0xDE, 2)), 0x22);                             // cprb_len
  EXPECT_EQ(c88(with(90, 0x03, 1)), 0x22);                             // cprb_ver_id
  EXPECT_EQ(c88(with(88 + 12, 17, 4)), 0x22);                          // req_parml past tocardlen1
  EXPECT_EQ(c88(with(88 + 12, 1, 4)), 0x22);                           // no function code
  EXPECT_EQ(c88(with(52, 'F', 1)), 0x22);                              // hdr function code differs
  EXPECT_EQ(c88(with(72, 200, 4)), 0x22);                              // fromcardlen1 < CPRBX
  m = Bytes(good.begin(), good.begin() + 88 + 220);  // tocardlen1 = just the CPRBX
  set(m, 56, 220, 4);
  EXPECT_EQ(c88(m), 0x22);

  const Bytes e = make_ep11_info_request(4);
  auto ewith = [&](size_t off, uint32_t v, size_t n) { return with(off, v, n, e); };
  EXPECT_EQ(c88(ewith(88, 0x22, 2), ep11()), 0x22);                    // cprb_len
  EXPECT_EQ(c88(ewith(90, 0x02, 1), ep11()), 0x22);                    // cprb_ver_id
  EXPECT_EQ(c88(ewith(116, 29, 4), ep11()), 0x22);                     // payload_len past tocardlen1
  EXPECT_EQ(c88(ewith(120, 0x31, 1), ep11()), 0x22);                   // not a sequence
  EXPECT_EQ(c88(ewith(121, 0x83, 1), ep11()), 0x22);                   // length format
  EXPECT_EQ(c88(ewith(122, 0x40, 2), ep11()), 0x22);                   // length past the payload
  EXPECT_EQ(c88(ewith(130, 0x05, 1), ep11()), 0x22);                   // domain tag
  EXPECT_EQ(c88(ewith(72, 50, 4), ep11()), 0x22);                      // fromcardlen1 too short for any reply
}

// Random bytes and damaged requests: never a crash, always a reply of a known
// type; a type 86 reply's blocks lie inside it.
TEST(Msgtype6, FuzzNeverCrashes) {
  std::mt19937 rng(6);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n)(rng); };
  const Bytes seeds[] = {make_cca_rng_request(4, 32), make_cca_fq_request(4), make_cca_fq_request(4, "STATICSB"),
                         make_ep11_info_request(4), make_ep11_info_request(4, 3)};
  const CardConfig cards[] = {cca(), ep11(), accel()};
  size_t by_type[3] = {};
  for (int i = 0; i < 5000; ++i) {
    Bytes m;
    const CardConfig* card = &cards[pick(2)];
    if (i % 5 == 0) {
      m.resize(pick(400));
      for (auto& b : m) b = static_cast<uint8_t>(pick(255));
      if (m.size() > 1 && pick(1)) m[1] = 0x06;
    } else {
      size_t s = pick(4);
      m = seeds[s];
      if (pick(4)) card = &cards[s < 3 ? 0 : 1];  // mostly the card the request is for
      for (size_t k = pick(3); k > 0; --k) {     // mostly inside the CPRB
        size_t pos = pick(2) ? 88 + pick(std::min<size_t>(m.size() - 89, 160)) : pick(m.size() - 1);
        m[pos] = static_cast<uint8_t>(pick(255));
      }
      if (pick(5) == 0) set(m, 56 + 4 * pick(7), static_cast<uint32_t>(rng()) >> pick(31), 4);  // a length field
      if (pick(5) == 0) m.resize(pick(m.size()));
    }
    Bytes r = process_type6(*card, 4, m);
    (void)type6_target_domain(m);
    (void)parse_cca_rng_reply(r), (void)parse_cca_fq_reply(r), (void)parse_ep11_info_reply(r);
    ASSERT_GE(r.size(), 8u);
    ASSERT_TRUE(r[1] == 0x82 || r[1] == 0x86 || r[1] == 0x88) << int(r[1]);
    by_type[r[1] == 0x82 ? 0 : r[1] == 0x86 ? 1 : 2]++;
    if (r[1] == 0x86) {
      ASSERT_GE(r.size(), 48u);
      ASSERT_LE(uint64_t{be(r, 20, 4)} + be(r, 16, 4), r.size());
      ASSERT_LE(uint64_t{be(r, 28, 4)} + be(r, 24, 4), r.size());
    } else {
      ASSERT_EQ(r.size(), 8u);
    }
  }
  // The mutations reach all three outcomes.
  for (size_t n : by_type) EXPECT_GT(n, 150u);
}

}  // namespace
