// One poll loop forwards bytes between each accepted client and its connection to the server.
#include "harness/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::test {

namespace {

std::system_error os_error(const char* what) { return {errno, std::generic_category(), what}; }

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Writes all of data to fd (a blocking socket); false when the peer is gone.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t wrote = ::send(fd, data, size, MSG_NOSIGNAL);
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote <= 0) {
      return false;
    }
    data += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
  return true;
}

}  // namespace

struct TcpProxy::State {
  struct Pair {
    int client = -1;  // -1 once the client side closed
    int server = -1;
    bool held = false;  // the client is gone, the server side kept open
  };

  int listener = -1;
  int port = 0;
  int target_port = 0;
  std::array<int, 2> wake{-1, -1};  // a pipe that interrupts poll() to stop
  std::atomic<bool> stop{false};
  std::mutex mutex;  // guards pairs and hold
  std::vector<Pair> pairs;
  bool hold = false;
  std::thread thread;

  void close_pair(Pair& pair) {
    if (pair.client >= 0) {
      ::close(pair.client);
    }
    if (pair.server >= 0) {
      ::close(pair.server);
    }
    pair.client = pair.server = -1;
  }

  void accept_one() {
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      return;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = loopback(target_port);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
      ::close(client);
      if (server >= 0) {
        ::close(server);
      }
      return;
    }
    const std::lock_guard<std::mutex> guard(mutex);
    pairs.push_back({client, server, false});
  }

  // Moves what fd has to offer to its peer; false when the connection should end.
  static bool forward(int from, int to) {
    std::array<char, 16384> buffer{};
    const ssize_t got = ::recv(from, buffer.data(), buffer.size(), 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
      return true;
    }
    if (got <= 0) {
      return false;
    }
    return to < 0 || write_all(to, buffer.data(), static_cast<std::size_t>(got));
  }

  void loop() {
    while (!stop) {
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}, {listener, POLLIN, 0}};
      std::vector<std::pair<std::size_t, bool>> owners;  // pair index, is the client side
      {
        const std::lock_guard<std::mutex> guard(mutex);
        for (std::size_t pair_idx = 0; pair_idx < pairs.size(); ++pair_idx) {
          const Pair& pair = pairs[pair_idx];
          if (pair.client >= 0) {
            fds.push_back({pair.client, POLLIN, 0});
            owners.emplace_back(pair_idx, true);
          }
          if (pair.server >= 0) {
            fds.push_back({pair.server, POLLIN, 0});
            owners.emplace_back(pair_idx, false);
          }
        }
      }
      if (::poll(fds.data(), fds.size(), 200) <= 0) {
        continue;
      }
      if (fds[1].revents != 0) {
        accept_one();
      }
      const std::lock_guard<std::mutex> guard(mutex);
      for (std::size_t fd_idx = 2; fd_idx < fds.size(); ++fd_idx) {
        if (fds[fd_idx].revents == 0) {
          continue;
        }
        const auto [pair_idx, from_client] = owners[fd_idx - 2];
        Pair& pair = pairs[pair_idx];
        if (from_client) {
          if (pair.client >= 0 && !forward(pair.client, pair.server)) {
            if (hold) {
              ::close(pair.client);
              pair.client = -1;
              pair.held = true;
            } else {
              close_pair(pair);
            }
          }
        } else if (pair.server >= 0 && !forward(pair.server, pair.client)) {
          close_pair(pair);
        }
      }
      std::erase_if(pairs, [](const Pair& pair) { return pair.client < 0 && pair.server < 0; });
    }
  }
};

TcpProxy::TcpProxy(int target_port) : m_state(std::make_unique<State>()) {
  State& state = *m_state;
  state.target_port = target_port;
  if (::pipe2(state.wake.data(), O_CLOEXEC) != 0) {
    throw os_error("pipe2");
  }
  state.listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (state.listener < 0 ||
      ::bind(state.listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(state.listener, 64) != 0 ||
      ::getsockname(state.listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw os_error("listening on a loopback port for the TCP proxy");
  }
  state.port = ntohs(address.sin_port);
  state.thread = std::thread([&state] { state.loop(); });
}

TcpProxy::~TcpProxy() {
  m_state->stop = true;
  (void)::write(m_state->wake[1], "x", 1);
  m_state->thread.join();
  for (State::Pair& pair : m_state->pairs) {
    m_state->close_pair(pair);
  }
  ::close(m_state->listener);
  ::close(m_state->wake[0]);
  ::close(m_state->wake[1]);
}

int TcpProxy::port() const noexcept { return m_state->port; }

void TcpProxy::hold_server_side(bool on) {
  const std::lock_guard<std::mutex> guard(m_state->mutex);
  m_state->hold = on;
}

void TcpProxy::release_held() {
  const std::lock_guard<std::mutex> guard(m_state->mutex);
  for (State::Pair& pair : m_state->pairs) {
    if (pair.held) {
      m_state->close_pair(pair);
    }
  }
}

}  // namespace retort::test
