#include "scaler/management_stats_source.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/url.h"
#include "scaler/management_stats_json.h"
#include "scaler/management_url.h"

namespace krs::scaler {
namespace {

// A timeout can end a request a little before the deadline because httplib's timeouts have
// microsecond resolution and the clock is read before the request starts.
constexpr absl::Duration kTimeoutSlack = absl::Milliseconds(20);

// RabbitMQ 3.10 returns 401 both for a failed login ({"reason":"Login failed"}) and for a user
// that logged in but may not use the management API or the vhost (reasons "Not management
// user" and "User not authorised to access virtual host").
bool IsAuthorizationFailure(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return false;
  auto reason = json.find("reason");
  if (reason == json.end() || !reason->is_string()) return false;
  const std::string& text = reason->get_ref<const std::string&>();
  return text == "Not management user" ||
         text.find("not authorised to access") != std::string::npos;
}

std::string Truncate(const std::string& body, size_t max_size) {
  if (body.size() <= max_size) return body;
  return absl::StrCat(body.substr(0, max_size), "...");
}

std::string VhostName(const BrokerEndpoint& endpoint) {
  return endpoint.vhost.empty() ? "/" : endpoint.vhost;
}

// Returns "<prefix>/api/vhosts/<vhost>", used to tell a missing vhost from a missing queue.
std::string VhostPath(const BrokerEndpoint& endpoint) {
  std::string vhost = VhostName(endpoint);
  std::string segment = vhost == "."    ? "%2E"
                        : vhost == ".." ? "%2E%2E"
                                        : PercentEncodePathSegment(vhost);
  return absl::StrCat(endpoint.path_prefix, "/api/vhosts/", segment);
}

// Explains a TLS failure of an https request; OK for errors that are not about TLS.
absl::Status TlsError(const BrokerEndpoint& endpoint, httplib::Error error) {
  const BrokerTlsOptions& tls = endpoint.tls_options;
  const std::string trusted = tls.ca_file.empty()
                                  ? "the system CA store (no CA file is set)"
                                  : absl::StrCat("CA file \"", tls.ca_file, "\"");
  switch (error) {
    case httplib::Error::SSLServerVerification:
      // httplib 0.11 checks the chain and the host name in one step and reports both alike.
      return absl::UnavailableError(absl::StrCat(
          "TLS certificate verification failed: the management API's certificate is not "
          "signed by a CA in ", trusted, " or is not valid for host \"", endpoint.host,
          "\"; set the broker's CA file and use a host name the certificate lists, or set "
          "unsafeSsl: true to skip the checks"));
    case httplib::Error::SSLConnection:
      return absl::UnavailableError(
          "TLS handshake failed: the server may require a client certificate or reject the "
          "one sent, or the port does not serve TLS");
    case httplib::Error::Read:
      // TLS 1.3 servers check the client certificate after the client's side of the handshake,
      // so a rejected or missing certificate shows up as a failed read.
      return absl::UnavailableError(
          "reading the response failed; over TLS this usually means the server rejected the "
          "client certificate or requires one");
    case httplib::Error::SSLLoadingCerts:
      return absl::InvalidArgumentError(absl::StrCat("loading ", trusted, " failed"));
    default:
      return absl::OkStatus();
  }
}

std::chrono::microseconds ToChrono(absl::Duration duration) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(duration));
}

}  // namespace

ManagementStatsSource::ManagementStatsSource(ManagementStatsSourceOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {}

absl::StatusOr<QueueStats> ManagementStatsSource::Read(const QueueQuery& query,
                                                       absl::Time deadline) {
  if (query.endpoint.protocol != BrokerProtocol::kHttp) {
    return absl::InvalidArgumentError(absl::StrCat("the management API stats source cannot read ",
                                                   query.endpoint.Redacted(),
                                                   ": not an http endpoint"));
  }

  absl::StatusOr<QueueStats> stats =
      query.use_regex ? ReadRegex(query, deadline) : ReadQueue(query, deadline);
  if (stats.ok()) return stats;
  return absl::Status(stats.status().code(),
                      absl::StrCat(query.use_regex ? "reading queues matching \"" : "reading queue \"",
                                   query.queue_name, "\" from ", query.endpoint.Redacted(), ": ",
                                   stats.status().message()));
}

absl::StatusOr<QueueStats> ManagementStatsSource::ReadQueue(const QueueQuery& query,
                                                            absl::Time deadline) {
  absl::StatusOr<std::string> path = ManagementQueuePath(query.endpoint, query.queue_name);
  if (!path.ok()) return path.status();

  absl::StatusOr<Response> response = Get(query.endpoint, *path, deadline);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return StatusFromResponse(query.endpoint, *path, *response, /*regex=*/false, deadline);
  }

  return ParseQueueStatsJson(response->body, *path);
}

absl::StatusOr<QueueStats> ManagementStatsSource::ReadRegex(const QueueQuery& query,
                                                            absl::Time deadline) {
  QueueStatsCombiner combiner(query.operation);
  int64_t page_count = 1;

  for (int page = 1; page <= page_count; ++page) {
    absl::StatusOr<std::string> path =
        ManagementRegexPagePath(query.endpoint, query.queue_name, page, query.page_size);
    if (!path.ok()) return path.status();

    absl::StatusOr<Response> response = Get(query.endpoint, *path, deadline);
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return StatusFromResponse(query.endpoint, *path, *response, /*regex=*/true, deadline);
    }

    absl::StatusOr<QueueStatsPage> body = ParseQueueStatsPageJson(response->body, *path);
    if (!body.ok()) return body.status();
    for (const QueueStats& item : body->items) combiner.Add(item);

    if (page == 1) {
      page_count = body->page_count;
      if (page_count > options_.max_pages) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the regex matches ", page_count, " pages of ", query.page_size,
            " queues, more than the limit of ", options_.max_pages,
            " pages; use a narrower regex or a larger pageSize"));
      }
    }
  }
  // NOTE: queues created or deleted between two page reads can be counted twice or missed, and
  // a page that no longer exists returns HTTP 400, which fails the read.
  return combiner.Result();
}

absl::StatusOr<ManagementStatsSource::Response> ManagementStatsSource::Get(
    const BrokerEndpoint& endpoint, const std::string& path, absl::Time deadline) {
  absl::Time start = clock_();
  absl::Duration timeout = std::min(options_.request_timeout, deadline - start);
  if (timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("the deadline passed before GET ", path));
  }

  // One client per request instead of a pool of keep-alive clients. An httplib::Client serves
  // one request at a time and the timeouts differ per call. The cache in front of this source
  // already reduces the requests to about one per query and TTL, so the saved TCP handshake is
  // not worth a pool's locking and stale-connection handling.
  std::string origin = ManagementOrigin(endpoint);
  const BrokerTlsOptions& tls = endpoint.tls_options;
  if (endpoint.tls) {
    absl::Status valid = ValidateBrokerTlsOptions(tls);
    if (!valid.ok()) return valid;
  }
  std::unique_ptr<httplib::Client> client =
      endpoint.tls && !tls.cert_file.empty()
          ? std::make_unique<httplib::Client>(origin, tls.cert_file, tls.key_file)
          : std::make_unique<httplib::Client>(origin);
  if (!client->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create an HTTP client for ", origin,
                                                   " (check the scheme and the TLS files)"));
  }
  if (endpoint.tls) {
    if (!tls.ca_file.empty()) client->set_ca_cert_path(tls.ca_file);
    // NOTE: httplib 0.11 checks the hostname together with the peer certificate, so
    // verify_hostname cannot be turned off on its own.
    client->enable_server_certificate_verification(tls.verify_peer);
  }
  if (!endpoint.username.empty() || !endpoint.password.empty()) {
    client->set_basic_auth(endpoint.username, endpoint.password);
  }
  client->set_keep_alive(false);
  client->set_url_encode(false);
  // NOTE: httplib's read timeout bounds each socket read, not the whole response, so a server
  // that trickles bytes can hold a request past the deadline.
  client->set_connection_timeout(ToChrono(timeout));
  client->set_read_timeout(ToChrono(timeout));
  client->set_write_timeout(ToChrono(timeout));

  httplib::Result result = client->Get(path);
  if (result) return Response{result->status, result->body};

  httplib::Error error = result.error();
  bool timed_out = error == httplib::Error::ConnectionTimeout ||
                   ((error == httplib::Error::Read || error == httplib::Error::Write) &&
                    clock_() - start + kTimeoutSlack >= timeout);
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("GET ", path, " timed out after ", absl::FormatDuration(timeout)));
  }
  if (endpoint.tls) {
    absl::Status tls_error = TlsError(endpoint, error);
    if (!tls_error.ok()) return tls_error;
  }
  return absl::UnavailableError(
      absl::StrCat("GET ", path, " failed: ", httplib::to_string(error)));
}

absl::Status ManagementStatsSource::StatusFromResponse(const BrokerEndpoint& endpoint,
                                                       const std::string& path,
                                                       const Response& response, bool regex,
                                                       absl::Time deadline) {
  std::string detail = absl::StrCat("GET ", path, " returned HTTP ", response.status, ": ",
                                    Truncate(response.body, options_.max_body_in_error));
  std::string vhost = VhostName(endpoint);

  switch (response.status) {
    case 401:
      if (IsAuthorizationFailure(response.body)) {
        return absl::PermissionDeniedError(absl::StrCat("user \"", endpoint.username,
                                                        "\" is not allowed to read; ", detail));
      }
      return absl::UnauthenticatedError(
          absl::StrCat("the management API rejected the credentials of user \"",
                       endpoint.username, "\"; ", detail));
    case 403:
      return absl::PermissionDeniedError(detail);
    case 404:
      break;
    default:
      if (response.status >= 500) return absl::UnavailableError(detail);
      return absl::InvalidArgumentError(detail);
  }

  // RabbitMQ 3.10 returns the same 404 body for a missing vhost and a missing queue. The list
  // of a vhost's queues exists unless the vhost is missing, and for a single queue a GET of the
  // vhost tells the two apart.
  if (regex) return absl::NotFoundError(absl::StrCat("vhost \"", vhost, "\" not found; ", detail));
  absl::StatusOr<Response> vhost_response = Get(endpoint, VhostPath(endpoint), deadline);
  if (vhost_response.ok() && vhost_response->status == 404) {
    return absl::NotFoundError(absl::StrCat("vhost \"", vhost, "\" not found; ", detail));
  }
  if (vhost_response.ok() && vhost_response->status == 200) {
    return absl::NotFoundError(absl::StrCat("queue not found in vhost \"", vhost, "\"; ", detail));
  }
  return absl::NotFoundError(absl::StrCat("queue or vhost \"", vhost, "\" not found; ", detail));
}

}  // namespace krs::scaler
