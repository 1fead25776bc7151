// Result<T, E>: a value or an expected failure (tl::expected style, C++20 has no std::expected).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace retort::base {

template <typename E>
struct Failure {
  E value;
};

template <typename E>
Failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

// A value of T, or a failure of E. Reading the wrong alternative is a bug (asserted).
template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Failure<E> failure)                                             // NOLINT: implicit
      : m_data(std::in_place_index<1>, std::move(failure.value)) {}

  [[nodiscard]] bool ok() const noexcept { return m_data.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok() && "Result::value() on a failure");
    return std::get<0>(m_data);
  }
  const T& value() const& {
    assert(ok() && "Result::value() on a failure");
    return std::get<0>(m_data);
  }
  T&& value() && {
    assert(ok() && "Result::value() on a failure");
    return std::get<0>(std::move(m_data));
  }
  const E& error() const& {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(m_data);
  }
  E&& error() && {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(std::move(m_data));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> m_data;
};

}  // namespace retort::base
