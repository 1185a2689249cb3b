// The protocol's framing over a blocking POSIX TCP socket: 23-byte request
// headers, 7-byte response headers, little-endian integers, NUL-padded
// 255-byte strings.
#pragma once

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace peer {

constexpr std::uint8_t kVersion = 3;
constexpr std::size_t kNameField = 255;
constexpr std::size_t kIdSize = 16;
// No answer of the protocol is larger than 1602's id + a 128-byte RSA block.
constexpr std::uint32_t kMaxResponsePayload = 4096;

using ClientId = std::array<unsigned char, kIdSize>;

namespace code {
constexpr std::uint16_t kRegister = 1025, kSendKey = 1026, kReconnect = 1027,
                        kSendFile = 1028, kCrcOk = 1029, kCrcBad = 1030,
                        kCrcGiveUp = 1031;
constexpr std::uint16_t kRegistered = 1600, kRegisterFailed = 1601,
                        kAesKey = 1602, kFileReceived = 1603, kAck = 1604,
                        kReconnected = 1605, kReconnectRejected = 1606,
                        kServerError = 1607;
}  // namespace code

// Appends `value` in `width` little-endian bytes.
inline void putLe(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

inline std::uint64_t getLe(const std::string& in, std::size_t at, int width) {
  if (at + width > in.size()) throw std::runtime_error("Response too short");
  std::uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(in[at + i]);
  }
  return value;
}

// A string NUL-padded to the 255-byte field (the terminator included).
inline std::string nameField(const std::string& text) {
  if (text.size() >= kNameField) {
    throw std::runtime_error("Name longer than 254 bytes: " + text);
  }
  std::string field = text;
  field.resize(kNameField, '\0');
  return field;
}

struct Response {
  std::uint16_t code = 0;
  std::string payload;
};

class Connection {
 public:
  Connection(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      throw std::runtime_error("Cannot resolve " + host + ": " +
                               gai_strerror(rc));
    }
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        fd_ = fd;
      } else {
        ::close(fd);
      }
    }
    freeaddrinfo(found);
    if (fd_ < 0) {
      throw std::runtime_error("Cannot connect to " + host + ":" + port +
                               ": " + std::strerror(errno));
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { ::close(fd_); }

  void send(const ClientId& id, std::uint16_t requestCode,
            const std::string& payload) {
    std::string frame(reinterpret_cast<const char*>(id.data()), id.size());
    frame.push_back(static_cast<char>(kVersion));
    putLe(frame, requestCode, 2);
    putLe(frame, payload.size(), 4);
    frame += payload;
    writeAll(frame);
  }

  // Reads one response; throws when the server closed the connection.
  Response read() {
    std::string header = readExact(7);
    Response response;
    response.code = static_cast<std::uint16_t>(getLe(header, 1, 2));
    auto size = static_cast<std::uint32_t>(getLe(header, 3, 4));
    if (size > kMaxResponsePayload) {
      throw std::runtime_error("Response " + std::to_string(response.code) +
                               " announces " + std::to_string(size) +
                               " bytes of payload");
    }
    response.payload = readExact(size);
    return response;
  }

 private:
  void writeAll(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done,
                         MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        throw std::runtime_error(std::string("Cannot send: ") +
                                 std::strerror(errno));
      }
      done += static_cast<std::size_t>(n);
    }
  }

  std::string readExact(std::size_t size) {
    std::string bytes(size, '\0');
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::recv(fd_, &bytes[done], size - done, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        throw std::runtime_error(std::string("Cannot receive: ") +
                                 std::strerror(errno));
      }
      if (n == 0) throw std::runtime_error("Server closed the connection");
      done += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  int fd_ = -1;
};

}  // namespace peer
