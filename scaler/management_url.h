// Request paths of the RabbitMQ management HTTP API, built from a BrokerEndpoint (no I/O).
//
// The vhost and the queue name always become single percent-encoded path segments, so a queue
// name cannot reach another endpoint: "/" is %2F, a space %20, and "?", "#", "+", "%" are
// encoded. The default vhost "/" is written %2F as the API requires.
#ifndef KRS_SCALER_MANAGEMENT_URL_H_
#define KRS_SCALER_MANAGEMENT_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scaler/broker_endpoint.h"

namespace krs::scaler {

// The management API's maximum page_size. The broker rejects larger values with HTTP 400.
inline constexpr int kMaxManagementPageSize = 500;

// Returns "http://host:port" or "https://host:port" (IPv6 in brackets, no credentials): the
// origin the request paths below are sent to. Credentials go in an Authorization header.
std::string ManagementOrigin(const BrokerEndpoint& endpoint);

// Returns "<prefix>/api/queues/<vhost>/<queue>". INVALID_ARGUMENT for an empty queue name,
// which would address the list of all queues instead.
absl::StatusOr<std::string> ManagementQueuePath(const BrokerEndpoint& endpoint,
                                                absl::string_view queue_name);

// Returns "<prefix>/api/queues/<vhost>?page=N&page_size=S&name=<regex>&use_regex=true&
// pagination=true" for reading page `page` (1-based) of the queues whose name matches `regex`.
// The broker treats the regex as unanchored and case-insensitive. INVALID_ARGUMENT when `page`
// is below 1 or `page_size` is outside 1..kMaxManagementPageSize.
absl::StatusOr<std::string> ManagementRegexPagePath(const BrokerEndpoint& endpoint,
                                                    absl::string_view regex, int page,
                                                    int page_size);

}  // namespace krs::scaler

#endif  // KRS_SCALER_MANAGEMENT_URL_H_
