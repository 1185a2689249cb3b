// The 1028 packets of one upload: AES-256-CBC with a zero IV and PKCS#7
// padding (Crypto++ StreamTransformationFilter), optionally sent after 16
// zero bytes, cut into packets numbered 1..N.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/filters.h>
#include <cryptopp/modes.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "wire.hpp"

namespace peer {

struct UploadDialect {
  bool ivPrefix = true;        // 16 zero bytes before the ciphertext
  bool perPacketSize = true;   // ContentSize = this packet's content length
  std::size_t packetBytes = 1024 * 1024;
};

inline std::string encryptFile(const std::string& aesKey,
                               const std::string& plain) {
  CryptoPP::byte iv[CryptoPP::AES::BLOCKSIZE] = {0};
  CryptoPP::CBC_Mode<CryptoPP::AES>::Encryption encryption;
  encryption.SetKeyWithIV(reinterpret_cast<const CryptoPP::byte*>(aesKey.data()),
                          aesKey.size(), iv);
  std::string cipher;
  CryptoPP::StringSource source(
      plain, true,
      new CryptoPP::StreamTransformationFilter(encryption,
                                               new CryptoPP::StringSink(cipher)));
  return cipher;
}

// The bytes an upload sends (prefix and ciphertext) and its 1028 payloads,
// made one at a time so a large file is held twice, not three times.
class FileUpload {
 public:
  FileUpload(const std::string& aesKey, std::string fileName,
             const std::string& plain, const UploadDialect& dialect)
      : fileName_(std::move(fileName)), origSize_(plain.size()),
        dialect_(dialect) {
    // OrigFileSize and a total ContentSize (plain + padding + prefix) are u32.
    if (plain.size() > UINT32_MAX - 32) throw std::runtime_error("File over 4 GiB");
    if (dialect.ivPrefix) sent_.assign(16, '\0');
    sent_ += encryptFile(aesKey, plain);
    packets_ = (sent_.size() + dialect.packetBytes - 1) / dialect.packetBytes;
    if (packets_ > UINT16_MAX) throw std::runtime_error("Over 65535 packets");
  }

  std::size_t packets() const { return packets_; }

  // The payload of packet `number` (1-based), without its header.
  std::string packet(std::size_t number) const {
    std::size_t start = (number - 1) * dialect_.packetBytes;
    std::size_t length = std::min(dialect_.packetBytes, sent_.size() - start);
    std::string payload;
    putLe(payload, dialect_.perPacketSize ? length : sent_.size(), 4);
    putLe(payload, origSize_, 4);
    putLe(payload, number, 2);
    putLe(payload, packets_, 2);
    payload += nameField(fileName_);
    payload.append(sent_, start, length);
    return payload;
  }

 private:
  std::string fileName_;
  std::size_t origSize_;
  UploadDialect dialect_;
  std::string sent_;
  std::size_t packets_;
};

}  // namespace peer
