// ScalerOptions: every setting of the rabbitmq-scaler server, with its default, in one place.
//
// main.cc fills it from flags (and KEDA_HTTP_DEFAULT_TIMEOUT); tests build it directly.
#ifndef KRS_SCALER_SCALER_OPTIONS_H_
#define KRS_SCALER_SCALER_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "scaler/broker_endpoint.h"
#include "scaler/broker_resolver.h"
#include "scaler/scaler_metrics.h"
#include "scaler/server_credentials.h"

namespace krs::scaler {

struct ScalerOptions {
  // host:port the gRPC server listens on. Port 0 picks a free port; ScalerServer::Start()
  // returns it.
  std::string listen = "0.0.0.0:9090";

  // Broker timeout for a trigger without a `timeout` key, and for every AMQP read (KEDA
  // rejects `timeout` for amqp). KEDA's built-in scaler uses KEDA_HTTP_DEFAULT_TIMEOUT,
  // 3000 ms by default. A read also ends at the RPC's own deadline when that comes first.
  absl::Duration default_timeout = absl::Seconds(3);

  // How long one broker read is reused for equal queries: GetMetrics and IsActive of one KEDA
  // poll, HPA queries, stream checks and many ScaledObjects on one queue share it. Zero turns
  // the cache off (concurrent equal reads are still coalesced).
  absl::Duration cache_ttl = absl::Seconds(1);

  // How often StreamIsActive checks each watched queue. KEDA polls every 30 s by default
  // (pollingInterval), and the stream exists so that a scale from zero starts sooner than that.
  // 1 s costs one broker read per second per distinct queue, however many streams watch it.
  absl::Duration stream_check_interval = absl::Seconds(1);

  // How long to wait for in-flight calls on shutdown before they are cancelled.
  absl::Duration shutdown_grace = absl::Seconds(5);

  // Minimum period between two warnings about the same error. The repeats in between are
  // counted, and the count is added to the next warning.
  absl::Duration warning_interval = absl::Seconds(30);

  LogLevel log_level = LogLevel::kInfo;

  // TLS of the gRPC listener (--tls-cert-file, --tls-key-file, --tls-client-ca-file). No file
  // set serves plaintext; a client CA makes it mutual TLS.
  ServerTlsOptions tls;

  // CA bundle and client certificate for amqps:// and https:// host URLs (--broker-ca-file,
  // --broker-cert-file, --broker-key-file). Broker profiles carry their own.
  BrokerTlsOptions broker_tls;

  // Broker profiles for the trigger key `broker`, loaded by main.cc from --broker-config, or
  // nullptr when there are none.
  std::shared_ptr<const BrokerResolver> brokers;

  // Counters for the server's calls and its stats sources' reads. nullptr counts nothing.
  std::shared_ptr<ScalerMetrics> metrics;

  // Returns INVALID_ARGUMENT naming the option and the rejected value when a duration is
  // out of range or `listen` is not host:port (port 0..65535) or unix:path.
  // A TLS key without its certificate is INVALID_ARGUMENT as well.
  absl::Status Validate() const;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_SCALER_OPTIONS_H_
