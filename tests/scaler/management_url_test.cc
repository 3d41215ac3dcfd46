#include "scaler/management_url.h"

#include <string>

#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

BrokerEndpoint Endpoint(const char* vhost, const char* prefix = "") {
  BrokerEndpoint endpoint;
  endpoint.protocol = BrokerProtocol::kHttp;
  endpoint.host = "rabbit";
  endpoint.port = 15672;
  endpoint.vhost = vhost;
  endpoint.path_prefix = prefix;
  return endpoint;
}

TEST(ManagementQueuePath, DefaultVhostIsPercent2F) {
  absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint("/"), "orders");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/api/queues/%2F/orders");
}

TEST(ManagementQueuePath, EmptyVhostMeansDefault) {
  absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint(""), "orders");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/api/queues/%2F/orders");
}

TEST(ManagementQueuePath, VhostWithSpaceAndSlash) {
  absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint("a b/c"), "orders");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/api/queues/a%20b%2Fc/orders");
}

TEST(ManagementQueuePath, PrefixKeptBeforeApi) {
  absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint("prod", "/rabbitmq/mgmt"), "q");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/rabbitmq/mgmt/api/queues/prod/q");
}

TEST(ManagementQueuePath, QueueNameCannotReachAnotherEndpoint) {
  const std::pair<const char*, const char*> cases[] = {
      {"a b", "/api/queues/%2F/a%20b"},
      {"../../users", "/api/queues/%2F/..%2F..%2Fusers"},
      {"..", "/api/queues/%2F/%2E%2E"},
      {".", "/api/queues/%2F/%2E"},
      {"q?columns=x", "/api/queues/%2F/q%3Fcolumns%3Dx"},
      {"q#frag", "/api/queues/%2F/q%23frag"},
      {"a+b", "/api/queues/%2F/a%2Bb"},
      {"100%", "/api/queues/%2F/100%25"},
      {"caf\xC3\xA9", "/api/queues/%2F/caf%C3%A9"},
  };
  for (const auto& [name, expected] : cases) {
    absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint("/"), name);
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_EQ(*path, expected) << name;
  }
}

TEST(ManagementQueuePath, RejectsEmptyQueueName) {
  absl::StatusOr<std::string> path = ManagementQueuePath(Endpoint("/"), "");
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ManagementRegexPagePath, BuildsPagedRegexQuery) {
  absl::StatusOr<std::string> path =
      ManagementRegexPagePath(Endpoint("/", "/rmq"), "^orders (eu|us)+$", 3, 250);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path,
            "/rmq/api/queues/%2F?page=3&page_size=250&name=%5Eorders%20%28eu%7Cus%29%2B%24"
            "&use_regex=true&pagination=true");
}

TEST(ManagementRegexPagePath, RegexCannotAddParameters) {
  absl::StatusOr<std::string> path = ManagementRegexPagePath(Endpoint("v"), "x&page=9#", 1, 100);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, "/api/queues/v?page=1&page_size=100&name=x%26page%3D9%23&use_regex=true"
                   "&pagination=true");
}

TEST(ManagementRegexPagePath, RejectsInvalidPaging) {
  EXPECT_FALSE(ManagementRegexPagePath(Endpoint("/"), "q", 0, 100).ok());
  EXPECT_FALSE(ManagementRegexPagePath(Endpoint("/"), "q", 1, 0).ok());
  EXPECT_FALSE(ManagementRegexPagePath(Endpoint("/"), "q", 1, 501).ok());
  EXPECT_TRUE(ManagementRegexPagePath(Endpoint("/"), "q", 1, 500).ok());
}

TEST(ManagementOrigin, SchemeHostPort) {
  BrokerEndpoint endpoint = Endpoint("/");
  EXPECT_EQ(ManagementOrigin(endpoint), "http://rabbit:15672");
  endpoint.tls = true;
  endpoint.host = "::1";
  endpoint.port = 15671;
  EXPECT_EQ(ManagementOrigin(endpoint), "https://[::1]:15671");
}

}  // namespace
}  // namespace krs::scaler
