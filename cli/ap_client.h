// `mdevsim ap rsa|rng|selftest`: requests built here, sent with NQAP and
// received with DQAP through the simulator's control socket, as the host or
// as a guest (a non-empty `guest`).
#pragma once

#include <string>

namespace mdevsim {

// RSA with the key in a PEM file: op "public" (x^e mod n), "me" (x^d mod n)
// or "crt" (the private operation by CRT); prints the result in hex. With
// `check`, the result is also computed by OpenSSL and compared.
int ap_rsa(const std::string& sys, const std::string& guest, const std::string& apqn, const std::string& key_file,
           const std::string& op, const std::string& input_hex, bool check);
// CCA random number generation ("RL" "RANDOM  "): prints the bytes in hex.
int ap_rng(const std::string& sys, const std::string& guest, const std::string& apqn, size_t bytes);
// A mixed workload over every usable queue of the view (RSA ME and CRT of
// 1024/2048/4096 bits on accelerators, RNG and facility queries on CCA,
// module queries on EP11, malformed requests), every result checked
// against OpenSSL or the expected error reply.
int ap_selftest(const std::string& sys, const std::string& guest, unsigned requests);

}  // namespace mdevsim
