// A TCP forwarder on a free loopback port in front of a server, for the network failures a
// test cannot get from a healthy loopback connection: a client host that vanished without
// closing its connections (the server never learns its client is gone).
#pragma once

#include <memory>

namespace retort::test {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards each connection to 127.0.0.1:target_port,
  // from a thread of its own. Throws std::system_error when it cannot listen.
  explicit TcpProxy(int target_port);
  // Closes every connection, in both directions.
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  [[nodiscard]] int port() const noexcept;

  // When on, a client that closes (or dies) leaves its server side open: the server keeps
  // sending into the proxy, which reads and discards, as to a host gone from the network
  // whose connections no FIN or RST ever ended. Off (the default): both sides close together.
  void hold_server_side(bool on);
  // Closes the server side of every held connection, as the server's TCP keepalive finally
  // would.
  void release_held();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace retort::test
