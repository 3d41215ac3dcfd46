#include "tests/testing/broker_env.h"

#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/url.h"

namespace krs::testing {
namespace {

constexpr char kDefaultAmqpUrl[] = "amqp://guest:guest@127.0.0.1:29672/%2F";
constexpr char kDefaultHttpUrl[] = "http://guest:guest@127.0.0.1:29673";

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string QueuePath(absl::string_view vhost, absl::string_view queue) {
  return absl::StrCat("/api/queues/", PercentEncodePathSegment(vhost), "/",
                      PercentEncodePathSegment(queue));
}

}  // namespace

std::string TestAmqpUrl() { return EnvOr("RMQ_AMQP_URL", kDefaultAmqpUrl); }

std::string TestHttpUrl() { return EnvOr("RMQ_HTTP_URL", kDefaultHttpUrl); }

std::string UniqueName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  static const unsigned seed = std::random_device{}();
  return absl::StrCat(prefix, "-", getpid(), "-", counter.fetch_add(1), "-", seed % 100000);
}

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout,
                absl::Duration interval) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

absl::StatusOr<std::unique_ptr<AmqpConnection>> StartHoldingConsumer(const std::string& amqp_url,
                                                                     absl::string_view queue,
                                                                     int prefetch) {
  absl::StatusOr<AmqpConnectionOptions> options = AmqpConnectionOptions::FromUrl(amqp_url);
  if (!options.ok()) return options.status();
  options->connection_name = "krs-test-holding-consumer";
  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = AmqpConnection::Open(*options);
  if (!connection.ok()) return connection.status();

  AmqpConnection& amqp = **connection;
  constexpr amqp_channel_t kChannel = 1;
  absl::Status status = amqp.OpenChannel(kChannel);
  if (!status.ok()) return status;

  amqp_basic_qos(amqp.state(), kChannel, 0, static_cast<uint16_t>(prefetch), 0);
  status = amqp.CheckReply(amqp_get_rpc_reply(amqp.state()), kChannel, "basic.qos");
  if (!status.ok()) return status;

  amqp_bytes_t queue_bytes;
  queue_bytes.bytes = const_cast<char*>(queue.data());
  queue_bytes.len = queue.size();
  amqp_basic_consume(amqp.state(), kChannel, queue_bytes, amqp_empty_bytes, /*no_local=*/0,
                     /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  status = amqp.CheckReply(amqp_get_rpc_reply(amqp.state()), kChannel, "basic.consume");
  if (!status.ok()) return status;
  return connection;
}

ManagementClient::ManagementClient(std::string http_url) : http_url_(std::move(http_url)) {
  absl::StatusOr<Url> url = ParseUrl(http_url_);
  if (!url.ok()) return;
  origin_ = absl::StrCat(url->scheme, "://", url->host, ":", url->port == 0 ? 80 : url->port);
  username_ = url->username;
  password_ = url->password;
}

absl::StatusOr<std::string> ManagementClient::Request(absl::string_view method,
                                                      const std::string& path,
                                                      const std::string& body) {
  if (origin_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid management URL \"", RedactUrl(http_url_), "\""));
  }
  httplib::Client client(origin_);
  client.set_basic_auth(username_, password_);
  client.set_url_encode(false);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(30));

  auto send = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path);
    if (method == "PUT") return client.Put(path, body, "application/json");
    if (method == "POST") return client.Post(path, body, "application/json");
    return client.Delete(path);
  };
  if (method != "GET" && method != "PUT" && method != "POST" && method != "DELETE") {
    return absl::InvalidArgumentError(absl::StrCat("unsupported method ", method));
  }
  httplib::Result result = send();

  if (!result) {
    return absl::UnavailableError(absl::StrCat(method, " ", RedactUrl(http_url_), path,
                                               " failed: ", httplib::to_string(result.error())));
  }
  if (result->status < 200 || result->status >= 300) {
    return absl::UnknownError(absl::StrCat(method, " ", path, " returned HTTP ", result->status,
                                           ": ", result->body));
  }
  return result->body;
}

absl::Status ManagementClient::CheckReachable() {
  absl::StatusOr<std::string> overview = Request("GET", "/api/overview");
  if (overview.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "the test broker's management API at ", RedactUrl(http_url_),
      " cannot be reached (", overview.status().message(),
      "); start it with scripts/rabbitmq.sh start and export the URLs of "
      "scripts/rabbitmq.sh env"));
}

absl::Status ManagementClient::DeclareQueue(absl::string_view vhost, absl::string_view queue) {
  return Request("PUT", QueuePath(vhost, queue), R"({"durable":false,"auto_delete":false})")
      .status();
}

absl::Status ManagementClient::DeleteQueue(absl::string_view vhost, absl::string_view queue) {
  return Request("DELETE", QueuePath(vhost, queue)).status();
}

absl::Status ManagementClient::DeclareVhost(absl::string_view vhost) {
  return Request("PUT", absl::StrCat("/api/vhosts/", PercentEncodePathSegment(vhost)), "{}")
      .status();
}

absl::Status ManagementClient::DeleteVhost(absl::string_view vhost) {
  return Request("DELETE", absl::StrCat("/api/vhosts/", PercentEncodePathSegment(vhost)))
      .status();
}

absl::Status ManagementClient::CreateUser(absl::string_view user, absl::string_view password,
                                          absl::string_view tags, absl::string_view vhost) {
  nlohmann::json body = {{"password", std::string(password)}, {"tags", std::string(tags)}};
  absl::Status status =
      Request("PUT", absl::StrCat("/api/users/", PercentEncodePathSegment(user)), body.dump())
          .status();
  if (!status.ok()) return status;

  return GrantPermissions(vhost, user);
}

absl::Status ManagementClient::GrantPermissions(absl::string_view vhost, absl::string_view user) {
  nlohmann::json permissions = {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}};
  return Request("PUT",
                 absl::StrCat("/api/permissions/", PercentEncodePathSegment(vhost), "/",
                              PercentEncodePathSegment(user)),
                 permissions.dump())
      .status();
}

absl::Status ManagementClient::DeleteUser(absl::string_view user) {
  return Request("DELETE", absl::StrCat("/api/users/", PercentEncodePathSegment(user))).status();
}

absl::Status ManagementClient::Publish(absl::string_view vhost, absl::string_view queue,
                                       absl::string_view body, int count) {
  nlohmann::json request = {{"properties", nlohmann::json::object()},
                            {"routing_key", std::string(queue)},
                            {"payload", std::string(body)},
                            {"payload_encoding", "string"}};
  std::string path =
      absl::StrCat("/api/exchanges/", PercentEncodePathSegment(vhost), "/amq.default/publish");
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::string> response = Request("POST", path, request.dump());
    if (!response.ok()) return response.status();
    nlohmann::json answer = nlohmann::json::parse(*response, nullptr, false);
    if (!answer.is_object() || !answer.value("routed", false)) {
      return absl::InternalError(
          absl::StrCat("publishing to queue \"", queue, "\" was not routed: ", *response));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ManagementClient::GetQueue(absl::string_view vhost,
                                                          absl::string_view queue) {
  absl::StatusOr<std::string> body = Request("GET", QueuePath(vhost, queue));
  if (!body.ok()) return body.status();
  nlohmann::json json = nlohmann::json::parse(*body, nullptr, false);
  if (!json.is_object()) return absl::InternalError("GET queue returned no JSON object");
  return json;
}

absl::StatusOr<nlohmann::json> ManagementClient::ListConnections() {
  absl::StatusOr<std::string> body = Request("GET", "/api/connections");
  if (!body.ok()) return body.status();
  nlohmann::json json = nlohmann::json::parse(*body, nullptr, false);
  if (!json.is_array()) return absl::InternalError("GET /api/connections returned no JSON array");
  return json;
}

absl::StatusOr<int> ManagementClient::CountConnectionsNamed(absl::string_view name) {
  absl::StatusOr<nlohmann::json> connections = ListConnections();
  if (!connections.ok()) return connections.status();
  int count = 0;
  for (const nlohmann::json& connection : *connections) {
    const nlohmann::json* properties =
        connection.contains("client_properties") ? &connection["client_properties"] : nullptr;
    if (properties == nullptr || !properties->is_object()) continue;
    auto it = properties->find("connection_name");
    if (it != properties->end() && it->is_string() && it->get<std::string>() == name) ++count;
  }
  return count;
}

}  // namespace krs::testing
