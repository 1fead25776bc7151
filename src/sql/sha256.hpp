// SHA-256 (FIPS 180-4), for statement fingerprints and migration checksums that the ledger
// stores and later compares.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace retort::sql {

// Incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256() noexcept;
  void update(std::string_view data) noexcept;
  // 64 lowercase hex digits. Ends the computation: call update() no more after it.
  [[nodiscard]] std::string hex_digest();

 private:
  void compress(const unsigned char* block) noexcept;

  std::array<std::uint32_t, 8> m_state{};
  std::array<unsigned char, 64> m_buffer{};
  std::size_t m_buffered = 0;
  std::uint64_t m_length = 0;  // bytes so far
};

[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace retort::sql
