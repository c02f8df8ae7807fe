// Type 50 RSA requests on an accelerator: every result is checked against
// OpenSSL computing the same operation on its own (RSA without padding).
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <memory>

#include "apbus/msgtype50.h"

namespace {

using namespace ap;

struct Key {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, EVP_PKEY_free};
  BIGNUM *n = nullptr, *e = nullptr, *p = nullptr, *q = nullptr, *dp = nullptr, *dq = nullptr, *u = nullptr;
  explicit Key(unsigned bits) {
    pkey.reset(EVP_RSA_gen(bits));
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, &p);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, &q);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, &dp);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, &dq);
    EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &u);
  }
  ~Key() {
    for (BIGNUM* b : {n, e, p, q, dp, dq, u}) BN_free(b);
  }
  size_t bytes() const { return static_cast<size_t>(BN_num_bytes(n)); }
};

// OpenSSL's own raw RSA, public (encrypt) or private (decrypt).
std::vector<uint8_t> openssl_raw(const Key& k, const std::vector<uint8_t>& in, bool priv) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(k.pkey.get(), nullptr), EVP_PKEY_CTX_free);
  priv ? EVP_PKEY_decrypt_init(ctx.get()) : EVP_PKEY_encrypt_init(ctx.get());
  EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING);
  std::vector<uint8_t> out(k.bytes());
  size_t len = out.size();
  int rc = priv ? EVP_PKEY_decrypt(ctx.get(), out.data(), &len, in.data(), in.size())
                : EVP_PKEY_encrypt(ctx.get(), out.data(), &len, in.data(), in.size());
  EXPECT_EQ(rc, 1);
  out.resize(len);
  return out;
}

std::vector<uint8_t> bytes(const BIGNUM* v) {
  std::vector<uint8_t> b(static_cast<size_t>(BN_num_bytes(v)));
  BN_bn2bin(v, b.data());
  return b;
}

// Requests built by the library's builders, as the CLI builds them.
std::vector<uint8_t> me_msg(const Key& k, const BIGNUM* exp, const std::vector<uint8_t>& x) {
  return make_type50_me(bytes(exp), bytes(k.n), x);
}

std::vector<uint8_t> crt_msg(const Key& k, const std::vector<uint8_t>& c) {
  return make_type50_crt(bytes(k.p), bytes(k.q), bytes(k.dp), bytes(k.dq), bytes(k.u), c, k.bytes());
}

// The result: the last L bytes of a type 80 reply, as zcrypt copies it.
std::vector<uint8_t> result_of(const std::vector<uint8_t>& reply, size_t len) {
  EXPECT_GE(reply.size(), 16 + len);
  EXPECT_EQ(reply[1], 0x80);
  EXPECT_EQ(size_t(reply[2] << 8 | reply[3]), reply.size());
  return {reply.end() - static_cast<long>(len), reply.end()};
}

CardConfig accel() { return default_host().cards[1]; }  // CEX5A with AP4KM/AP4KC

TEST(Msgtype50, MeAndCrtMatchOpenSsl) {
  for (unsigned bits : {1024u, 2048u, 3072u}) {
    SCOPED_TRACE(bits);
    Key k(bits);
    std::vector<uint8_t> x(k.bytes());
    RAND_bytes(x.data(), static_cast<int>(x.size()));
    x[0] &= 0x3f;  // below the modulus
    auto c = result_of(process_type50(accel(), me_msg(k, k.e, x)), k.bytes());
    EXPECT_EQ(c, openssl_raw(k, x, false));
    auto back = result_of(process_type50(accel(), crt_msg(k, c)), k.bytes());
    EXPECT_EQ(back, openssl_raw(k, c, true));
    EXPECT_EQ(back, x);
  }
}

// More keys in turn than a thread keeps Montgomery contexts for (4), each
// twice: a context found or dropped for the wrong modulus shows as a wrong
// result.
TEST(Msgtype50, ManyKeysInTurn) {
  std::vector<std::unique_ptr<Key>> keys;
  for (int i = 0; i < 6; ++i) keys.push_back(std::make_unique<Key>(1024));
  for (int round = 0; round < 2; ++round)
    for (auto& k : keys) {
      std::vector<uint8_t> x(k->bytes());
      RAND_bytes(x.data(), static_cast<int>(x.size()));
      x[0] &= 0x3f;
      EXPECT_EQ(result_of(process_type50(accel(), crt_msg(*k, x)), k->bytes()), openssl_raw(*k, x, true));
      EXPECT_EQ(result_of(process_type50(accel(), me_msg(*k, k->e, x)), k->bytes()), openssl_raw(*k, x, false));
    }
}

TEST(Msgtype50, MalformedRequestsGetType82Replies) {
  Key k(1024);
  std::vector<uint8_t> x(k.bytes(), 1);
  auto good = me_msg(k, k.e, x);
  auto code = [&](std::vector<uint8_t> m, const CardConfig& card = accel()) {
    auto r = process_type50(card, m);
    EXPECT_EQ(r.size(), 8u);
    EXPECT_EQ(r[1], 0x82);
    return r.size() == 8 ? r[4] : 0;
  };
  EXPECT_EQ(code(std::vector<uint8_t>(8)), REP82_ERROR_INVALID_MSG_LEN);
  auto m = good;
  m[1] = 0x51;
  EXPECT_EQ(code(m), REP82_ERROR_MESSAGE_TYPE);
  EXPECT_EQ(code(good, default_host().cards[0]), REP82_ERROR_MESSAGE_TYPE);  // a CCA coprocessor
  m = good;
  m.push_back(0);
  EXPECT_EQ(code(m), REP82_ERROR_INVALID_MSG_LEN);
  m = good;
  m[9] = 0x07;
  EXPECT_EQ(code(m), REP82_ERROR_FORMAT_FIELD);
  m = good;
  m[12] = 1;
  EXPECT_EQ(code(m), REP82_ERROR_RESERVED_FIELD);
  m = good;
  m[16 + 2 * 128 - 1] &= 0xfe;  // even modulus
  EXPECT_EQ(code(m), REP82_ERROR_EVEN_MOD_IN_OPND);
  m = good;
  std::fill(m.begin() + 16 + 2 * 128, m.end(), 0xff);  // message above the modulus
  EXPECT_EQ(code(m), REP82_ERROR_OPERAND_INVALID);
  CardConfig no4k = accel();
  no4k.hwinfo.value &= ~ApHwinfo::MEX4K;
  Key big(3072);
  EXPECT_EQ(code(me_msg(big, big.e, std::vector<uint8_t>(big.bytes(), 1)), no4k), REP82_ERROR_OPERAND_SIZE);
}

}  // namespace

namespace {

TEST(Msgtype50, BuildersRefuseWhatDoesNotFit) {
  std::vector<uint8_t> n(256, 0xff), e{1, 0, 1};
  EXPECT_EQ(ap::make_type50_me(e, n, std::vector<uint8_t>(256, 1)).size(), 16u + 3 * 256);
  EXPECT_TRUE(ap::make_type50_me(e, n, std::vector<uint8_t>(257, 1)).empty());  // input wider than the field
  EXPECT_TRUE(ap::make_type50_me(e, std::vector<uint8_t>(513, 1), e).empty());   // no layout above 4096 bits
  std::vector<uint8_t> half(128, 1);
  EXPECT_EQ(ap::make_type50_crt(half, half, half, half, half, n, 256).size(), 0x390u);
  EXPECT_TRUE(ap::make_type50_crt(std::vector<uint8_t>(129, 1), half, half, half, half, n, 256).empty());
  EXPECT_FALSE(ap::type80_result(ap::type82_error(0x23), 8));
}

}  // namespace
