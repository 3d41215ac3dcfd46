// TlsProxy: a TLS-terminating TCP proxy on 127.0.0.1 for tests. It accepts TLS with a given
// server certificate and forwards the plaintext to an upstream port, so a test can put a
// certificate of its choice (e.g. one for another host name) in front of the real broker.
#ifndef KRS_TESTS_TESTING_TLS_PROXY_H_
#define KRS_TESTS_TESTING_TLS_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

#include "common/mutex.h"

namespace krs::testing {

class TlsProxy {
 public:
  // Listens on 127.0.0.1 at a free port and serves `cert_file` / `key_file` (PEM); each
  // accepted connection is forwarded to 127.0.0.1:`upstream_port`. Client certificates are
  // not requested.
  static absl::StatusOr<std::unique_ptr<TlsProxy>> Start(const std::string& cert_file,
                                                         const std::string& key_file,
                                                         int upstream_port);

  // Stops accepting, closes every connection and joins the threads.
  ~TlsProxy();

  int port() const { return port_; }

 private:
  TlsProxy() = default;
  void AcceptLoop();
  void Serve(int client_fd);

  void* ssl_context_ = nullptr;  // SSL_CTX*
  int listen_fd_ = -1;
  int port_ = 0;
  int upstream_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  Mutex mutex_;
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mutex_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_TLS_PROXY_H_
