// BrokerEndpoint: where and how to reach one RabbitMQ broker, parsed from a trigger's host URL.
//
// Pure data plus parsing; no I/O. The password is kept for connecting but never appears in
// Redacted(), in errors or in logs.
#ifndef KRS_SCALER_BROKER_ENDPOINT_H_
#define KRS_SCALER_BROKER_ENDPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::scaler {

enum class BrokerProtocol { kAmqp, kHttp };

// TLS settings for the broker connection (amqps:// or https://).
struct BrokerTlsOptions {
  std::string ca_file;           // PEM CA bundle; empty uses the system store
  std::string cert_file;         // PEM client certificate, with key_file
  std::string key_file;          // PEM client key, with cert_file
  bool verify_peer = true;       // false when unsafeSsl is set
  bool verify_hostname = true;   // false when unsafeSsl is set
};

struct BrokerEndpoint {
  BrokerProtocol protocol = BrokerProtocol::kAmqp;
  bool tls = false;              // amqps:// or https://
  std::string host;              // without brackets for IPv6
  int port = 0;                  // defaults: amqp 5672, amqps 5671, http 80, https 443
  std::string username;          // percent-decoded once
  std::string password;          // percent-decoded once; never logged
  // amqp: the decoded vhost ("/" when the URL path is empty or "/").
  // http: the vhost as a single decoded name; ManagementUrl encodes it as one path segment.
  std::string vhost;
  std::string path_prefix;       // http only: path before /api, e.g. "/rabbitmq"; "" if none
  BrokerTlsOptions tls_options;
  // The broker profile (--broker-config) this endpoint came from, selected by the trigger's
  // `broker` key; empty for a host URL. Reads refresh the credentials from the profile.
  std::string profile;

  // Returns the URL with the password replaced by "***", for logs and errors.
  std::string Redacted() const;

  // Returns a key that identifies the endpoint and its credentials, for pooling and caching.
  // The password enters only as a hash.
  std::string CacheKey() const;
};

// Returns INVALID_ARGUMENT when a client key is set without its certificate or the reverse,
// naming the file that is set.
absl::Status ValidateBrokerTlsOptions(const BrokerTlsOptions& options);

// Returns "amqp" or "http".
absl::string_view BrokerProtocolName(BrokerProtocol protocol);

// Returns the port used when the URL has none: amqp 5672, amqps 5671, http 80, https 443.
int DefaultBrokerPort(BrokerProtocol protocol, bool tls);

// Parses a trigger's host URL. The scheme picks the protocol (amqp, amqps, http, https).
// amqp: the whole path after the first '/' is the vhost, decoded once; an empty path or "/"
// means the default vhost "/". http: the last path segment is the vhost (decoded once; empty or
// "/" means "/"), and the segments before it are the path prefix kept in front of /api, as KEDA
// does. Query and fragment are ignored. Returns INVALID_ARGUMENT, with the URL redacted, for an
// unparseable URL, another scheme, a missing host name or an invalid percent escape.
absl::StatusOr<BrokerEndpoint> ParseBrokerEndpoint(absl::string_view host_url);

}  // namespace krs::scaler

#endif  // KRS_SCALER_BROKER_ENDPOINT_H_
