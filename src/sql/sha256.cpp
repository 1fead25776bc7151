// SHA-256 as FIPS 180-4 specifies it; small and dependency-free.
#include "sql/sha256.hpp"

#include <algorithm>
#include <cstring>

namespace retort::sql {
namespace {

constexpr std::array<std::uint32_t, 64> k_round{
    0x428a2f98U, 0x71374491U, 0xb5c0fbcfU, 0xe9b5dba5U, 0x3956c25bU, 0x59f111f1U, 0x923f82a4U,
    0xab1c5ed5U, 0xd807aa98U, 0x12835b01U, 0x243185beU, 0x550c7dc3U, 0x72be5d74U, 0x80deb1feU,
    0x9bdc06a7U, 0xc19bf174U, 0xe49b69c1U, 0xefbe4786U, 0x0fc19dc6U, 0x240ca1ccU, 0x2de92c6fU,
    0x4a7484aaU, 0x5cb0a9dcU, 0x76f988daU, 0x983e5152U, 0xa831c66dU, 0xb00327c8U, 0xbf597fc7U,
    0xc6e00bf3U, 0xd5a79147U, 0x06ca6351U, 0x14292967U, 0x27b70a85U, 0x2e1b2138U, 0x4d2c6dfcU,
    0x53380d13U, 0x650a7354U, 0x766a0abbU, 0x81c2c92eU, 0x92722c85U, 0xa2bfe8a1U, 0xa81a664bU,
    0xc24b8b70U, 0xc76c51a3U, 0xd192e819U, 0xd6990624U, 0xf40e3585U, 0x106aa070U, 0x19a4c116U,
    0x1e376c08U, 0x2748774cU, 0x34b0bcb5U, 0x391c0cb3U, 0x4ed8aa4aU, 0x5b9cca4fU, 0x682e6ff3U,
    0x748f82eeU, 0x78a5636fU, 0x84c87814U, 0x8cc70208U, 0x90befffaU, 0xa4506cebU, 0xbef9a3f7U,
    0xc67178f2U};

constexpr std::uint32_t rotr(std::uint32_t value, int bits) noexcept {
  return (value >> bits) | (value << (32 - bits));
}

}  // namespace

Sha256::Sha256() noexcept
    : m_state{0x6a09e667U, 0xbb67ae85U, 0x3c6ef372U, 0xa54ff53aU,
              0x510e527fU, 0x9b05688cU, 0x1f83d9abU, 0x5be0cd19U} {}

void Sha256::update(std::string_view data) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t left = data.size();
  m_length += left;
  if (m_buffered > 0) {
    const std::size_t take = std::min(left, m_buffer.size() - m_buffered);
    std::memcpy(m_buffer.data() + m_buffered, bytes, take);
    m_buffered += take;
    bytes += take;
    left -= take;
    if (m_buffered < m_buffer.size()) {
      return;
    }
    compress(m_buffer.data());
    m_buffered = 0;
  }
  while (left >= m_buffer.size()) {
    compress(bytes);
    bytes += m_buffer.size();
    left -= m_buffer.size();
  }
  std::memcpy(m_buffer.data(), bytes, left);
  m_buffered = left;
}

std::string Sha256::hex_digest() {
  const std::uint64_t bit_length = m_length * 8;
  static constexpr unsigned char k_pad[64] = {0x80U};
  const std::size_t pad = m_buffered < 56 ? 56 - m_buffered : 120 - m_buffered;
  update(std::string_view(reinterpret_cast<const char*>(k_pad), pad));
  std::array<char, 8> length_bytes{};
  for (std::size_t byte_idx = 0; byte_idx < 8; ++byte_idx) {
    length_bytes[byte_idx] = static_cast<char>((bit_length >> (56 - 8 * byte_idx)) & 0xffU);
  }
  update(std::string_view(length_bytes.data(), length_bytes.size()));

  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (const std::uint32_t word : m_state) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      out += k_hex[(word >> shift) & 0xfU];
    }
  }
  return out;
}

void Sha256::compress(const unsigned char* block) noexcept {
  std::array<std::uint32_t, 64> schedule{};
  for (std::size_t word_idx = 0; word_idx < 16; ++word_idx) {
    const unsigned char* p = block + 4 * word_idx;
    schedule[word_idx] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                         (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  }
  for (std::size_t word_idx = 16; word_idx < 64; ++word_idx) {
    const std::uint32_t w15 = schedule[word_idx - 15];
    const std::uint32_t w2 = schedule[word_idx - 2];
    const std::uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
    const std::uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
    schedule[word_idx] = schedule[word_idx - 16] + s0 + schedule[word_idx - 7] + s1;
  }
  std::uint32_t a = m_state[0];
  std::uint32_t b = m_state[1];
  std::uint32_t c = m_state[2];
  std::uint32_t d = m_state[3];
  std::uint32_t e = m_state[4];
  std::uint32_t f = m_state[5];
  std::uint32_t g = m_state[6];
  std::uint32_t h = m_state[7];
  for (std::size_t round = 0; round < 64; ++round) {
    const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const std::uint32_t choose = (e & f) ^ (~e & g);
    const std::uint32_t t1 = h + s1 + choose + k_round[round] + schedule[round];
    const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    const std::uint32_t t2 = s0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  m_state[0] += a;
  m_state[1] += b;
  m_state[2] += c;
  m_state[3] += d;
  m_state[4] += e;
  m_state[5] += f;
  m_state[6] += g;
  m_state[7] += h;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

}  // namespace retort::sql
