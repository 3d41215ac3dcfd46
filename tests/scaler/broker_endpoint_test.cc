#include "scaler/broker_endpoint.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {
namespace {

struct EndpointCase {
  const char* url;
  BrokerProtocol protocol;
  bool tls;
  const char* host;
  int port;
  const char* vhost;
  const char* path_prefix;
};

TEST(ParseBrokerEndpoint, ParsesSchemesPortsAndVhosts) {
  const std::vector<EndpointCase> cases = {
      {"amqp://rabbit", BrokerProtocol::kAmqp, false, "rabbit", 5672, "/", ""},
      {"amqp://rabbit/", BrokerProtocol::kAmqp, false, "rabbit", 5672, "/", ""},
      {"amqp://rabbit/%2F", BrokerProtocol::kAmqp, false, "rabbit", 5672, "/", ""},
      {"amqp://rabbit/%2f", BrokerProtocol::kAmqp, false, "rabbit", 5672, "/", ""},
      {"amqp://rabbit/prod", BrokerProtocol::kAmqp, false, "rabbit", 5672, "prod", ""},
      {"amqp://rabbit/a%20b", BrokerProtocol::kAmqp, false, "rabbit", 5672, "a b", ""},
      {"amqp://rabbit/a/b", BrokerProtocol::kAmqp, false, "rabbit", 5672, "a/b", ""},
      {"amqps://rabbit", BrokerProtocol::kAmqp, true, "rabbit", 5671, "/", ""},
      {"AMQPS://rabbit:1234/v", BrokerProtocol::kAmqp, true, "rabbit", 1234, "v", ""},
      {"http://rabbit", BrokerProtocol::kHttp, false, "rabbit", 80, "/", ""},
      {"http://rabbit:15672/", BrokerProtocol::kHttp, false, "rabbit", 15672, "/", ""},
      {"http://rabbit:15672/%2F", BrokerProtocol::kHttp, false, "rabbit", 15672, "/", ""},
      {"http://rabbit:15672/prod", BrokerProtocol::kHttp, false, "rabbit", 15672, "prod", ""},
      {"http://rabbit/a%20b", BrokerProtocol::kHttp, false, "rabbit", 80, "a b", ""},
      {"http://rabbit/rabbitmq/prod", BrokerProtocol::kHttp, false, "rabbit", 80, "prod",
       "/rabbitmq"},
      {"http://rabbit/x/y/prod", BrokerProtocol::kHttp, false, "rabbit", 80, "prod", "/x/y"},
      // A trailing '/' leaves an empty last segment: default vhost, the rest is the prefix.
      {"http://rabbit/rabbitmq/", BrokerProtocol::kHttp, false, "rabbit", 80, "/", "/rabbitmq"},
      {"https://rabbit", BrokerProtocol::kHttp, true, "rabbit", 443, "/", ""},
      {"https://[::1]:15671/v?ignored=1", BrokerProtocol::kHttp, true, "::1", 15671, "v", ""},
  };
  for (const EndpointCase& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(c.url);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    EXPECT_EQ(endpoint->protocol, c.protocol);
    EXPECT_EQ(endpoint->tls, c.tls);
    EXPECT_EQ(endpoint->host, c.host);
    EXPECT_EQ(endpoint->port, c.port);
    EXPECT_EQ(endpoint->vhost, c.vhost);
    EXPECT_EQ(endpoint->path_prefix, c.path_prefix);
  }
}

TEST(ParseBrokerEndpoint, DecodesCredentialsOnce) {
  absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint("amqp://us%40er:p%2540ss@h/");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->username, "us@er");
  EXPECT_EQ(endpoint->password, "p%40ss");
}

TEST(ParseBrokerEndpoint, RejectsInvalidUrls) {
  const char* const urls[] = {
      "ftp://u:s3cr3t@rabbit",  "rabbit:5672",        "amqp://u:s3cr3t@",
      "amqp://u:s3cr3t@h/%zz",  "http://u:s3cr3t@h/%zz", "http://u:s3cr3t@h/../v",
      "amqp://u:s3cr3t@h:0",
  };
  for (const char* url : urls) {
    absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(url);
    ASSERT_FALSE(endpoint.ok()) << url;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(std::string(endpoint.status().message()).find("s3cr3t"), std::string::npos)
        << endpoint.status();
  }
}

TEST(BrokerEndpoint, RedactedHidesPassword) {
  absl::StatusOr<BrokerEndpoint> amqp = ParseBrokerEndpoint("amqp://guest:s3cr3t@rabbit/%2F");
  ASSERT_TRUE(amqp.ok());
  EXPECT_EQ(amqp->Redacted(), "amqp://guest:***@rabbit:5672/%2F");

  absl::StatusOr<BrokerEndpoint> http = ParseBrokerEndpoint("https://guest:s3cr3t@[::1]/pre/a%20b");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->Redacted(), "https://guest:***@[::1]:443/pre/a%20b");

  absl::StatusOr<BrokerEndpoint> anonymous = ParseBrokerEndpoint("amqp://rabbit");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->Redacted(), "amqp://rabbit:5672/%2F");
}

TEST(BrokerEndpoint, CacheKeyHashesPassword) {
  absl::StatusOr<BrokerEndpoint> a = ParseBrokerEndpoint("amqp://guest:s3cr3t@rabbit/%2F");
  absl::StatusOr<BrokerEndpoint> b = ParseBrokerEndpoint("amqp://guest:other@rabbit/%2F");
  absl::StatusOr<BrokerEndpoint> c = ParseBrokerEndpoint("amqp://guest:s3cr3t@rabbit:5672/");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(a->CacheKey().find("s3cr3t"), std::string::npos);
  EXPECT_NE(a->CacheKey(), b->CacheKey());
  EXPECT_EQ(a->CacheKey(), c->CacheKey());
}

TEST(BrokerEndpoint, CacheKeySeparatesFields) {
  BrokerEndpoint a;
  a.host = "h";
  a.vhost = "x|y";
  BrokerEndpoint b;
  b.host = "h";
  b.vhost = "x";
  b.path_prefix = "y";
  EXPECT_NE(a.CacheKey(), b.CacheKey());

  BrokerEndpoint insecure = a;
  insecure.tls_options.verify_peer = false;
  EXPECT_NE(a.CacheKey(), insecure.CacheKey());
}

TEST(QueueQuery, CacheKeyCoversQueryFields) {
  QueueQuery base;
  base.endpoint.host = "rabbit";
  base.queue_name = "orders";

  QueueQuery other_queue = base;
  other_queue.queue_name = "orders2";
  EXPECT_NE(base.CacheKey(), other_queue.CacheKey());

  QueueQuery regex = base;
  regex.use_regex = true;
  EXPECT_NE(base.CacheKey(), regex.CacheKey());

  QueueQuery regex_max = regex;
  regex_max.operation = QueueOperation::kMax;
  EXPECT_NE(regex.CacheKey(), regex_max.CacheKey());

  QueueQuery other_credentials = base;
  other_credentials.endpoint.password = "x";
  EXPECT_NE(base.CacheKey(), other_credentials.CacheKey());

  // The operation only combines regex matches, so it does not split single-queue reads.
  QueueQuery single_max = base;
  single_max.operation = QueueOperation::kMax;
  EXPECT_EQ(base.CacheKey(), single_max.CacheKey());
}

}  // namespace
}  // namespace krs::scaler
