#include "scaler/metrics_http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_server_thread.h"
#include "common/logger.h"

namespace krs::scaler {

absl::Status ParseListenAddress(absl::string_view flag, absl::string_view listen,
                                std::string* host, int* port) {
  auto invalid = [&](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", flag, " \"", listen, "\": ", reason,
                                                   "; expected HOST:PORT, e.g. 0.0.0.0:9091"));
  };
  size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return invalid("the port is missing");

  absl::string_view host_part = listen.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  if (host_part.empty()) return invalid("the host is missing");
  int parsed_port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &parsed_port) || parsed_port < 0 ||
      parsed_port > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  *host = std::string(host_part);
  *port = parsed_port;
  return absl::OkStatus();
}

MetricsHttpServer::MetricsHttpServer(std::shared_ptr<ScalerMetrics> metrics)
    : metrics_(std::move(metrics)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::StatusOr<int> MetricsHttpServer::Start(absl::string_view listen) {
  if (server_ != nullptr) return absl::FailedPreconditionError("the metrics server is already started");

  std::string host;
  int port = 0;
  absl::Status status = ParseListenAddress("--metrics-listen", listen, &host, &port);
  if (!status.ok()) return status;

  auto server = std::make_unique<httplib::Server>();
  // httplib's default also sets SO_REUSEPORT, which lets a second process bind the same port
  // and take half of the scrapes. Only SO_REUSEADDR is kept, so a port in use fails here.
  server->set_socket_options([](socket_t socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  std::shared_ptr<ScalerMetrics> metrics = metrics_;
  server->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics->registry.RenderText(), kPrometheusTextContentType);
  });

  int bound = -1;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
  } else if (server->bind_to_port(host, port)) {
    bound = port;
  }
  if (bound < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " for metrics: the address is in use or invalid"));
  }
  server_ = std::move(server);
  thread_ = StartListeningThread(*server_);
  Log(LogLevel::kInfo, "metrics server started",
      {{"address", absl::StrCat(host, ":", bound)}, {"path", "/metrics"}});
  return bound;
}

void MetricsHttpServer::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace krs::scaler
