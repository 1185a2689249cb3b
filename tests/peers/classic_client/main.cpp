// A third-party backup client written for CyberBackup's tests: it speaks the
// field dialect of the classic C++/Crypto++ client (see docs/protocol.md,
// "Dialects"), and flags select the other dialects so tests can run a matrix
// against an implementation that shares no code with the server.
//
// Usage (in the folder holding transfer.info and, for a returning client,
// me.info):
//   classic_client [--key-field 160|162junk|162e65537] [--iv-prefix yes|no]
//                  [--size total|packet] [--packet-bytes N] [--fail-crc N]
// Defaults are the classic client's: 162junk, yes, packet, 1048576.
// --fail-crc N pretends the first N checksums differ (to test 1030 / 1031).
// Exit status 0 only when the server verified the file.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "cksum.hpp"
#include "keys.hpp"
#include "upload.hpp"
#include "wire.hpp"

namespace peer {
namespace {

constexpr int kAttempts = 3;
const char* const kMeInfo = "me.info";

struct Options {
  KeyField keyField = KeyField::k162Junk;
  UploadDialect upload;
  int failCrc = 0;
};

struct Transfer {
  std::string host, port, name, path;
};

[[noreturn]] void usage(const std::string& problem) {
  throw std::invalid_argument("Cannot parse arguments: " + problem);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    std::string value = argv[i + 1];
    if (flag == "--key-field") {
      if (value == "160") options.keyField = KeyField::k160;
      else if (value == "162junk") options.keyField = KeyField::k162Junk;
      else if (value == "162e65537") options.keyField = KeyField::k162E65537;
      else usage("--key-field " + value);
    } else if (flag == "--iv-prefix") {
      if (value != "yes" && value != "no") usage("--iv-prefix " + value);
      options.upload.ivPrefix = value == "yes";
    } else if (flag == "--size") {
      if (value != "total" && value != "packet") usage("--size " + value);
      options.upload.perPacketSize = value == "packet";
    } else if (flag == "--packet-bytes") {
      long bytes = std::strtol(value.c_str(), nullptr, 10);
      if (bytes < 1 || bytes > 64 * 1024 * 1024) usage("--packet-bytes " + value);
      options.upload.packetBytes = static_cast<std::size_t>(bytes);
    } else if (flag == "--fail-crc") {
      options.failCrc = std::atoi(value.c_str());
    } else {
      usage("unknown flag " + flag);
    }
  }
  return options;
}

Transfer readTransferInfo() {
  std::ifstream in("transfer.info");
  std::string address;
  Transfer transfer;
  if (!std::getline(in, address) || !std::getline(in, transfer.name) ||
      !std::getline(in, transfer.path)) {
    throw std::runtime_error("Cannot read transfer.info: fewer than 3 lines");
  }
  address = trimLine(address);
  transfer.name = trimLine(transfer.name);
  transfer.path = trimLine(transfer.path);
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    throw std::runtime_error("Cannot read transfer.info: no port in " + address);
  }
  transfer.host = address.substr(0, colon);
  transfer.port = address.substr(colon + 1);
  if (transfer.name.empty() || transfer.name.size() > 100) {
    throw std::runtime_error("Cannot read transfer.info: name of " +
                             std::to_string(transfer.name.size()) + " bytes");
  }
  return transfer;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("Cannot open " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string baseName(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Sends a request and reads its answer, sending it again on 1607 (up to
// three more times), as the classic client does.
Response request(Connection& conn, const ClientId& id, std::uint16_t requestCode,
                 const std::string& payload) {
  Response response;
  for (int attempt = 0; attempt <= kAttempts; ++attempt) {
    conn.send(id, requestCode, payload);
    response = conn.read();
    if (response.code != code::kServerError) break;
    std::cerr << "Server error (1607) for " << requestCode << "\n";
  }
  return response;
}

std::string expect(const Response& response, std::uint16_t wanted,
                   const std::string& what) {
  if (response.code != wanted) {
    throw std::runtime_error(what + " failed: server answered " +
                             std::to_string(response.code));
  }
  return response.payload;
}

ClientId idOf(const std::string& payload) {
  if (payload.size() < kIdSize) throw std::runtime_error("Response too short");
  ClientId id{};
  std::copy(payload.begin(), payload.begin() + kIdSize, id.begin());
  return id;
}

// 1025 with `headerId` (zeros, or the old id after 1606), then 1026.
// Returns the session key.
std::string registerAndExchangeKeys(Connection& conn,
                                    CryptoPP::RandomNumberGenerator& rng,
                                    Identity& me, const ClientId& headerId,
                                    KeyField field) {
  Response registered = request(conn, headerId, code::kRegister, nameField(me.name));
  me.id = idOf(expect(registered, code::kRegistered, "Registration"));
  me.key = makeKey(rng, field);
  writeMeInfo(kMeInfo, me);
  std::cout << "Registered as " << me.name << " (" << toHex(me.id) << ")\n";
  std::string payload = nameField(me.name) + keyField(rng, me.key, field);
  Response keyed = request(conn, me.id, code::kSendKey, payload);
  return decryptSessionKey(
      rng, me.key, expect(keyed, code::kAesKey, "Key exchange").substr(kIdSize));
}

// The session key of a returning client: 1027, or registering again with the
// old id in the header when the server answers 1606.
std::string reconnect(Connection& conn, CryptoPP::RandomNumberGenerator& rng,
                      Identity& me, KeyField field) {
  Response response = request(conn, me.id, code::kReconnect, nameField(me.name));
  if (response.code == code::kReconnectRejected) {
    std::cout << "Reconnect rejected (1606); registering again\n";
    std::remove(kMeInfo);
    ClientId oldId = me.id;
    return registerAndExchangeKeys(conn, rng, me, oldId, field);
  }
  std::string payload = expect(response, code::kReconnected, "Reconnect");
  std::cout << "Reconnected as " << me.name << " (" << toHex(me.id) << ")\n";
  return decryptSessionKey(rng, me.key, payload.substr(kIdSize));
}

// Sends the file until the server's checksum matches ours (1029) or three
// attempts failed (1031). True when verified.
bool upload(Connection& conn, const ClientId& id, const std::string& aesKey,
            const std::string& path, const Options& options) {
  std::string plain = readFile(path);
  std::string fileName = baseName(path);
  std::uint32_t ours = cksum(plain);
  FileUpload file(aesKey, fileName, plain, options.upload);
  plain.clear();
  plain.shrink_to_fit();
  int serverErrors = 0;
  for (int attempt = 1;;) {
    for (std::size_t n = 1; n <= file.packets(); ++n) {
      conn.send(id, code::kSendFile, file.packet(n));
    }
    Response response = conn.read();
    if (response.code == code::kServerError) {
      if (++serverErrors > kAttempts) {
        throw std::runtime_error("Upload of " + fileName + " refused (1607) " +
                                 std::to_string(serverErrors) + " times");
      }
      std::cerr << "Server error (1607) after the upload; sending it again\n";
      continue;
    }
    std::string payload = expect(response, code::kFileReceived, "Upload");
    // The classic client reads only the checksum: id 16, size 4, name 255.
    auto theirs = static_cast<std::uint32_t>(getLe(payload, kIdSize + 4 + kNameField, 4));
    bool match = theirs == ours && attempt > options.failCrc;
    if (match) {
      conn.send(id, code::kCrcOk, nameField(fileName));
      expect(conn.read(), code::kAck, "Confirming the checksum");
      std::cout << "Verified " << fileName << " (" << file.packets()
                << " packets, cksum " << ours << ")\n";
      return true;
    }
    std::cout << "Checksum mismatch on attempt " << attempt << " (ours " << ours
              << ", server's " << theirs
              << (theirs == ours ? ", made up by --fail-crc" : "") << ")\n";
    if (attempt == kAttempts) {
      conn.send(id, code::kCrcGiveUp, nameField(fileName));
      expect(conn.read(), code::kAck, "Giving up");
      return false;
    }
    // The classic client resends at once and reads no answer to 1030.
    conn.send(id, code::kCrcBad, nameField(fileName));
    ++attempt;
  }
}

int run(int argc, char** argv) {
  Options options = parseOptions(argc, argv);
  Transfer transfer = readTransferInfo();
  CryptoPP::AutoSeededRandomPool rng;
  Connection conn(transfer.host, transfer.port);
  Identity me;
  std::string aesKey;
  if (std::ifstream(kMeInfo).good()) {
    me = readMeInfo(kMeInfo);
    aesKey = reconnect(conn, rng, me, options.keyField);
  } else {
    me.name = transfer.name;
    aesKey = registerAndExchangeKeys(conn, rng, me, ClientId{}, options.keyField);
  }
  return upload(conn, me.id, aesKey, transfer.path, options) ? 0 : 1;
}

}  // namespace
}  // namespace peer

int main(int argc, char** argv) {
  try {
    return peer::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "Fatal: " << error.what() << "\n";
    return 1;
  }
}
