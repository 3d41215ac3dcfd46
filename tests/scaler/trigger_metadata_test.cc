#include "scaler/trigger_metadata.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

using Metadata = std::map<std::string, std::string>;

constexpr absl::Duration kDefaultTimeout = absl::Seconds(3);
// The password "s3cr3t-P@ss", percent-encoded in the URLs below.
constexpr char kPassword[] = "s3cr3t-P@ss";
constexpr char kAmqpHost[] = "amqp://guest:s3cr3t-P%40ss@rabbit:5672/%2F";
constexpr char kHttpHost[] = "http://guest:s3cr3t-P%40ss@rabbit:15672/%2F";

// Returns {host: <host>, queueName: orders} with `extra` added or replacing keys.
Metadata With(const char* host, Metadata extra = {}) {
  Metadata metadata = {{"host", host}, {"queueName", "orders"}};
  for (auto& [key, value] : extra) metadata[key] = value;
  return metadata;
}

Metadata Amqp(Metadata extra = {}) { return With(kAmqpHost, std::move(extra)); }
Metadata Http(Metadata extra = {}) { return With(kHttpHost, std::move(extra)); }

struct ValidCase {
  const char* name;
  Metadata metadata;
  BrokerProtocol protocol;
  ScalingMode mode;
  double value;
  double activation_value;
  absl::Duration timeout;
};

TEST(ParseTriggerMetadata, AcceptsValidModesAndValues) {
  const absl::Duration zero = absl::ZeroDuration();
  const std::vector<ValidCase> cases = {
      {"amqp defaults", Amqp(), BrokerProtocol::kAmqp, ScalingMode::kQueueLength, 20, 0, zero},
      {"http defaults", Http(), BrokerProtocol::kHttp, ScalingMode::kQueueLength, 20, 0,
       kDefaultTimeout},
      {"deprecated queueLength alone", Amqp({{"queueLength", "5"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 5, 0, zero},
      {"queueLength 0 means unset", Amqp({{"queueLength", "0"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"value 0 means unset", Amqp({{"value", "0"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"empty values are absent", Amqp({{"mode", ""}, {"value", ""}, {"queueLength", ""}}),
       BrokerProtocol::kAmqp, ScalingMode::kQueueLength, 20, 0, zero},
      {"QueueLength float value", Amqp({{"mode", "QueueLength"}, {"value", "7.5"}}),
       BrokerProtocol::kAmqp, ScalingMode::kQueueLength, 7.5, 0, zero},
      {"MessageRate over http", Http({{"mode", "MessageRate"}, {"value", "10"}}),
       BrokerProtocol::kHttp, ScalingMode::kMessageRate, 10, 0, kDefaultTimeout},
      {"DeliverGetRate over http", Http({{"mode", "DeliverGetRate"}, {"value", "2"}}),
       BrokerProtocol::kHttp, ScalingMode::kDeliverGetRate, 2, 0, kDefaultTimeout},
      {"PublishedToDeliveredRatio over http",
       Http({{"mode", "PublishedToDeliveredRatio"}, {"value", "1.5"}}), BrokerProtocol::kHttp,
       ScalingMode::kPublishedToDeliveredRatio, 1.5, 0, kDefaultTimeout},
      {"ExpectedQueueConsumptionTime over http",
       Http({{"mode", "ExpectedQueueConsumptionTime"}, {"value", "60"}}), BrokerProtocol::kHttp,
       ScalingMode::kExpectedQueueConsumptionTime, 60, 0, kDefaultTimeout},
      {"activationValue", Amqp({{"activationValue", "3.5"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 3.5, zero},
      {"negative activationValue", Amqp({{"activationValue", "-1"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, -1, zero},
      {"exponent and plus sign", Amqp({{"mode", "QueueLength"}, {"value", "+1e2"}}),
       BrokerProtocol::kAmqp, ScalingMode::kQueueLength, 100, 0, zero},
      {"timeout Go duration ms", Http({{"timeout", "500ms"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, absl::Milliseconds(500)},
      {"timeout Go duration composite", Http({{"timeout", "1m30s"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, absl::Seconds(90)},
      {"timeout integer milliseconds", Http({{"timeout", "2000"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, absl::Seconds(2)},
      {"timeout 0 on http uses default", Http({{"timeout", "0"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, kDefaultTimeout},
      {"timeout 0 allowed on amqp", Amqp({{"timeout", "0"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"timeout 0s allowed on amqp", Amqp({{"timeout", "0s"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"explicit protocol amqp", Amqp({{"protocol", "amqp"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"explicit protocol http", Http({{"protocol", "http"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, kDefaultTimeout},
      {"explicit protocol auto", Http({{"protocol", "auto"}}), BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, kDefaultTimeout},
      {"tls enable only validated", Amqp({{"tls", "enable"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"tls disable", Amqp({{"tls", "disable"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"http-only flags false on amqp",
       Amqp({{"useRegex", "false"}, {"excludeUnacknowledged", "F"}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
      {"unknown keys ignored", Amqp({{"scalerAddress", "scaler:6000"}, {"foo", "bar"}}),
       BrokerProtocol::kAmqp, ScalingMode::kQueueLength, 20, 0, zero},
      {"hostFromEnv alone",
       {{"hostFromEnv", kHttpHost}, {"queueName", "orders"}}, BrokerProtocol::kHttp,
       ScalingMode::kQueueLength, 20, 0, kDefaultTimeout},
      {"host wins over hostFromEnv", Amqp({{"hostFromEnv", kHttpHost}}), BrokerProtocol::kAmqp,
       ScalingMode::kQueueLength, 20, 0, zero},
  };
  for (const ValidCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(c.metadata, kDefaultTimeout);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->query.endpoint.protocol, c.protocol);
    EXPECT_EQ(config->mode, c.mode);
    EXPECT_EQ(config->value, c.value);
    EXPECT_EQ(config->activation_value, c.activation_value);
    EXPECT_EQ(config->timeout, c.timeout);
  }
}

TEST(ParseTriggerMetadata, DefaultsOfQueryAndFlags) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(Amqp(), kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->query.queue_name, "orders");
  EXPECT_FALSE(config->query.use_regex);
  EXPECT_EQ(config->query.operation, QueueOperation::kSum);
  EXPECT_EQ(config->query.page_size, 100);
  EXPECT_FALSE(config->exclude_unacknowledged);
  EXPECT_FALSE(config->unsafe_ssl);
  EXPECT_TRUE(config->query.endpoint.tls_options.verify_peer);
  EXPECT_EQ(config->query.endpoint.vhost, "/");
  EXPECT_EQ(config->query.endpoint.host, "rabbit");
  EXPECT_EQ(config->query.endpoint.port, 5672);
  EXPECT_EQ(config->query.endpoint.username, "guest");
  EXPECT_EQ(config->query.endpoint.password, kPassword);
  EXPECT_EQ(config->metric_name, "rabbitmq-orders");
}

TEST(ParseTriggerMetadata, RegexKeysOverHttp) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(
      Http({{"queueName", "^orders-.*"}, {"useRegex", "true"}, {"operation", "max"},
            {"pageSize", "500"}, {"excludeUnacknowledged", "True"}}),
      kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->query.use_regex);
  EXPECT_EQ(config->query.operation, QueueOperation::kMax);
  EXPECT_EQ(config->query.page_size, 500);
  EXPECT_TRUE(config->exclude_unacknowledged);
}

TEST(ParseTriggerMetadata, OperationValues) {
  const std::pair<const char*, QueueOperation> cases[] = {
      {"sum", QueueOperation::kSum}, {"avg", QueueOperation::kAvg}, {"max", QueueOperation::kMax}};
  for (const auto& [text, operation] : cases) {
    absl::StatusOr<TriggerConfig> config =
        ParseTriggerMetadata(Http({{"operation", text}}), kDefaultTimeout);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->query.operation, operation) << text;
  }
}

TEST(ParseTriggerMetadata, PageSizeBounds) {
  absl::StatusOr<TriggerConfig> one = ParseTriggerMetadata(Http({{"pageSize", "1"}}), kDefaultTimeout);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->query.page_size, 1);
}

TEST(ParseTriggerMetadata, GoBooleans) {
  for (const char* text : {"1", "t", "T", "TRUE", "true", "True"}) {
    absl::StatusOr<TriggerConfig> config =
        ParseTriggerMetadata(Amqp({{"unsafeSsl", text}}), kDefaultTimeout);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_TRUE(config->unsafe_ssl) << text;
    EXPECT_FALSE(config->query.endpoint.tls_options.verify_peer) << text;
    EXPECT_FALSE(config->query.endpoint.tls_options.verify_hostname) << text;
  }
  for (const char* text : {"0", "f", "F", "FALSE", "false", "False"}) {
    absl::StatusOr<TriggerConfig> config =
        ParseTriggerMetadata(Amqp({{"unsafeSsl", text}}), kDefaultTimeout);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_FALSE(config->unsafe_ssl) << text;
  }
}

TEST(ParseTriggerMetadata, VhostFromAmqpPath) {
  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata(With("amqps://u:p@rabbit/prod%2Feu"), kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->query.endpoint.vhost, "prod/eu");
  EXPECT_EQ(config->query.endpoint.port, 5671);
  EXPECT_TRUE(config->query.endpoint.tls);
  EXPECT_EQ(config->metric_name, "rabbitmq-prod-2Feu-orders");
}

TEST(ParseTriggerMetadata, VhostAndPrefixFromHttpPath) {
  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata(With("https://u:p@rabbit/rabbitmq/prod"), kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->query.endpoint.vhost, "prod");
  EXPECT_EQ(config->query.endpoint.path_prefix, "/rabbitmq");
  EXPECT_EQ(config->query.endpoint.port, 443);
}

TEST(ParseTriggerMetadata, VhostNameOverridesUrl) {
  for (const char* host : {"amqp://u:p@rabbit/ignored", "http://u:p@rabbit:15672/ignored"}) {
    absl::StatusOr<TriggerConfig> config =
        ParseTriggerMetadata(With(host, {{"vhostName", "team a"}}), kDefaultTimeout);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->query.endpoint.vhost, "team a") << host;
    EXPECT_EQ(config->metric_name, "rabbitmq-team-a-orders") << host;
  }
}

TEST(ParseTriggerMetadata, CredentialsFromEnvOverrideUrl) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(
      Amqp({{"usernameFromEnv", "app"}, {"passwordFromEnv", "p@ss:word/%"}}), kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->query.endpoint.username, "app");
  EXPECT_EQ(config->query.endpoint.password, "p@ss:word/%");
}

TEST(ParseTriggerMetadata, MetricNameEscapesLikeKeda) {
  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata(Amqp({{"queueName", "a.b/c:d%(e) f~g_h+i"}}), kDefaultTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metric_name, "rabbitmq-a-b-2Fc-3Ad-25-28e-29-f-g_h-2Bi");
}

TEST(MetricNameFor, DefaultVhostKeepsKedaName) {
  EXPECT_EQ(MetricNameFor("/", "orders"), "rabbitmq-orders");
  EXPECT_EQ(MetricNameFor("", "orders"), "rabbitmq-orders");
  EXPECT_EQ(MetricNameFor("eu", "orders"), "rabbitmq-eu-orders");
  EXPECT_NE(MetricNameFor("eu", "orders"), MetricNameFor("us", "orders"));
}

struct ErrorCase {
  const char* name;
  Metadata metadata;
  const char* key;    // must appear in the message, quoted
  const char* value;  // must appear in the message; "" for a missing key
};

std::vector<ErrorCase> ErrorCases() {
  return {
      {"missing host", {{"queueName", "orders"}}, "host", ""},
      {"empty host and hostFromEnv", {{"host", ""}, {"hostFromEnv", ""}, {"queueName", "q"}},
       "host", ""},
      {"missing queueName", {{"host", kAmqpHost}}, "queueName", ""},
      {"unknown scheme", With("ftp://guest:s3cr3t-P%40ss@rabbit/"), "host", "ftp://guest:***@"},
      {"no scheme", With("guest:s3cr3t-P%40ss@rabbit"), "host", "guest:***@rabbit"},
      {"no host name", With("amqp://guest:s3cr3t-P%40ss@:5672/"), "host", "amqp://guest:***@"},
      {"invalid port", With("amqp://guest:s3cr3t-P%40ss@rabbit:99999/"), "host",
       "amqp://guest:***@"},
      {"invalid vhost escape", With("amqp://guest:s3cr3t-P%40ss@rabbit/%zz"), "host",
       "amqp://guest:***@rabbit/%zz"},
      {"invalid hostFromEnv", {{"hostFromEnv", "kafka://guest:s3cr3t-P%40ss@k"}, {"queueName", "q"}},
       "hostFromEnv", "kafka://guest:***@k"},
      {"unknown protocol", Amqp({{"protocol", "kafka"}}), "protocol", "kafka"},
      {"protocol http with amqp URL", Amqp({{"protocol", "http"}}), "protocol", "http"},
      {"protocol amqp with http URL", Http({{"protocol", "amqp"}}), "protocol", "amqp"},
      {"tls not enable or disable", Amqp({{"tls", "yes"}}), "tls", "yes"},
      {"pageSize zero", Http({{"pageSize", "0"}}), "pageSize", "0"},
      {"pageSize negative", Http({{"pageSize", "-3"}}), "pageSize", "-3"},
      {"pageSize over broker max", Http({{"pageSize", "501"}}), "pageSize", "501"},
      {"pageSize not integer", Http({{"pageSize", "1.5"}}), "pageSize", "1.5"},
      {"pageSize text", Http({{"pageSize", "abc"}}), "pageSize", "abc"},
      {"usernameFromEnv alone", Amqp({{"usernameFromEnv", "app"}}), "passwordFromEnv", "app"},
      {"passwordFromEnv alone", Amqp({{"passwordFromEnv", kPassword}}), "passwordFromEnv", "***"},
      {"useRegex with amqp", Amqp({{"useRegex", "true"}}), "useRegex", "true"},
      {"useRegex not bool", Http({{"useRegex", "yes"}}), "useRegex", "yes"},
      {"excludeUnacknowledged with amqp", Amqp({{"excludeUnacknowledged", "1"}}),
       "excludeUnacknowledged", "1"},
      {"excludeUnacknowledged not bool", Http({{"excludeUnacknowledged", "on"}}),
       "excludeUnacknowledged", "on"},
      {"operation unknown", Http({{"operation", "median"}}), "operation", "median"},
      {"operation wrong case", Http({{"operation", "SUM"}}), "operation", "SUM"},
      {"queueLength with mode", Amqp({{"queueLength", "5"}, {"mode", "QueueLength"}}),
       "queueLength", "5"},
      {"queueLength with value", Amqp({{"queueLength", "5"}, {"value", "3"}}), "queueLength", "5"},
      {"queueLength not number", Amqp({{"queueLength", "ten"}}), "queueLength", "ten"},
      {"queueLength negative", Amqp({{"queueLength", "-2"}}), "queueLength", "-2"},
      {"value without mode", Amqp({{"value", "5"}}), "mode", "5"},
      {"mode without value", Amqp({{"mode", "QueueLength"}}), "value", "QueueLength"},
      {"mode with value 0", Amqp({{"mode", "QueueLength"}, {"value", "0"}}), "value", "0"},
      {"mode unknown", Amqp({{"mode", "Bogus"}, {"value", "1"}}), "mode", "Bogus"},
      {"mode Unknown literal", Amqp({{"mode", "Unknown"}, {"value", "1"}}), "mode", "Unknown"},
      {"mode wrong case", Amqp({{"mode", "queuelength"}, {"value", "1"}}), "mode", "queuelength"},
      {"MessageRate with amqp", Amqp({{"mode", "MessageRate"}, {"value", "1"}}), "mode",
       "MessageRate"},
      {"DeliverGetRate with amqp", Amqp({{"mode", "DeliverGetRate"}, {"value", "1"}}), "mode",
       "DeliverGetRate"},
      {"PublishedToDeliveredRatio with amqp",
       Amqp({{"mode", "PublishedToDeliveredRatio"}, {"value", "1"}}), "mode",
       "PublishedToDeliveredRatio"},
      {"ExpectedQueueConsumptionTime with amqp",
       Amqp({{"mode", "ExpectedQueueConsumptionTime"}, {"value", "1"}}), "mode",
       "ExpectedQueueConsumptionTime"},
      {"value not number", Amqp({{"mode", "QueueLength"}, {"value", "lots"}}), "value", "lots"},
      {"value NaN", Amqp({{"mode", "QueueLength"}, {"value", "NaN"}}), "value", "NaN"},
      {"value Inf", Amqp({{"mode", "QueueLength"}, {"value", "+Inf"}}), "value", "+Inf"},
      {"value negative", Amqp({{"mode", "QueueLength"}, {"value", "-5"}}), "value", "-5"},
      {"value with spaces", Amqp({{"mode", "QueueLength"}, {"value", " 5"}}), "value", " 5"},
      {"value with unit", Amqp({{"mode", "QueueLength"}, {"value", "5msg"}}), "value", "5msg"},
      {"activationValue not number", Amqp({{"activationValue", "x"}}), "activationValue", "x"},
      {"timeout with amqp", Amqp({{"timeout", "1s"}}), "timeout", "1s"},
      {"timeout ms with amqp", Amqp({{"timeout", "500"}}), "timeout", "500"},
      {"timeout text", Http({{"timeout", "fast"}}), "timeout", "fast"},
      {"timeout negative", Http({{"timeout", "-1s"}}), "timeout", "-1s"},
      {"timeout infinite", Http({{"timeout", "inf"}}), "timeout", "inf"},
      {"timeout unit missing on fraction", Http({{"timeout", "1.5"}}), "timeout", "1.5"},
      {"unsafeSsl not bool", Amqp({{"unsafeSsl", "yes"}}), "unsafeSsl", "yes"},
  };
}

TEST(ParseTriggerMetadata, RejectsInvalidMetadata) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(c.metadata, kDefaultTimeout);
    ASSERT_FALSE(config.ok());
    const std::string message(config.status().message());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_NE(message.find(absl::StrCat("\"", c.key, "\"")), std::string::npos) << message;
    EXPECT_NE(message.find(c.value), std::string::npos) << message;
  }
}

TEST(ParseTriggerMetadata, ErrorsNeverContainPassword) {
  std::vector<ErrorCase> cases = ErrorCases();
  cases.push_back({"password with slash breaks URL",
                   With("amqp://guest:s3cr3t-P@ss/x@rabbit/", {{"pageSize", "0"}}), "", ""});
  cases.push_back({"unparseable URL with raw password",
                   With("amqp://guest:s3cr3t-P@ss:x@rabbit:bad/"), "", ""});
  // Found by fuzz/trigger_metadata_fuzzer: a quote or a space in the password split the URL in
  // the message's redaction and showed the rest of the password.
  cases.push_back({"quote in password and bad vhost escape",
                   With("http://guest:s3'cr3t-pw@rabbit:15672/%2&F"), "", ""});
  cases.push_back({"space in password", With("amqp://guest:s3 cr3t-pw@rabbit/"), "", ""});
  cases.push_back({"password and bad protocol",
                   Amqp({{"usernameFromEnv", "u"}, {"passwordFromEnv", kPassword},
                         {"protocol", "http"}}),
                   "", ""});
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(c.metadata, kDefaultTimeout);
    ASSERT_FALSE(config.ok());
    const std::string message(config.status().message());
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
    EXPECT_EQ(message.find("P%40ss"), std::string::npos) << message;
    EXPECT_EQ(message.find("cr3t"), std::string::npos) << message;
  }
}

TEST(ParseTriggerMetadata, ValidationOrderFollowsKeda) {
  // protocol is checked before pageSize, pageSize before the trigger rules.
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(
      Http({{"protocol", "kafka"}, {"pageSize", "0"}, {"mode", "Bogus"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("\"protocol\""), absl::string_view::npos);

  config = ParseTriggerMetadata(Http({{"pageSize", "0"}, {"mode", "Bogus"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("\"pageSize\""), absl::string_view::npos);

  // useRegex with amqp is reported before the mode that needs http.
  config = ParseTriggerMetadata(
      Amqp({{"useRegex", "true"}, {"mode", "MessageRate"}, {"value", "1"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("\"useRegex\""), absl::string_view::npos);
}

TEST(ParseTriggerMetadata, ErrorNamesAllowedValues) {
  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata(Http({{"operation", "median"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("sum, avg, max"), absl::string_view::npos);

  config = ParseTriggerMetadata(Http({{"pageSize", "501"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("500"), absl::string_view::npos);

  config = ParseTriggerMetadata(Amqp({{"mode", "Bogus"}, {"value", "1"}}), kDefaultTimeout);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("ExpectedQueueConsumptionTime"), absl::string_view::npos);
}

TEST(TriggerConfig, ModeNames) {
  EXPECT_EQ(TriggerConfig::ModeName(ScalingMode::kQueueLength), "QueueLength");
  EXPECT_EQ(TriggerConfig::ModeName(ScalingMode::kMessageRate), "MessageRate");
  EXPECT_EQ(TriggerConfig::ModeName(ScalingMode::kDeliverGetRate), "DeliverGetRate");
  EXPECT_EQ(TriggerConfig::ModeName(ScalingMode::kPublishedToDeliveredRatio),
            "PublishedToDeliveredRatio");
  EXPECT_EQ(TriggerConfig::ModeName(ScalingMode::kExpectedQueueConsumptionTime),
            "ExpectedQueueConsumptionTime");
}

}  // namespace
}  // namespace krs::scaler
