// Type 50 request messages of the crypto accelerators (RSA modular
// exponentiation and CRT, zcrypt_msgtype50.c) and their type 80 replies,
// computed with OpenSSL; malformed requests get a type 82 error reply.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "apbus/host_config.h"

namespace ap {

// Keyblock types and total message sizes (type50_meb*_msg, type50_crb*_msg).
inline constexpr uint16_t TYPE50_MEB1 = 0x0001, TYPE50_MEB2 = 0x0002, TYPE50_MEB3 = 0x0003;
inline constexpr uint16_t TYPE50_CRB1 = 0x0011, TYPE50_CRB2 = 0x0012, TYPE50_CRB3 = 0x0013;

// Reply codes of error replies (zcrypt_error.h).
inline constexpr uint8_t REP82_ERROR_MACHINE_FAILURE = 0x10;
inline constexpr uint8_t REP82_ERROR_MESSAGE_TYPE = 0x20;
inline constexpr uint8_t REP82_ERROR_INVALID_MSG_LEN = 0x23;
inline constexpr uint8_t REP82_ERROR_RESERVED_FIELD = 0x24;
inline constexpr uint8_t REP82_ERROR_FORMAT_FIELD = 0x29;
inline constexpr uint8_t REP82_ERROR_OPERAND_INVALID = 0x82;
inline constexpr uint8_t REP82_ERROR_OPERAND_SIZE = 0x84;
inline constexpr uint8_t REP82_ERROR_EVEN_MOD_IN_OPND = 0x85;

// The 8-byte error reply: 0x00, 0x82, 0, 0, reply code, 0, 0, 0.
std::vector<uint8_t> type82_error(uint8_t reply_code);

// Works off one type 50 message on an accelerator card: a type 80 reply
// (16-byte header, result right-aligned in the message's field size), or a
// type 82 error reply.
std::vector<uint8_t> process_type50(const CardConfig& card, std::span<const uint8_t> msg);

// Requests as zcrypt_msgtype50.c lays them out: the modulus length L picks
// the smallest of MEB1-3 / CRB1-3 that holds it; operands are big-endian
// and right-aligned in their fields. Empty if an operand does not fit.
std::vector<uint8_t> make_type50_me(std::span<const uint8_t> exponent, std::span<const uint8_t> modulus,
                                    std::span<const uint8_t> input);
// p, dp and u are the larger halves (q^-1 mod p), as the CRT fields take them.
std::vector<uint8_t> make_type50_crt(std::span<const uint8_t> p, std::span<const uint8_t> q, std::span<const uint8_t> dp,
                                     std::span<const uint8_t> dq, std::span<const uint8_t> u, std::span<const uint8_t> input,
                                     size_t modulus_len);
// The result in a type 80 reply, its last `len` bytes as zcrypt copies
// them; nothing for an error reply or one too short.
std::optional<std::vector<uint8_t>> type80_result(std::span<const uint8_t> reply, size_t len);

}  // namespace ap
