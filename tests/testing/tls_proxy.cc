#include "tests/testing/tls_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::testing {
namespace {

SSL_CTX* Context(void* context) { return static_cast<SSL_CTX*>(context); }

int ConnectUpstream(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Copies bytes both ways until either side closes or fails, or `stopping` is set.
void Pump(SSL* ssl, int client_fd, int upstream_fd, const std::atomic<bool>& stopping) {
  char buffer[16384];
  while (!stopping) {
    // Bytes OpenSSL already decrypted do not show up on the socket.
    bool pending = SSL_pending(ssl) > 0;
    pollfd fds[2] = {{client_fd, POLLIN, 0}, {upstream_fd, POLLIN, 0}};
    if (!pending && poll(fds, 2, 200) < 0) return;

    if (pending || (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      int n = SSL_read(ssl, buffer, sizeof(buffer));
      if (n <= 0) return;
      if (send(upstream_fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) return;
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t n = recv(upstream_fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      if (SSL_write(ssl, buffer, static_cast<int>(n)) != n) return;
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsProxy>> TlsProxy::Start(const std::string& cert_file,
                                                          const std::string& key_file,
                                                          int upstream_port) {
  // OpenSSL writes with write(), which raises SIGPIPE when a client has already hung up, as
  // clients do after rejecting the certificate.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TlsProxy> proxy(new TlsProxy());
  proxy->upstream_port_ = upstream_port;

  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  proxy->ssl_context_ = context;
  if (context == nullptr ||
      SSL_CTX_use_certificate_chain_file(context, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TlsProxy: loading ", cert_file, " and ", key_file, " failed"));
  }

  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int reuse = 1;
  setsockopt(proxy->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(proxy->listen_fd_, 16) != 0 ||
      getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::UnavailableError("TlsProxy: cannot listen on 127.0.0.1");
  }
  proxy->port_ = ntohs(address.sin_port);
  proxy->accept_thread_ = std::thread([raw = proxy.get()] { raw->AcceptLoop(); });
  return proxy;
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);

  std::vector<std::thread> connections;
  {
    MutexLock lock(&mutex_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  for (std::thread& thread : connections) thread.join();
  SSL_CTX_free(Context(ssl_context_));
}

void TlsProxy::AcceptLoop() {
  while (!stopping_) {
    // Poll with a timeout: not every kernel (e.g. gVisor) wakes a blocked accept() when the
    // socket is shut down.
    pollfd listening = {listen_fd_, POLLIN, 0};
    if (poll(&listening, 1, 100) <= 0) continue;
    int client_fd = accept(listen_fd_, nullptr, nullptr);
    if (client_fd < 0) return;
    // The handshake must not block forever on a client that sends nothing.
    timeval timeout = {5, 0};
    setsockopt(client_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    MutexLock lock(&mutex_);
    if (stopping_) {
      close(client_fd);
      return;
    }
    open_fds_.push_back(client_fd);
    connections_.emplace_back([this, client_fd] { Serve(client_fd); });
  }
}

void TlsProxy::Serve(int client_fd) {
  SSL* ssl = SSL_new(Context(ssl_context_));
  SSL_set_fd(ssl, client_fd);
  int upstream_fd = -1;
  if (SSL_accept(ssl) == 1) {
    upstream_fd = ConnectUpstream(upstream_port_);
    if (upstream_fd >= 0) Pump(ssl, client_fd, upstream_fd, stopping_);
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  if (upstream_fd >= 0) close(upstream_fd);

  MutexLock lock(&mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), client_fd), open_fds_.end());
  close(client_fd);
}

}  // namespace krs::testing
