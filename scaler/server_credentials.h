// Server TLS for the scaler's gRPC listener: grpc::ServerCredentials built from PEM files given
// by flags, for plaintext, TLS, or mutual TLS (client certificates required and verified).
#ifndef KRS_SCALER_SERVER_CREDENTIALS_H_
#define KRS_SCALER_SERVER_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace krs::scaler {

struct ServerTlsOptions {
  std::string cert_file;       // --tls-cert-file: PEM server certificate chain
  std::string key_file;        // --tls-key-file: PEM private key of cert_file
  std::string client_ca_file;  // --tls-client-ca-file: PEM CAs; set = mutual TLS

  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty(); }
};

// Returns insecure credentials when no file is set, TLS credentials with cert_file and
// key_file, and with client_ca_file also credentials that require a client certificate signed
// by one of its CAs. The files are read once, now. INVALID_ARGUMENT naming the flag when a
// file is set without its partner (a key without a certificate, a certificate without a key,
// a client CA without both), cannot be read, holds no PEM certificate or key, or when the key
// does not belong to the certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options);

}  // namespace krs::scaler

#endif  // KRS_SCALER_SERVER_CREDENTIALS_H_
