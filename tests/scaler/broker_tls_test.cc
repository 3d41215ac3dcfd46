// Broker TLS against the real RabbitMQ of scripts/rabbitmq.sh started with TLS (RMQ_TLS_DIR,
// RMQ_AMQPS_URL, RMQ_HTTPS_URL, RMQ_TLS_REQUIRE_CLIENT_CERT): amqps:// through AmqpStatsSource
// and https:// through ManagementStatsSource, with the trigger metadata path that sets them up.
// Host name mismatches use a TLS proxy that serves a certificate for another host name, signed
// by the same CA, in front of the broker's plain ports.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/amqp_stats_source.h"
#include "scaler/broker_endpoint.h"
#include "scaler/management_stats_source.h"
#include "scaler/trigger_metadata.h"
#include "tests/testing/broker_env.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tls_proxy.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::ManagementClient;
using ::krs::testing::StatusIs;
using ::krs::testing::TestAmqpUrl;
using ::krs::testing::TestHttpUrl;
using ::krs::testing::TlsProxy;
using ::krs::testing::UniqueName;
using ::testing::HasSubstr;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

enum class Protocol { kAmqp, kHttp };

std::string ProtocolName(const ::testing::TestParamInfo<Protocol>& info) {
  return info.param == Protocol::kAmqp ? "Amqp" : "Http";
}

// Each test runs for amqps:// and https://.
class BrokerTlsTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    tls_dir_ = Env("RMQ_TLS_DIR");
    amqps_url_ = Env("RMQ_AMQPS_URL");
    https_url_ = Env("RMQ_HTTPS_URL");
    ASSERT_FALSE(tls_dir_.empty() || amqps_url_.empty() || https_url_.empty())
        << "RMQ_TLS_DIR, RMQ_AMQPS_URL and RMQ_HTTPS_URL must be set: start the broker with "
           "TLS (scripts/test.sh does) and eval \"$(scripts/rabbitmq.sh env)\" with the same "
           "RMQ_TLS_DIR, RMQ_AMQPS_PORT and RMQ_HTTPS_PORT";
    require_client_cert_ = Env("RMQ_TLS_REQUIRE_CLIENT_CERT") == "true";
    ASSERT_THAT(management_.CheckReachable(), IsOk());
    queue_ = UniqueName("tls");
    ASSERT_THAT(management_.DeclareQueue("/", queue_), IsOk());
  }

  void TearDown() override { management_.DeleteQueue("/", queue_).IgnoreError(); }

  bool amqp() const { return GetParam() == Protocol::kAmqp; }
  std::string TlsUrl() const { return amqp() ? amqps_url_ : https_url_; }

  // Returns scheme://guest:guest@127.0.0.1:PORT/ for a TLS proxy in front of the plain port.
  std::string ProxyUrl(int port) const {
    return absl::StrCat(amqp() ? "amqps" : "https", "://guest:guest@127.0.0.1:", port, "/%2F");
  }

  int PlainPort() const {
    absl::StatusOr<BrokerEndpoint> plain =
        ParseBrokerEndpoint(amqp() ? TestAmqpUrl() : TestHttpUrl());
    EXPECT_THAT(plain, IsOk());
    return plain.ok() ? plain->port : 0;
  }

  BrokerTlsOptions TrustedWithClientCert() const {
    BrokerTlsOptions tls;
    tls.ca_file = tls_dir_ + "/ca.pem";
    tls.cert_file = tls_dir_ + "/client.pem";
    tls.key_file = tls_dir_ + "/client.key";
    return tls;
  }

  // Parses trigger metadata for `url` with `extra` keys, as the scaler does with its
  // --broker-ca-file, --broker-cert-file and --broker-key-file set to `tls`, and reads the
  // queue with a fresh source.
  absl::StatusOr<QueueStats> ReadThroughMetadata(const std::string& url, BrokerTlsOptions tls,
                                                 std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> metadata = {{"host", url}, {"queueName", queue_}};
    metadata.insert(extra.begin(), extra.end());
    TriggerParseOptions options;
    options.default_tls = std::move(tls);
    absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(metadata, options);
    if (!config.ok()) return config.status();
    return Read(config->query);
  }

  absl::StatusOr<QueueStats> Read(const QueueQuery& query) {
    if (amqp()) {
      AmqpStatsSource source;
      return source.Read(query, Deadline());
    }
    ManagementStatsSource source;
    return source.Read(query, Deadline());
  }

  ManagementClient management_;
  std::string tls_dir_;
  std::string amqps_url_;
  std::string https_url_;
  bool require_client_cert_ = false;
  std::string queue_;
};

TEST_P(BrokerTlsTest, TrustedCaAndClientCertificateRead) {
  EXPECT_THAT(ReadThroughMetadata(TlsUrl(), TrustedWithClientCert()), IsOk());
}

TEST_P(BrokerTlsTest, MissingCaIsUnavailable) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.ca_file.clear();

  EXPECT_THAT(ReadThroughMetadata(TlsUrl(), tls),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("TLS certificate verification failed")));
}

// Without a CA file both protocols trust the system CA store, which OpenSSL reads from
// SSL_CERT_FILE when that is set.
TEST_P(BrokerTlsTest, SystemCaStoreUsedWithoutCaFile) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.ca_file.clear();
  setenv("SSL_CERT_FILE", (tls_dir_ + "/ca.pem").c_str(), /*overwrite=*/1);

  absl::StatusOr<QueueStats> stats = ReadThroughMetadata(TlsUrl(), tls);

  unsetenv("SSL_CERT_FILE");
  EXPECT_THAT(stats, IsOk());
}

TEST_P(BrokerTlsTest, UntrustedCaIsUnavailable) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.ca_file = tls_dir_ + "/other-ca.pem";

  EXPECT_THAT(ReadThroughMetadata(TlsUrl(), tls),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("other-ca.pem")));
}

TEST_P(BrokerTlsTest, UnsafeSslSkipsCaCheck) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.ca_file = tls_dir_ + "/other-ca.pem";

  EXPECT_THAT(ReadThroughMetadata(TlsUrl(), tls, {{"unsafeSsl", "true"}}), IsOk());
}

TEST_P(BrokerTlsTest, ClientCertificateRequiredByBroker) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.cert_file.clear();
  tls.key_file.clear();

  absl::StatusOr<QueueStats> stats = ReadThroughMetadata(TlsUrl(), tls);

  if (require_client_cert_) {
    EXPECT_THAT(stats, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("client certificate")));
  } else {
    EXPECT_THAT(stats, IsOk());
  }
}

TEST_P(BrokerTlsTest, ClientCertificateOfOtherCaRejected) {
  BrokerTlsOptions tls = TrustedWithClientCert();
  tls.cert_file = tls_dir_ + "/other-client.pem";
  tls.key_file = tls_dir_ + "/other-client.key";

  EXPECT_THAT(ReadThroughMetadata(TlsUrl(), tls), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_P(BrokerTlsTest, HostNameMismatchIsUnavailable) {
  auto proxy = TlsProxy::Start(tls_dir_ + "/wrong-host.pem", tls_dir_ + "/wrong-host.key",
                               PlainPort());
  ASSERT_THAT(proxy, IsOk());

  absl::StatusOr<QueueStats> stats =
      ReadThroughMetadata(ProxyUrl((*proxy)->port()), TrustedWithClientCert());

  EXPECT_THAT(stats, StatusIs(absl::StatusCode::kUnavailable,
                              HasSubstr(amqp() ? "host name verification failed"
                                               : "not valid for host \"127.0.0.1\"")));
}

TEST_P(BrokerTlsTest, HostNameMismatchWithUnsafeSslReads) {
  auto proxy = TlsProxy::Start(tls_dir_ + "/wrong-host.pem", tls_dir_ + "/wrong-host.key",
                               PlainPort());
  ASSERT_THAT(proxy, IsOk());

  EXPECT_THAT(ReadThroughMetadata(ProxyUrl((*proxy)->port()), TrustedWithClientCert(),
                                  {{"unsafeSsl", "true"}}),
              IsOk());
}

TEST_P(BrokerTlsTest, KeyWithoutCertificateIsInvalidArgument) {
  absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(TlsUrl());
  ASSERT_THAT(endpoint, IsOk());
  endpoint->tls_options = TrustedWithClientCert();
  endpoint->tls_options.cert_file.clear();
  QueueQuery query;
  query.endpoint = *endpoint;
  query.queue_name = queue_;

  EXPECT_THAT(Read(query), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("without a client certificate")));
}

INSTANTIATE_TEST_SUITE_P(Protocols, BrokerTlsTest,
                         ::testing::Values(Protocol::kAmqp, Protocol::kHttp), ProtocolName);

}  // namespace
}  // namespace krs::scaler
