// MetricsHttpServer: serves GET /metrics, the Prometheus text format of a ScalerMetrics
// registry, over plain HTTP with cpp-httplib on its own thread.
#ifndef KRS_SCALER_METRICS_HTTP_SERVER_H_
#define KRS_SCALER_METRICS_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scaler/scaler_metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace krs::scaler {

class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(std::shared_ptr<ScalerMetrics> metrics);
  // Calls Stop().
  ~MetricsHttpServer();

  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Listens on `listen` (HOST:PORT, IPv6 hosts in brackets; port 0 picks a free port) and
  // returns the bound port. INVALID_ARGUMENT for a malformed address, UNAVAILABLE when the
  // address cannot be bound, FAILED_PRECONDITION when already started.
  absl::StatusOr<int> Start(absl::string_view listen);

  // Stops listening and waits for the server thread. Later calls do nothing.
  void Stop();

 private:
  std::shared_ptr<ScalerMetrics> metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Splits HOST:PORT (or [IPV6]:PORT) into host and port. INVALID_ARGUMENT names `flag`.
absl::Status ParseListenAddress(absl::string_view flag, absl::string_view listen,
                                std::string* host, int* port);

}  // namespace krs::scaler

#endif  // KRS_SCALER_METRICS_HTTP_SERVER_H_
