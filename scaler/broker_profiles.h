// Broker profiles: named broker endpoints read from the scaler's --broker-config YAML file, with
// credentials and TLS files kept in separate files (e.g. a mounted Kubernetes Secret), so that
// a trigger says `broker: NAME` and carries no URL or password.
//
//   brokers:
//     - name: orders
//       url: amqps://rabbitmq.messaging.svc:5671/orders   # no password in the URL
//       username_file: /etc/rabbitmq-scaler/orders/username  # or `username: scaler`
//       password_file: /etc/rabbitmq-scaler/orders/password
//       tls:
//         ca_file: /etc/rabbitmq-scaler/tls/ca.crt
//         cert_file: /etc/rabbitmq-scaler/tls/tls.crt
//         key_file: /etc/rabbitmq-scaler/tls/tls.key
//         unsafe_ssl: false
//
// Relative paths are relative to the folder of the config file. One trailing newline ("\n" or
// "\r\n") is removed from the user name and password files; every other byte is kept, so a
// password needs no escaping.
#ifndef KRS_SCALER_BROKER_PROFILES_H_
#define KRS_SCALER_BROKER_PROFILES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scaler/broker_endpoint.h"

namespace krs::scaler {

// The profiles of one version of the config, resolved: files read, endpoints complete.
struct BrokerProfileSet {
  std::map<std::string, BrokerEndpoint> endpoints;  // by profile name
  // Every file the set was built from: the config file, then the files it names. A change of
  // any of them means the set must be loaded again.
  std::vector<std::string> files;

  // Returns the profile names joined by ", ", or "(none)".
  std::string NameList() const;
};

// Reads `config_file` and every file it names. INVALID_ARGUMENT, naming the file, the profile
// and the key, for YAML errors, unknown keys, a missing or duplicate name, a URL that is
// invalid or contains a password, a key file without a certificate (or the reverse), `tls` on
// a URL without TLS, or a file that cannot be read. Errors never contain file contents.
absl::StatusOr<BrokerProfileSet> LoadBrokerProfiles(const std::string& config_file);

// Parses config text as LoadBrokerProfiles does; `config_file` is used for messages and for
// relative paths.
absl::StatusOr<BrokerProfileSet> ParseBrokerProfiles(absl::string_view yaml_text,
                                                     const std::string& config_file);

}  // namespace krs::scaler

#endif  // KRS_SCALER_BROKER_PROFILES_H_
