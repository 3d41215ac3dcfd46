// TcpProxy: a TCP forwarder on 127.0.0.1 (a free port) in front of one upstream port, for fault
// tests. It can forward bytes as they come, delay every chunk, or stall: keep accepting and
// holding connections without forwarding a byte, as a hung broker does.
#ifndef KRS_TESTS_FAULTS_TCP_PROXY_H_
#define KRS_TESTS_FAULTS_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

#include "common/mutex.h"

namespace krs::testing {

class TcpProxy {
 public:
  enum class Mode { kForward, kStall };

  // Listens on 127.0.0.1:0 and forwards to 127.0.0.1:`upstream_port`. port() is 0 when the
  // listening socket could not be created.
  explicit TcpProxy(int upstream_port);
  // Closes every connection and joins every thread.
  ~TcpProxy();

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // kStall keeps new and open connections waiting without forwarding; kForward resumes them.
  void SetMode(Mode mode) { mode_.store(mode); }
  // Waits this long before forwarding each chunk read from either side.
  void SetDelay(absl::Duration delay) { delay_ns_.store(absl::ToInt64Nanoseconds(delay)); }

  int64_t connections_accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop();
  void Pipe(int client_fd);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<int64_t> delay_ns_{0};
  std::atomic<int64_t> accepted_{0};
  std::thread acceptor_;

  Mutex mu_;
  std::vector<std::thread> pipes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace krs::testing

#endif  // KRS_TESTS_FAULTS_TCP_PROXY_H_
