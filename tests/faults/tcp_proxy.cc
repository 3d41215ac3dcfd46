#include "tests/faults/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"

namespace krs::testing {
namespace {

// Poll timeout of every loop: how soon a thread notices stopping_ or a mode change.
constexpr int kPollMillis = 50;

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool WriteAll(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    ssize_t written = send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= written;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return;
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = Loopback(0);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listen_fd_, 128) != 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  socklen_t length = sizeof(address);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stopping_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  std::vector<std::thread> pipes;
  {
    MutexLock lock(&mu_);
    pipes.swap(pipes_);
  }
  for (std::thread& pipe : pipes) pipe.join();
}

void TcpProxy::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (poll(&entry, 1, kPollMillis) <= 0) continue;
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    accepted_.fetch_add(1);
    MutexLock lock(&mu_);
    pipes_.emplace_back([this, client] { Pipe(client); });
  }
}

void TcpProxy::Pipe(int client_fd) {
  int upstream_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Loopback(upstream_port_);
  if (upstream_fd < 0 ||
      connect(upstream_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    // The upstream is down: close the client's connection as a refused connection would.
    if (upstream_fd >= 0) close(upstream_fd);
    close(client_fd);
    return;
  }

  char buffer[16384];
  bool open = true;
  while (open && !stopping_.load()) {
    if (mode_.load() == Mode::kStall) {
      absl::SleepFor(absl::Milliseconds(kPollMillis));
      continue;
    }
    pollfd entries[2] = {{client_fd, POLLIN, 0}, {upstream_fd, POLLIN, 0}};
    if (poll(entries, 2, kPollMillis) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if ((entries[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      int from = entries[i].fd;
      int to = i == 0 ? upstream_fd : client_fd;
      ssize_t size = recv(from, buffer, sizeof(buffer), 0);
      if (size <= 0) {
        open = false;
        break;
      }
      int64_t delay_ns = delay_ns_.load();
      if (delay_ns > 0) absl::SleepFor(absl::Nanoseconds(delay_ns));
      open = WriteAll(to, buffer, size);
    }
  }
  close(upstream_fd);
  close(client_fd);
}

}  // namespace krs::testing
