// The test broker: its URLs from the environment (scripts/rabbitmq.sh env) and a small client of
// the management HTTP API that tests use to set up queues, vhosts and users, publish messages
// and list connections.
#ifndef KRS_TESTS_TESTING_BROKER_ENV_H_
#define KRS_TESTS_TESTING_BROKER_ENV_H_

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/amqp_connection.h"

namespace krs::testing {

// RMQ_AMQP_URL, or amqp://guest:guest@127.0.0.1:29672/%2F (the script's default node).
std::string TestAmqpUrl();
// RMQ_HTTP_URL, or http://guest:guest@127.0.0.1:29673.
std::string TestHttpUrl();

// Returns "<prefix>-<pid>-<counter>-<random>", unique across test processes and runs.
std::string UniqueName(absl::string_view prefix);

// Polls `condition` every `interval` until it returns true or `timeout` passes; returns the
// last result. For management API counts, which lag behind the broker by about a second.
bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(15),
                absl::Duration interval = absl::Milliseconds(100));

// Opens a connection to `amqp_url` that consumes from `queue` with manual acknowledgement and
// prefetch `prefetch`, and never acknowledges: the broker holds up to `prefetch` messages as
// unacknowledged until the connection is closed.
absl::StatusOr<std::unique_ptr<AmqpConnection>> StartHoldingConsumer(const std::string& amqp_url,
                                                                     absl::string_view queue,
                                                                     int prefetch);

// A client of the management API at an http://user:password@host:port URL. Vhost and queue
// arguments are plain names; the client encodes them as path segments.
class ManagementClient {
 public:
  explicit ManagementClient(std::string http_url = TestHttpUrl());

  // Returns UNAVAILABLE with the URL (password redacted) and how to start the broker when
  // GET /api/overview fails.
  absl::Status CheckReachable();

  absl::Status DeclareQueue(absl::string_view vhost, absl::string_view queue);
  absl::Status DeleteQueue(absl::string_view vhost, absl::string_view queue);
  absl::Status DeclareVhost(absl::string_view vhost);
  absl::Status DeleteVhost(absl::string_view vhost);
  // Creates a user with the given tags ("management", "" for none) and full permissions on
  // `vhost`.
  absl::Status CreateUser(absl::string_view user, absl::string_view password,
                          absl::string_view tags, absl::string_view vhost);
  absl::Status DeleteUser(absl::string_view user);
  // Grants `user` configure, write and read permissions on `vhost`.
  absl::Status GrantPermissions(absl::string_view vhost, absl::string_view user);

  // Publishes `count` messages with `body` to `queue` through the default exchange; fails when
  // the broker did not route a message.
  absl::Status Publish(absl::string_view vhost, absl::string_view queue, absl::string_view body,
                       int count = 1);

  absl::StatusOr<nlohmann::json> GetQueue(absl::string_view vhost, absl::string_view queue);
  // GET /api/connections: the array of open connections.
  absl::StatusOr<nlohmann::json> ListConnections();
  // Connections whose client property connection_name equals `name`.
  absl::StatusOr<int> CountConnectionsNamed(absl::string_view name);

  // Sends a request and returns the body; non-2xx answers are errors with status and body.
  absl::StatusOr<std::string> Request(absl::string_view method, const std::string& path,
                                      const std::string& body = "");

 private:
  std::string http_url_;
  std::string origin_;
  std::string username_;
  std::string password_;
};

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_BROKER_ENV_H_
