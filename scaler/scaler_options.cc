#include "scaler/scaler_options.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace krs::scaler {
namespace {

absl::Status RequirePositive(absl::string_view name, absl::Duration value) {
  if (value > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid ", name, " \"", absl::FormatDuration(value),
                                                 "\": must be greater than 0"));
}

absl::Status RequireNonNegative(absl::string_view name, absl::Duration value) {
  if (value >= absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid ", name, " \"", absl::FormatDuration(value),
                                                 "\": must be 0 or greater"));
}

// Accepts "host:port" and "[v6-address]:port" with a port of 0..65535, and gRPC's
// "unix:path" form. gRPC itself would accept an out-of-range port and listen elsewhere.
absl::Status ValidateListen(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:") && listen.size() > 5) return absl::OkStatus();

  auto invalid = [&listen](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("invalid listen \"", listen, "\": ", reason,
                                                   "; expected host:port, e.g. 0.0.0.0:9090"));
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return invalid("missing host or port");

  absl::string_view port_text = absl::string_view(listen).substr(colon + 1);
  int port = -1;
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return invalid("the port must be a number from 0 to 65535");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ScalerOptions::Validate() const {
  absl::Status status = ValidateListen(listen);
  if (!status.ok()) return status;

  status = RequirePositive("timeout", default_timeout);
  if (!status.ok()) return status;

  status = RequireNonNegative("cache_ttl", cache_ttl);
  if (!status.ok()) return status;

  status = RequirePositive("stream_check_interval", stream_check_interval);
  if (!status.ok()) return status;

  status = RequireNonNegative("shutdown_grace", shutdown_grace);
  if (!status.ok()) return status;

  status = RequireNonNegative("warning_interval", warning_interval);
  if (!status.ok()) return status;

  if (tls.cert_file.empty() != tls.key_file.empty() ||
      (!tls.client_ca_file.empty() && tls.cert_file.empty())) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-key-file must be set together, and --tls-client-ca-file "
        "needs both");
  }
  return ValidateBrokerTlsOptions(broker_tls);
}

}  // namespace krs::scaler
