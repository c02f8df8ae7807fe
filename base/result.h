// Result<T>: a value or a positive kernel errno, carried unchanged from where
// the error arises to the FUSE reply (architecture rule 2).
#pragma once

#include <cerrno>
#include <cstdlib>
#include <utility>
#include <variant>

namespace base {

// A positive errno value, exactly as the kernel would return it negated.
struct Errno {
  int code;
  friend bool operator==(Errno, Errno) = default;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}  // NOLINT: implicit like std::expected
  Result(Errno e) : m_v(e) {}                  // NOLINT

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Errno error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Errno> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Errno e) : m_err(e.code) {}  // NOLINT
  bool has_value() const { return m_err == 0; }
  explicit operator bool() const { return has_value(); }
  Errno error() const { return Errno{m_err}; }

 private:
  int m_err = 0;
};

inline Result<void> ok() { return {}; }

}  // namespace base

// Propagates an error from a Result-returning expression (GCC/Clang statement
// expression, as SerenityOS' TRY).
#define SIM_TRY(expr)                          \
  ({                                           \
    auto _sim_r = (expr);                      \
    if (!_sim_r) return _sim_r.error();        \
    std::move(_sim_r).value();                 \
  })
#define SIM_TRY_VOID(expr)                     \
  do {                                         \
    auto _sim_r = (expr);                      \
    if (!_sim_r) return _sim_r.error();        \
  } while (0)
