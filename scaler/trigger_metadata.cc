#include "scaler/trigger_metadata.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "scaler/management_url.h"

namespace krs::scaler {
namespace {

using Metadata = std::map<std::string, std::string>;

constexpr double kDefaultQueueLengthValue = 20;
constexpr int kDefaultPageSize = 100;
constexpr absl::string_view kModeNames =
    "QueueLength, MessageRate, DeliverGetRate, PublishedToDeliveredRatio, "
    "ExpectedQueueConsumptionTime";
constexpr absl::string_view kGoBoolValues = "1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False";

// Returns the value of `key`, or nullopt when the key is absent or empty. KEDA drops a
// *FromEnv key whose environment variable is empty, so "" and absent mean the same here.
std::optional<std::string> Lookup(const Metadata& metadata, absl::string_view key) {
  auto it = metadata.find(std::string(key));
  if (it == metadata.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

absl::Status InvalidValue(absl::string_view key, absl::string_view value, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid trigger metadata: key \"", key, "\" has value \"", value, "\"; ", rule));
}

absl::Status MissingKey(absl::string_view key, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid trigger metadata: key \"", key, "\" is missing; ", rule));
}

// Parses a boolean as Go's strconv.ParseBool does.
absl::StatusOr<bool> ParseGoBool(absl::string_view key, absl::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "TRUE" || value == "true" ||
      value == "True") {
    return true;
  }
  if (value == "0" || value == "f" || value == "F" || value == "FALSE" || value == "false" ||
      value == "False") {
    return false;
  }
  return InvalidValue(key, value, absl::StrCat("allowed: ", kGoBoolValues));
}

absl::StatusOr<bool> ParseOptionalBool(const Metadata& metadata, absl::string_view key) {
  std::optional<std::string> value = Lookup(metadata, key);
  if (!value) return false;
  return ParseGoBool(key, *value);
}

// Parses a finite decimal number, close to Go's strconv.ParseFloat (no surrounding spaces).
// NaN and infinities are rejected because the HPA cannot use them as a target or threshold.
absl::StatusOr<double> ParseFiniteFloat(absl::string_view key, const std::string& value) {
  const bool spaced = absl::ascii_isspace(static_cast<unsigned char>(value.front())) ||
                      absl::ascii_isspace(static_cast<unsigned char>(value.back()));
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(value.c_str(), &end);
  if (spaced || end != value.c_str() + value.size() || errno == ERANGE || !std::isfinite(number)) {
    return InvalidValue(key, value, "must be a finite decimal number, e.g. 5 or 0.5");
  }
  return number;
}

// Parses a decimal integer as Go's strconv.Atoi does (optional sign, digits only).
absl::StatusOr<int> ParseGoInt(absl::string_view key, absl::string_view value) {
  absl::string_view digits = value;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  bool valid = !digits.empty();
  for (char c : digits) valid = valid && absl::ascii_isdigit(static_cast<unsigned char>(c));
  int number = 0;
  if (!valid || !absl::SimpleAtoi(value, &number)) {
    return InvalidValue(key, value, "must be an integer");
  }
  return number;
}

// Parses `timeout`: an integer is milliseconds, anything else a Go duration such as "500ms",
// "2s" or "1m30s" (absl::ParseDuration accepts the same units except "µs").
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view value) {
  bool all_digits = true;
  for (char c : value) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  int64_t milliseconds = 0;
  if (all_digits && absl::SimpleAtoi(value, &milliseconds)) return absl::Milliseconds(milliseconds);

  absl::Duration duration;
  if (!absl::ParseDuration(value, &duration) || duration < absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    return InvalidValue("timeout", value,
                        "must be a non-negative Go duration such as 500ms or 2s, or an integer "
                        "number of milliseconds");
  }
  return duration;
}

absl::StatusOr<ScalingMode> ParseMode(absl::string_view value) {
  if (value == "QueueLength") return ScalingMode::kQueueLength;
  if (value == "MessageRate") return ScalingMode::kMessageRate;
  if (value == "DeliverGetRate") return ScalingMode::kDeliverGetRate;
  if (value == "PublishedToDeliveredRatio") return ScalingMode::kPublishedToDeliveredRatio;
  if (value == "ExpectedQueueConsumptionTime") return ScalingMode::kExpectedQueueConsumptionTime;
  return InvalidValue("mode", value, absl::StrCat("allowed: ", kModeNames));
}

absl::StatusOr<QueueOperation> ParseOperation(const Metadata& metadata) {
  std::optional<std::string> value = Lookup(metadata, "operation");
  if (!value || *value == "sum") return QueueOperation::kSum;
  if (*value == "avg") return QueueOperation::kAvg;
  if (*value == "max") return QueueOperation::kMax;
  return InvalidValue("operation", *value, "allowed: sum, avg, max");
}

// Looks up the broker profile named by the `broker` key.
absl::StatusOr<BrokerEndpoint> ResolveBrokerProfile(const Metadata& metadata,
                                                    const std::string& name,
                                                    const BrokerResolver* brokers) {
  if (Lookup(metadata, "host") || Lookup(metadata, "hostFromEnv")) {
    return InvalidValue("broker", name,
                        "set either broker (a broker profile) or host/hostFromEnv, not both");
  }
  if (brokers == nullptr) {
    return InvalidValue("broker", name,
                        "the scaler has no broker profiles; start it with --broker-config FILE "
                        "or set host instead");
  }
  absl::StatusOr<BrokerEndpoint> endpoint = brokers->Resolve(name);
  if (!endpoint.ok()) return InvalidValue("broker", name, endpoint.status().message());
  return endpoint;
}

// Reads the broker from `broker` (a profile), from `host` or, when that is absent, from
// `hostFromEnv`. KEDA sends `hostFromEnv` with the value of the environment variable it
// names, already resolved.
absl::StatusOr<BrokerEndpoint> ParseHost(const Metadata& metadata, const BrokerResolver* brokers,
                                         std::string* host_key) {
  if (std::optional<std::string> broker = Lookup(metadata, "broker")) {
    *host_key = "broker";
    return ResolveBrokerProfile(metadata, *broker, brokers);
  }
  *host_key = "host";
  std::optional<std::string> host = Lookup(metadata, "host");
  if (!host) {
    *host_key = "hostFromEnv";
    host = Lookup(metadata, "hostFromEnv");
  }
  if (!host) {
    return MissingKey("host",
                      "set host, or hostFromEnv to the name of an environment variable of the "
                      "workload that contains the broker URL (KEDA drops hostFromEnv when that "
                      "variable is empty or not defined)");
  }

  absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(*host);
  if (!endpoint.ok()) {
    // The message already shows the URL, redacted.
    return absl::InvalidArgumentError(absl::StrCat("invalid trigger metadata: key \"", *host_key,
                                                   "\": ", endpoint.status().message()));
  }
  return endpoint;
}

// Checks the `protocol` key. `auto`, the default, follows the host URL's scheme. An explicit
// protocol must match the scheme, because an amqp client cannot use an http URL or the reverse.
absl::Status ResolveProtocol(const Metadata& metadata, const std::string& host_key,
                             const BrokerEndpoint& endpoint) {
  std::optional<std::string> protocol = Lookup(metadata, "protocol");
  if (!protocol || *protocol == "auto") return absl::OkStatus();

  const absl::string_view scheme_protocol = BrokerProtocolName(endpoint.protocol);
  if (*protocol == scheme_protocol) return absl::OkStatus();
  const absl::string_view schemes = *protocol == "http" ? "http:// or https://" : "amqp:// or amqps://";
  return InvalidValue("protocol", *protocol,
                      absl::StrCat("it does not match the scheme of ", host_key, " \"",
                                   endpoint.Redacted(), "\"; use protocol auto or a ", schemes,
                                   " URL"));
}

// Applies KEDA's rules for queueLength, mode and value, in KEDA's order. KEDA treats 0 as
// unset for all three, so "value: 0" is the same as no value.
absl::Status ParseModeAndValue(const Metadata& metadata, TriggerConfig* config) {
  std::optional<std::string> queue_length_text = Lookup(metadata, "queueLength");
  std::optional<std::string> mode_text = Lookup(metadata, "mode");
  std::optional<std::string> value_text = Lookup(metadata, "value");

  double queue_length = 0;
  if (queue_length_text) {
    absl::StatusOr<double> parsed = ParseFiniteFloat("queueLength", *queue_length_text);
    if (!parsed.ok()) return parsed.status();
    if (*parsed < 0) return InvalidValue("queueLength", *queue_length_text, "must be greater than 0");
    queue_length = *parsed;
  }
  double value = 0;
  if (value_text) {
    absl::StatusOr<double> parsed = ParseFiniteFloat("value", *value_text);
    if (!parsed.ok()) return parsed.status();
    if (*parsed < 0) return InvalidValue("value", *value_text, "must be greater than 0");
    value = *parsed;
  }
  std::optional<ScalingMode> mode;
  if (mode_text) {
    absl::StatusOr<ScalingMode> parsed = ParseMode(*mode_text);
    if (!parsed.ok()) return parsed.status();
    mode = *parsed;
  }

  // No trigger settings at all: QueueLength with a target of 20 messages per replica.
  if (queue_length == 0 && !mode && value == 0) {
    config->mode = ScalingMode::kQueueLength;
    config->value = kDefaultQueueLengthValue;
    return absl::OkStatus();
  }
  if (queue_length != 0 && (mode || value != 0)) {
    return InvalidValue("queueLength", *queue_length_text,
                        "queueLength is deprecated and cannot be combined with mode or value; "
                        "set only mode and value");
  }
  if (queue_length != 0) {
    config->mode = ScalingMode::kQueueLength;
    config->value = queue_length;
    return absl::OkStatus();
  }
  if (!mode) {
    return MissingKey("mode", absl::StrCat("it must be set when value is \"", *value_text,
                                           "\"; allowed: ", kModeNames));
  }
  if (!value_text) {
    return MissingKey("value", absl::StrCat("set a target greater than 0 for mode \"",
                                            *mode_text, "\""));
  }
  if (value == 0) {
    return InvalidValue("value", *value_text,
                        absl::StrCat("must be greater than 0 for mode \"", *mode_text, "\""));
  }
  config->mode = *mode;
  config->value = value;
  return absl::OkStatus();
}

absl::Status ParseActivationValue(const Metadata& metadata, TriggerConfig* config) {
  std::optional<std::string> text = Lookup(metadata, "activationValue");
  if (!text) return absl::OkStatus();
  absl::StatusOr<double> parsed = ParseFiniteFloat("activationValue", *text);
  if (!parsed.ok()) return parsed.status();
  config->activation_value = *parsed;
  return absl::OkStatus();
}

absl::Status ParsePageSize(const Metadata& metadata, int* page_size) {
  std::optional<std::string> text = Lookup(metadata, "pageSize");
  if (!text) return absl::OkStatus();
  absl::StatusOr<int> parsed = ParseGoInt("pageSize", *text);
  if (!parsed.ok()) return parsed.status();
  if (*parsed < 1 || *parsed > kMaxManagementPageSize) {
    return InvalidValue("pageSize", *text,
                        absl::StrCat("must be between 1 and ", kMaxManagementPageSize,
                                     " (the management API rejects larger pages)"));
  }
  *page_size = *parsed;
  return absl::OkStatus();
}

// Applies usernameFromEnv and passwordFromEnv (values already resolved by KEDA). They come
// together and replace the credentials of the host URL.
absl::Status ApplyCredentials(const Metadata& metadata, BrokerEndpoint* endpoint) {
  std::optional<std::string> username = Lookup(metadata, "usernameFromEnv");
  std::optional<std::string> password = Lookup(metadata, "passwordFromEnv");
  if (username && !password) {
    return MissingKey("passwordFromEnv",
                      absl::StrCat("usernameFromEnv (\"", *username,
                                   "\") and passwordFromEnv must be set together"));
  }
  if (password && !username) {
    return InvalidValue("passwordFromEnv", "***",
                        "usernameFromEnv is missing; usernameFromEnv and passwordFromEnv must "
                        "be set together");
  }
  if (!username) return absl::OkStatus();
  endpoint->username = *username;
  endpoint->password = *password;
  return absl::OkStatus();
}

absl::Status RequireHttp(absl::string_view key, absl::string_view value,
                         const BrokerEndpoint& endpoint) {
  if (endpoint.protocol == BrokerProtocol::kHttp) return absl::OkStatus();
  return InvalidValue(key, value,
                      "it needs protocol http (an http:// or https:// host URL for the "
                      "management API), but the protocol is amqp");
}

// Returns url.QueryEscape(text) after KEDA's NormalizeString ('/', '.', ':', '%', '(', ')' become
// '-'), with the '+' QueryEscape writes for a space and the '~' it keeps also turned into '-'.
std::string SanitizeMetricPart(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '_') {
      escaped.push_back(c);
    } else if (c == ' ' || c == '~' || c == '.') {
      escaped.push_back('-');
    } else {
      // QueryEscape writes %XX; NormalizeString turns the '%' into '-'.
      escaped.push_back('-');
      escaped.push_back(kHex[byte >> 4]);
      escaped.push_back(kHex[byte & 0x0F]);
    }
  }
  return escaped;
}

}  // namespace

absl::string_view TriggerConfig::ModeName(ScalingMode mode) {
  switch (mode) {
    case ScalingMode::kQueueLength:
      return "QueueLength";
    case ScalingMode::kMessageRate:
      return "MessageRate";
    case ScalingMode::kDeliverGetRate:
      return "DeliverGetRate";
    case ScalingMode::kPublishedToDeliveredRatio:
      return "PublishedToDeliveredRatio";
    case ScalingMode::kExpectedQueueConsumptionTime:
      return "ExpectedQueueConsumptionTime";
  }
  return "Unknown";
}

bool ModeNeedsHttp(ScalingMode mode) { return mode != ScalingMode::kQueueLength; }

std::string MetricNameFor(absl::string_view vhost, absl::string_view queue_name) {
  if (vhost.empty() || vhost == "/") return absl::StrCat("rabbitmq-", SanitizeMetricPart(queue_name));
  return absl::StrCat("rabbitmq-", SanitizeMetricPart(vhost), "-", SanitizeMetricPart(queue_name));
}

absl::StatusOr<TriggerConfig> ParseTriggerMetadata(const Metadata& metadata,
                                                   absl::Duration default_timeout) {
  TriggerParseOptions options;
  options.default_timeout = default_timeout;
  return ParseTriggerMetadata(metadata, options);
}

absl::StatusOr<TriggerConfig> ParseTriggerMetadata(const Metadata& metadata,
                                                   const TriggerParseOptions& options) {
  const absl::Duration default_timeout = options.default_timeout;
  TriggerConfig config;

  // Required keys.
  std::string host_key;
  absl::StatusOr<BrokerEndpoint> endpoint = ParseHost(metadata, options.brokers, &host_key);
  if (!endpoint.ok()) return endpoint.status();
  std::optional<std::string> queue_name = Lookup(metadata, "queueName");
  if (!queue_name) {
    return MissingKey("queueName", "set the queue name (a regex when useRegex is true)");
  }

  // Keys checked in the order of KEDA's Validate().
  std::optional<std::string> protocol = Lookup(metadata, "protocol");
  if (protocol && *protocol != "auto" && *protocol != "amqp" && *protocol != "http") {
    return InvalidValue("protocol", *protocol, "allowed: auto, amqp, http");
  }
  std::optional<std::string> tls = Lookup(metadata, "tls");
  if (tls && *tls != "enable" && *tls != "disable") {
    return InvalidValue("tls", *tls, "allowed: enable, disable");
  }
  int page_size = kDefaultPageSize;
  if (absl::Status status = ParsePageSize(metadata, &page_size); !status.ok()) return status;
  if (absl::Status status = ApplyCredentials(metadata, &*endpoint); !status.ok()) return status;
  if (absl::Status status = ResolveProtocol(metadata, host_key, *endpoint); !status.ok()) {
    return status;
  }

  // Keys that only the management API supports.
  absl::StatusOr<bool> use_regex = ParseOptionalBool(metadata, "useRegex");
  if (!use_regex.ok()) return use_regex.status();
  if (*use_regex) {
    if (absl::Status status = RequireHttp("useRegex", metadata.at("useRegex"), *endpoint);
        !status.ok()) {
      return status;
    }
  }
  absl::StatusOr<bool> exclude_unacknowledged = ParseOptionalBool(metadata, "excludeUnacknowledged");
  if (!exclude_unacknowledged.ok()) return exclude_unacknowledged.status();
  if (*exclude_unacknowledged) {
    if (absl::Status status = RequireHttp("excludeUnacknowledged",
                                          metadata.at("excludeUnacknowledged"), *endpoint);
        !status.ok()) {
      return status;
    }
  }
  // KEDA checks `operation` only when a regex read combines queues; invalid values fail here.
  absl::StatusOr<QueueOperation> operation = ParseOperation(metadata);
  if (!operation.ok()) return operation.status();

  // Trigger rules: queueLength, mode, value, then the protocol each mode needs.
  if (absl::Status status = ParseModeAndValue(metadata, &config); !status.ok()) return status;
  if (absl::Status status = ParseActivationValue(metadata, &config); !status.ok()) return status;
  if (ModeNeedsHttp(config.mode)) {
    if (absl::Status status =
            RequireHttp("mode", TriggerConfig::ModeName(config.mode), *endpoint);
        !status.ok()) {
      return status;
    }
  }

  // timeout: http only; 0 or absent means `default_timeout`.
  absl::Duration timeout = absl::ZeroDuration();
  if (std::optional<std::string> text = Lookup(metadata, "timeout")) {
    absl::StatusOr<absl::Duration> parsed = ParseTimeout(*text);
    if (!parsed.ok()) return parsed.status();
    timeout = *parsed;
    if (endpoint->protocol == BrokerProtocol::kAmqp && timeout != absl::ZeroDuration()) {
      return InvalidValue("timeout", *text,
                          "the amqp protocol does not support a timeout; remove it or use an "
                          "http:// host URL");
    }
  }
  if (endpoint->protocol == BrokerProtocol::kHttp && timeout == absl::ZeroDuration()) {
    timeout = default_timeout;
  }

  absl::StatusOr<bool> unsafe_ssl = ParseOptionalBool(metadata, "unsafeSsl");
  if (!unsafe_ssl.ok()) return unsafe_ssl.status();

  // vhostName replaces the vhost of the host URL, for amqp and http alike.
  if (std::optional<std::string> vhost_name = Lookup(metadata, "vhostName")) {
    endpoint->vhost = *vhost_name;
  }
  // A profile brings its own TLS files and checks; a host URL gets the scaler's.
  if (endpoint->profile.empty()) endpoint->tls_options = options.default_tls;
  if (*unsafe_ssl) {
    endpoint->tls_options.verify_peer = false;
    endpoint->tls_options.verify_hostname = false;
  }
  if (endpoint->tls) {
    if (absl::Status status = ValidateBrokerTlsOptions(endpoint->tls_options); !status.ok()) {
      return status;
    }
  }

  config.query.endpoint = *std::move(endpoint);
  config.query.queue_name = *queue_name;
  config.query.use_regex = *use_regex;
  config.query.operation = *operation;
  config.query.page_size = page_size;
  config.exclude_unacknowledged = *exclude_unacknowledged;
  config.timeout = timeout;
  config.unsafe_ssl = *unsafe_ssl;
  config.metric_name = MetricNameFor(config.query.endpoint.vhost, config.query.queue_name);
  return config;
}

}  // namespace krs::scaler
