// RSA identity of the client, made and used the way the classic Crypto++
// client does: InvertibleRSAFunction::Initialize(rng, 1024) (exponent 17),
// X.509 SubjectPublicKeyInfo DER on the wire, PKCS#8 DER in base64 in
// me.info, RSAES-OAEP-SHA1 for the session key.
#pragma once

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <cryptopp/osrng.h>
#include <cryptopp/rsa.h>

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <string>

#include "wire.hpp"

namespace peer {

// How the 1026 key field is laid out (the dialects of docs/protocol.md).
enum class KeyField {
  k160,       // exponent 17: the 160-byte SPKI alone (payload 415)
  k162Junk,   // exponent 17: SPKI + 2 junk bytes, as the classic client sends
  k162E65537  // exponent 65537: its SPKI is exactly 162 bytes
};

inline CryptoPP::RSA::PrivateKey makeKey(CryptoPP::RandomNumberGenerator& rng,
                                         KeyField field) {
  CryptoPP::InvertibleRSAFunction params;
  if (field == KeyField::k162E65537) {
    params.Initialize(rng, 1024, CryptoPP::Integer(65537));
  } else {
    params.Initialize(rng, 1024);  // Crypto++'s default exponent: 17
  }
  return CryptoPP::RSA::PrivateKey(params);
}

// The key field of 1026 for `key` in the chosen layout.
inline std::string keyField(CryptoPP::RandomNumberGenerator& rng,
                            const CryptoPP::RSA::PrivateKey& key,
                            KeyField field) {
  CryptoPP::RSA::PublicKey publicKey(key);
  std::string der;
  CryptoPP::StringSink sink(der);
  publicKey.Save(sink);
  std::size_t expected = field == KeyField::k162E65537 ? 162 : 160;
  if (der.size() != expected) {
    throw std::runtime_error("Public key DER is " + std::to_string(der.size()) +
                             " bytes, expected " + std::to_string(expected));
  }
  if (field == KeyField::k162Junk) {
    // The classic client copies 162 bytes out of a 160-byte buffer: the last
    // two are whatever memory follows, never reliably zero.
    for (int i = 0; i < 2; ++i) {
      CryptoPP::byte junk = 0;
      while (junk == 0) junk = rng.GenerateByte();
      der.push_back(static_cast<char>(junk));
    }
  }
  return der;
}

inline std::string decryptSessionKey(CryptoPP::RandomNumberGenerator& rng,
                                     const CryptoPP::RSA::PrivateKey& key,
                                     const std::string& encrypted) {
  CryptoPP::RSAES_OAEP_SHA_Decryptor decryptor(key);
  std::string plain;
  CryptoPP::StringSource source(
      encrypted, true,
      new CryptoPP::PK_DecryptorFilter(rng, decryptor,
                                       new CryptoPP::StringSink(plain)));
  if (plain.size() != 32) {
    throw std::runtime_error("Session key is " + std::to_string(plain.size()) +
                             " bytes, not 32");
  }
  return plain;
}

struct Identity {
  std::string name;
  ClientId id{};
  CryptoPP::RSA::PrivateKey key;
};

inline std::string toHex(const ClientId& id) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : id) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 0xF]);
  }
  return hex;
}

inline ClientId fromHex(const std::string& hex) {
  if (hex.size() != 32) throw std::runtime_error("me.info: id is not 32 hex");
  ClientId id{};
  for (std::size_t i = 0; i < id.size(); ++i) {
    id[i] = static_cast<unsigned char>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return id;
}

// me.info: name, hex id, base64 of the private key's PKCS#8 DER (one line).
inline void writeMeInfo(const std::string& path, const Identity& me) {
  std::string base64;
  CryptoPP::Base64Encoder encoder(new CryptoPP::StringSink(base64), false);
  me.key.Save(encoder);
  encoder.MessageEnd();
  std::ofstream out(path, std::ios::trunc);
  out << me.name << "\n" << toHex(me.id) << "\n" << base64 << "\n";
  if (!out.flush()) throw std::runtime_error("Cannot write " + path);
}

inline std::string trimLine(std::string line) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
    line.pop_back();
  }
  return line;
}

// Reads me.info; the key may be wrapped over several lines.
inline Identity readMeInfo(const std::string& path) {
  std::ifstream in(path);
  Identity me;
  std::string hex, line, base64;
  if (!std::getline(in, me.name) || !std::getline(in, hex)) {
    throw std::runtime_error("Cannot read " + path + ": fewer than 3 lines");
  }
  me.name = trimLine(me.name);
  me.id = fromHex(trimLine(hex));
  while (std::getline(in, line)) base64 += trimLine(line);
  CryptoPP::StringSource source(base64, true, new CryptoPP::Base64Decoder);
  me.key.Load(source);
  return me;
}

}  // namespace peer
