// TriggerConfig: a ScaledObjectRef's scalerMetadata, validated once, with the same keys,
// defaults and rules as KEDA's built-in `rabbitmq` trigger (pkg/scalers/rabbitmq_scaler.go,
// kedacore/keda main at 8b4f083).
#ifndef KRS_SCALER_TRIGGER_METADATA_H_
#define KRS_SCALER_TRIGGER_METADATA_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scaler/broker_endpoint.h"
#include "scaler/broker_resolver.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

// KEDA's `mode` values. The last four need the management API (protocol http).
enum class ScalingMode {
  kQueueLength,
  kMessageRate,
  kDeliverGetRate,
  kPublishedToDeliveredRatio,
  kExpectedQueueConsumptionTime,
};

struct TriggerConfig {
  QueueQuery query;                     // endpoint, queue name, regex, operation, page size
  ScalingMode mode = ScalingMode::kQueueLength;
  double value = 20;                    // HPA target (AverageValue per replica)
  double activation_value = 0;          // active when the metric is strictly greater
  bool exclude_unacknowledged = false;  // http: count messages_ready instead of messages
  absl::Duration timeout;               // http request timeout; 0 for amqp
  bool unsafe_ssl = false;
  std::string metric_name;              // stable name sent in GetMetricSpec

  // Returns the name of `mode` as KEDA spells it, e.g. "QueueLength".
  static absl::string_view ModeName(ScalingMode mode);
};

// Returns true for the modes that need the management API: every mode but QueueLength.
bool ModeNeedsHttp(ScalingMode mode);

// Returns the metric name sent in GetMetricSpec. For the default vhost "/" it is KEDA's name,
// "rabbitmq-" + QueryEscape(queue) with '/', '.', ':', '%', '(' and ')' replaced by '-'. For any
// other vhost the vhost, escaped the same way, goes in front of the queue:
// "rabbitmq-<vhost>-<queue>", so the same queue name in two vhosts gives two names. '+' (a space
// after QueryEscape) and '~' are replaced by '-' as well, so names contain only [A-Za-z0-9_-].
std::string MetricNameFor(absl::string_view vhost, absl::string_view queue_name);

// Server-side settings added to trigger metadata: values that ScaledObjects do not carry.
struct TriggerParseOptions {
  // The http timeout when the `timeout` key is absent.
  absl::Duration default_timeout = absl::Seconds(3);
  // CA bundle and client certificate for amqps:// and https:// host URLs (the scaler's
  // --broker-ca-file, --broker-cert-file and --broker-key-file). Broker profiles carry their
  // own.
  BrokerTlsOptions default_tls;
  // Broker profiles for the `broker` key; nullptr when the scaler has none (--broker-config
  // unset). Not owned.
  const BrokerResolver* brokers = nullptr;
};

// Parses and validates scalerMetadata in one pass. Errors are INVALID_ARGUMENT and name the
// key, the rejected value and the allowed values; they never contain a password.
// `default_timeout` is used for http when the `timeout` key is absent.
absl::StatusOr<TriggerConfig> ParseTriggerMetadata(const std::map<std::string, std::string>& metadata,
                                                   absl::Duration default_timeout);

// Same, with TLS files for host URLs and broker profiles. The key `broker: NAME` selects a
// broker profile instead of host or hostFromEnv (setting both is INVALID_ARGUMENT); an unknown
// name is INVALID_ARGUMENT naming it and listing the known names. unsafeSsl: true turns off
// certificate and host name checks on top of any profile's setting.
absl::StatusOr<TriggerConfig> ParseTriggerMetadata(const std::map<std::string, std::string>& metadata,
                                                   const TriggerParseOptions& options);

}  // namespace krs::scaler

#endif  // KRS_SCALER_TRIGGER_METADATA_H_
