#include "scaler/management_url.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/url.h"

namespace krs::scaler {
namespace {

// Encodes one path segment. "." and ".." are written %2E and %2E%2E because clients and proxies
// resolve literal dot segments, which would turn ".../queues/%2F/.." into ".../queues".
std::string EncodeSegment(absl::string_view segment) {
  if (segment == ".") return "%2E";
  if (segment == "..") return "%2E%2E";
  return PercentEncodePathSegment(segment);
}

// Returns "<prefix>/api/queues/<vhost>"; an empty vhost means the default vhost "/".
std::string VhostQueuesPath(const BrokerEndpoint& endpoint) {
  // A std::string: the conditional yields a temporary, which a string_view would outlive.
  const std::string vhost = endpoint.vhost.empty() ? "/" : endpoint.vhost;
  return absl::StrCat(endpoint.path_prefix, "/api/queues/", EncodeSegment(vhost));
}

}  // namespace

std::string ManagementOrigin(const BrokerEndpoint& endpoint) {
  const std::string host = endpoint.host.find(':') != std::string::npos
                               ? absl::StrCat("[", endpoint.host, "]")
                               : endpoint.host;
  return absl::StrCat(endpoint.tls ? "https" : "http", "://", host, ":", endpoint.port);
}

absl::StatusOr<std::string> ManagementQueuePath(const BrokerEndpoint& endpoint,
                                                absl::string_view queue_name) {
  if (queue_name.empty()) {
    return absl::InvalidArgumentError("queue name is empty; a management API path needs a name");
  }
  return absl::StrCat(VhostQueuesPath(endpoint), "/", EncodeSegment(queue_name));
}

absl::StatusOr<std::string> ManagementRegexPagePath(const BrokerEndpoint& endpoint,
                                                    absl::string_view regex, int page,
                                                    int page_size) {
  if (page < 1) {
    return absl::InvalidArgumentError(absl::StrCat("page ", page, " is invalid; pages start at 1"));
  }
  if (page_size < 1 || page_size > kMaxManagementPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page size ", page_size,
                                                   " is invalid; allowed: 1 to ",
                                                   kMaxManagementPageSize));
  }
  return absl::StrCat(VhostQueuesPath(endpoint), "?page=", page, "&page_size=", page_size,
                      "&name=", PercentEncodeQueryValue(regex), "&use_regex=true&pagination=true");
}

}  // namespace krs::scaler
