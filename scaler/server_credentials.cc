#include "scaler/server_credentials.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::scaler {
namespace {

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", path, "\" cannot be read; check the path and its permissions"));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Parses the first certificate and the key, and checks that they belong together, so that a
// mistake shows at startup with the flag's name instead of as a failed handshake later.
absl::Status CheckCertificateAndKey(const ServerTlsOptions& options, const std::string& cert_pem,
                                    const std::string& key_pem) {
  auto cert_bio = MemoryBio(cert_pem);
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-cert-file \"", options.cert_file, "\" contains no PEM certificate"));
  }
  auto key_bio = MemoryBio(key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key-file \"", options.key_file,
        "\" contains no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key-file \"", options.key_file,
                                                   "\" is not the key of --tls-cert-file \"",
                                                   options.cert_file, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckCaBundle(const std::string& path, const std::string& pem) {
  auto bio = MemoryBio(pem);
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert != nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--tls-client-ca-file \"", path, "\" contains no PEM certificate"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options) {
  if (!options.enabled()) return grpc::InsecureServerCredentials();

  if (options.cert_file.empty() && !options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-key-file is set without --tls-cert-file; set both to serve TLS");
  }
  if (options.key_file.empty() && !options.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file is set without --tls-key-file; set both to serve TLS");
  }
  if (options.cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca-file needs --tls-cert-file and --tls-key-file: mutual TLS is TLS with "
        "client certificates");
  }

  absl::StatusOr<std::string> cert_pem = ReadPemFile("--tls-cert-file", options.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadPemFile("--tls-key-file", options.key_file);
  if (!key_pem.ok()) return key_pem.status();
  absl::Status status = CheckCertificateAndKey(options, *cert_pem, *key_pem);
  if (!status.ok()) return status;

  grpc::SslServerCredentialsOptions ssl_options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl_options.pem_key_cert_pairs.push_back({*key_pem, *cert_pem});
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem =
        ReadPemFile("--tls-client-ca-file", options.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    status = CheckCaBundle(options.client_ca_file, *ca_pem);
    if (!status.ok()) return status;
    ssl_options.pem_root_certs = *ca_pem;
    ssl_options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl_options);
}

}  // namespace krs::scaler
