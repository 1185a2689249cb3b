// POSIX cksum (what coreutils `cksum` prints): CRC-32, polynomial 0x04C11DB7,
// most significant bit first, initial value 0, over the data and then over its
// length in the fewest bytes (least significant first), complemented.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace peer {

class Cksum {
 public:
  Cksum() : table_(makeTable()) {}

  void update(const unsigned char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) feed(data[i]);
    length_ += size;
  }

  // The checksum of everything fed so far; the object is spent afterwards.
  std::uint32_t finish() {
    for (std::uint64_t n = length_; n != 0; n >>= 8) {
      feed(static_cast<unsigned char>(n & 0xFF));
    }
    return ~crc_;
  }

 private:
  static std::array<std::uint32_t, 256> makeTable() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i << 24;
      for (int bit = 0; bit < 8; ++bit) {
        c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
      }
      table[i] = c;
    }
    return table;
  }

  void feed(unsigned char byte) {
    crc_ = (crc_ << 8) ^ table_[((crc_ >> 24) ^ byte) & 0xFF];
  }

  std::array<std::uint32_t, 256> table_;
  std::uint32_t crc_ = 0;
  std::uint64_t length_ = 0;
};

inline std::uint32_t cksum(const std::string& data) {
  Cksum sum;
  sum.update(reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return sum.finish();
}

}  // namespace peer
