// Bitmap256: the kernel's 256-bit AP masks with inverted bit numbering
// (bit n is the n-th bit from the left: the MSB of word 0 is ID 0), so that
// the four 64-bit words print directly as "%016lx%016lx%016lx%016lx".
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>

namespace base {

class Bitmap256 {
 public:
  static constexpr unsigned BITS = 256;

  constexpr Bitmap256() = default;
  static constexpr Bitmap256 all() {
    Bitmap256 b;
    b.m_w.fill(~uint64_t{0});
    return b;
  }
  // Bits [0, n) set.
  static constexpr Bitmap256 first(unsigned n) {
    Bitmap256 b;
    for (unsigned i = 0; i < n && i < BITS; ++i) b.set(i);
    return b;
  }

  constexpr bool test(unsigned n) const { return n < BITS && (m_w[n / 64] >> (63 - n % 64)) & 1; }
  constexpr void set(unsigned n) { m_w[n / 64] |= uint64_t{1} << (63 - n % 64); }
  constexpr void clear(unsigned n) { m_w[n / 64] &= ~(uint64_t{1} << (63 - n % 64)); }
  constexpr void assign(unsigned n, bool v) { v ? set(n) : clear(n); }

  constexpr bool none() const { return (m_w[0] | m_w[1] | m_w[2] | m_w[3]) == 0; }
  constexpr bool any() const { return !none(); }
  constexpr bool is_all() const { return *this == all(); }
  int count() const {
    int c = 0;
    for (auto w : m_w) c += std::popcount(w);
    return c;
  }
  // Highest set bit number, or -1.
  int last() const {
    for (int i = 3; i >= 0; --i)
      if (m_w[i]) return i * 64 + 63 - std::countr_zero(m_w[i]);
    return -1;
  }
  // Calls f(n) for every set bit in ascending order.
  template <typename F>
  void for_each(F&& f) const {
    for (unsigned i = 0; i < 4; ++i)
      for (uint64_t w = m_w[i]; w;) {
        unsigned lead = static_cast<unsigned>(std::countl_zero(w));  // the leftmost set bit is the lowest id
        f(i * 64 + lead);
        w &= ~(uint64_t{1} << (63 - lead));
      }
  }

  constexpr uint64_t word(unsigned i) const { return m_w[i]; }
  constexpr void set_word(unsigned i, uint64_t v) { m_w[i] = v; }

  // 64 lower-case hex digits, no prefix.
  std::string hex() const;

  constexpr Bitmap256 operator&(const Bitmap256& o) const { return zip(o, [](uint64_t a, uint64_t b) { return a & b; }); }
  constexpr Bitmap256 operator|(const Bitmap256& o) const { return zip(o, [](uint64_t a, uint64_t b) { return a | b; }); }
  constexpr Bitmap256 operator~() const { return zip(*this, [](uint64_t a, uint64_t) { return ~a; }); }
  constexpr Bitmap256 andnot(const Bitmap256& o) const { return zip(o, [](uint64_t a, uint64_t b) { return a & ~b; }); }
  friend constexpr bool operator==(const Bitmap256&, const Bitmap256&) = default;

 private:
  template <typename F>
  constexpr Bitmap256 zip(const Bitmap256& o, F f) const {
    Bitmap256 r;
    for (unsigned i = 0; i < 4; ++i) r.m_w[i] = f(m_w[i], o.m_w[i]);
    return r;
  }
  std::array<uint64_t, 4> m_w{};
};

}  // namespace base
