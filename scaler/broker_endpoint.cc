#include "scaler/broker_endpoint.h"

#include <openssl/evp.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/url.h"

namespace krs::scaler {
namespace {

constexpr absl::string_view kDefaultVhost = "/";

absl::Status InvalidHostUrl(absl::string_view host_url, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid host URL \"", RedactSingleUrl(host_url), "\": ", reason));
}

// Returns the SHA-256 of `text` in hex, so a password can be part of a cache key.
std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    // EVP_Digest fails only when OpenSSL cannot allocate. The key then gets a constant, never
    // the password.
    return "sha256-failed";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

// The amqp vhost is the whole path after the leading '/', decoded once (amqp091 ParseURI).
absl::Status ParseAmqpVhost(absl::string_view host_url, absl::string_view raw_path,
                            BrokerEndpoint* endpoint) {
  absl::string_view encoded = raw_path;
  if (!encoded.empty() && encoded.front() == '/') encoded.remove_prefix(1);

  absl::StatusOr<std::string> vhost = PercentDecode(encoded);
  if (!vhost.ok()) return InvalidHostUrl(host_url, "the vhost has an invalid percent escape");
  endpoint->vhost = vhost->empty() ? std::string(kDefaultVhost) : *std::move(vhost);
  return absl::OkStatus();
}

// The http vhost is the last path segment; the segments before it form the path prefix that
// goes in front of /api (KEDA's getVhostAndPathFromURL). "http://h/vh/" has an empty last
// segment, so its vhost is the default one and "/vh" is the prefix.
absl::Status ParseHttpVhostAndPrefix(absl::string_view host_url, absl::string_view raw_path,
                                     BrokerEndpoint* endpoint) {
  std::vector<absl::string_view> segments = absl::StrSplit(raw_path, '/');
  absl::string_view last = segments.back();
  segments.pop_back();

  std::vector<absl::string_view> prefix;
  for (absl::string_view segment : segments) {
    if (segment.empty()) continue;
    if (segment == "." || segment == "..") {
      return InvalidHostUrl(host_url, "the path must not contain '.' or '..' segments");
    }
    prefix.push_back(segment);
  }
  endpoint->path_prefix = prefix.empty() ? "" : absl::StrCat("/", absl::StrJoin(prefix, "/"));

  absl::StatusOr<std::string> vhost = PercentDecode(last);
  if (!vhost.ok()) return InvalidHostUrl(host_url, "the vhost has an invalid percent escape");
  endpoint->vhost = vhost->empty() ? std::string(kDefaultVhost) : *std::move(vhost);
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBrokerTlsOptions(const BrokerTlsOptions& options) {
  if (!options.key_file.empty() && options.cert_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the broker TLS client key \"", options.key_file,
        "\" is set without a client certificate; set the certificate file too, or neither"));
  }
  if (!options.cert_file.empty() && options.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the broker TLS client certificate \"", options.cert_file,
        "\" is set without its key; set the key file too, or neither"));
  }
  return absl::OkStatus();
}

absl::string_view BrokerProtocolName(BrokerProtocol protocol) {
  return protocol == BrokerProtocol::kAmqp ? "amqp" : "http";
}

int DefaultBrokerPort(BrokerProtocol protocol, bool tls) {
  if (protocol == BrokerProtocol::kAmqp) return tls ? 5671 : 5672;
  return tls ? 443 : 80;
}

absl::StatusOr<BrokerEndpoint> ParseBrokerEndpoint(absl::string_view host_url) {
  absl::StatusOr<Url> url = ParseUrl(host_url);
  if (!url.ok()) return InvalidHostUrl(host_url, url.status().message());

  BrokerEndpoint endpoint;
  if (url->scheme == "amqp" || url->scheme == "amqps") {
    endpoint.protocol = BrokerProtocol::kAmqp;
  } else if (url->scheme == "http" || url->scheme == "https") {
    endpoint.protocol = BrokerProtocol::kHttp;
  } else {
    return InvalidHostUrl(host_url, absl::StrCat("unknown scheme \"", url->scheme,
                                                 "\"; allowed: amqp, amqps, http, https"));
  }
  endpoint.tls = url->scheme == "amqps" || url->scheme == "https";

  if (url->host.empty()) return InvalidHostUrl(host_url, "the host name is missing");
  endpoint.host = url->host;
  endpoint.port = url->port != 0 ? url->port : DefaultBrokerPort(endpoint.protocol, endpoint.tls);
  endpoint.username = url->username;
  endpoint.password = url->password;

  absl::Status status = endpoint.protocol == BrokerProtocol::kAmqp
                            ? ParseAmqpVhost(host_url, url->raw_path, &endpoint)
                            : ParseHttpVhostAndPrefix(host_url, url->raw_path, &endpoint);
  if (!status.ok()) return status;
  return endpoint;
}

std::string BrokerEndpoint::Redacted() const {
  std::string scheme(BrokerProtocolName(protocol));
  if (tls) scheme.push_back('s');
  std::string userinfo;
  if (!password.empty()) {
    userinfo = absl::StrCat(PercentEncodePathSegment(username), ":***@");
  } else if (!username.empty()) {
    userinfo = absl::StrCat(PercentEncodePathSegment(username), "@");
  }
  const std::string host_text =
      host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  return absl::StrCat(scheme, "://", userinfo, host_text, ":", port, path_prefix, "/",
                      PercentEncodePathSegment(vhost));
}

std::string BrokerEndpoint::CacheKey() const {
  // Every string is percent-encoded, so the '|' separators cannot be forged by a value.
  return absl::StrJoin(
      {std::string(BrokerProtocolName(protocol)), std::string(tls ? "tls" : "plain"),
       PercentEncodeQueryValue(host), absl::StrCat(port), PercentEncodeQueryValue(username),
       Sha256Hex(password), PercentEncodeQueryValue(vhost), PercentEncodeQueryValue(path_prefix),
       PercentEncodeQueryValue(tls_options.ca_file), PercentEncodeQueryValue(tls_options.cert_file),
       PercentEncodeQueryValue(tls_options.key_file),
       std::string(tls_options.verify_peer ? "verify-peer" : "no-verify-peer"),
       std::string(tls_options.verify_hostname ? "verify-host" : "no-verify-host"),
       PercentEncodeQueryValue(profile)},
      "|");
}

}  // namespace krs::scaler
