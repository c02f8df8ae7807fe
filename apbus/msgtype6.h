// Type 6 request messages of the coprocessors, CCA (CEXnC, agent "CA") and
// EP11 (CEXnP, agent "XC"), and their type 86 replies, framed as zcrypt frames
// and parses them (zcrypt_msgtype6.c/.h, zcrypt_ccamisc.c, zcrypt_ep11misc.c,
// uapi asm/zcrypt.h). Big-endian throughout, as on s390.
//
// Simulated; everything else is answered as "not supported":
//   CCA, CPRBX version 2, parm block = function code + rule array (+ ...):
//     "RL" rule "RANDOM  "  rpl_datal random bytes (RAND_bytes) in the reply data
//                           block (fmt2 count2/offset2, CPRBX rpld_datal), as
//                           convert_type86_rng() reads them.
//     "FQ" rule "STATICSA"  serial number (first 8 chars of serialnr, blank
//          rule "STATICSB"  padded) and the SYM/ASYM/AES (SB: + APKA) master key
//                           states and verification patterns where
//                           cca_get_info() and opencryptoki read them.
//     any other verb/rule   ccp_rtcode 8, ccp_rscode 72.
//   EP11, CPRB version 4, payload = 0x30 sequence {function, domain, ...}:
//     function 38 (get_xcp_info) query 1 (module) or 3 (domain): the reply
//                           ep11_get_card_info() / ep11_get_domain_info() parse.
//     anything else         payload return value CKR_FUNCTION_NOT_SUPPORTED.
//   Master keys of every domain: current and old '2' (valid), new '3' (full);
//   verification patterns are SHA-256 of "keys, domain, register", stable;
//   "keys" is the card's master_keys name from the host file, or its id.
//   A reply that does not fit fromcardlen1/fromcardlen2 is replaced by the
//   error reply (CCA 8/72, EP11 CKR_BUFFER_TOO_SMALL).
//   8/72 is one of the pairs convert_type86_ica() maps to -EINVAL; it is not
//   claimed to be the reason a real CCA gives for an unknown verb.
//
// Error replies (zcrypt_error.h); what convert_error() makes of them:
//   82/0x23  shorter than the 0x58-byte header, or the length is not
//            0x58 + CEIL4(tocardlen1) + tocardlen2                -EAGAIN, offline
//   82/0x20  type byte not 0x06, an accelerator card, or an agent id
//            not the card's ("CA" on CEXnC, "XC" on CEXnP)        -EAGAIN, offline
//   82/0x29  offset1 not 0x58, offset2 not where the tocardlen2 block
//            starts (0 without one), offset3/4, to/fromcardlen3/4 -EAGAIN, offline
//   82/0x24  reserved header bytes (reserved1..6, right, apfs) set -EAGAIN, offline
//   88/0x22  the CPRB: tocardlen1 too short, cprb_len or version wrong,
//            parm block/payload beyond tocardlen1, hdr function code
//            not the parm block's, EP11 payload not {0x30 len, function,
//            domain}, fromcardlen1 too short for any reply        -EINVAL
//   82/0x10  internal failure (allocation)                        -EAGAIN, offline
// The header is zcrypt's own framing (a driver bug if wrong); the CPRB is the
// caller's (ZSECSENDCPRB/ZSENDEP11CPRB), hence -EINVAL for its faults.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "apbus/host_config.h"
#include "apbus/msgtype50.h"  // type82_error, REP82_* codes

namespace ap {

inline constexpr size_t TYPE6_HDR_SIZE = 0x58;   // struct type6_hdr
inline constexpr size_t CPRBX_SIZE = 0xDC;       // struct CPRBX
inline constexpr size_t EP11_CPRB_SIZE = 0x20;   // struct ep11_cprb
inline constexpr size_t TYPE86_FMT2_SIZE = 48;   // type86_hdr + type86_fmt2_ext

inline constexpr uint8_t REP88_ERROR_MESSAGE_MALFORMD = 0x22;

inline constexpr uint16_t CCA_RTCODE_FAILED = 8, CCA_RSCODE_INVALID = 72;
inline constexpr uint32_t EP11_GET_XCP_INFO = 38, EP11_QUERY_MODULE = 1, EP11_QUERY_DOMAIN = 3;
inline constexpr uint32_t CKR_FUNCTION_NOT_SUPPORTED = 0x54, CKR_BUFFER_TOO_SMALL = 0x150;

// The 8-byte type 88 error reply: 0x00, 0x88, 0, 0, reply code, 0, 0, 0.
std::vector<uint8_t> type88_error(uint8_t reply_code);

// Works off one type 6 message on a CCA or EP11 coprocessor: a type 86
// reply, or a type 82/88 error reply. apqi is the queue it came in on; the
// reply describes the addressed domain (type6_target_domain), which the
// engine has already checked against apqi and the control domains.
std::vector<uint8_t> process_type6(const CardConfig& card, unsigned apqi, std::span<const uint8_t> msg);

// The domain a type 6 request addresses (CCA: CPRBX domain; EP11: CPRB
// target_id), or nullopt if it is not a type 6 message with agent "CA"/"XC"
// or too short to tell.
std::optional<unsigned> type6_target_domain(std::span<const uint8_t> msg);

// Requests as zcrypt builds them.
// rng_type6cprb_msgx(): "RL" rule "RANDOM  ", nbytes in rpl_datal/fromcardlen2.
std::vector<uint8_t> make_cca_rng_request(unsigned domain, size_t nbytes);
// cca_query_crypto_facility(): "FQ" with a rule ("STATICSA", "STATICSB"), the
// 4 KiB verb data block included.
std::vector<uint8_t> make_cca_fq_request(unsigned domain, std::string_view rule = "STATICSA");
// ep11_query_info(): get_xcp_info (api 1) of a query type, a usage request
// (flags 0) with target_id and payload domain set as zcrypt sets them.
std::vector<uint8_t> make_ep11_info_request(unsigned domain, uint32_t query_type = EP11_QUERY_MODULE);

// Reply parsers: nullopt on an error reply, a non-zero return code or bad framing.
// convert_response_rng(): the random bytes.
std::optional<std::vector<uint8_t>> parse_cca_rng_reply(std::span<const uint8_t> reply);
// cca_query_crypto_facility(): the reply rule array and verb data (var array).
std::optional<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> parse_cca_fq_reply(std::span<const uint8_t> reply);
// ep11_query_info(): the query's data.
std::optional<std::vector<uint8_t>> parse_ep11_info_reply(std::span<const uint8_t> reply);

// cca_get_info()'s master-key registers, from FQ STATICSA and STATICSB as
// the kernel reads them: per register its state character ('1'..'3' for
// NEW, '1'..'2' for CUR and OLD) and its verification pattern (8 bytes,
// ASYM 16), kept only where the state says it is set.
struct CcaMasterKeys {
  struct Register {
    char state = 0;
    std::vector<uint8_t> mkvp;
  };
  enum Kind { AES, APKA, ASYM };
  enum Slot { NEW, CUR, OLD };
  Register reg[3][3];  // [kind][slot]
};
// nullopt if either query fails.
std::optional<CcaMasterKeys> cca_master_keys(const CardConfig& card, unsigned domain);

}  // namespace ap
