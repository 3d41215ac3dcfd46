// Broker profiles and URL credentials against the real RabbitMQ of scripts/rabbitmq.sh, with a
// user whose password contains every URL-special character: raw in a profile's password file,
// percent-encoded in a host URL, and rotated while a query keeps its old endpoint.
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/amqp_stats_source.h"
#include "scaler/broker_profile_store.h"
#include "scaler/management_stats_source.h"
#include "scaler/trigger_metadata.h"
#include "tests/testing/broker_env.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_secrets.h"

namespace krs::scaler {
namespace {

using ::krs::testing::Eventually;
using ::krs::testing::IsOk;
using ::krs::testing::kProfilePassword;
using ::krs::testing::kRotatedPassword;
using ::krs::testing::ManagementClient;
using ::krs::testing::StatusIs;
using ::krs::testing::TestAmqpUrl;
using ::krs::testing::TestHttpUrl;
using ::krs::testing::UniqueName;

enum class Protocol { kAmqp, kHttp };

std::string ProtocolName(const ::testing::TestParamInfo<Protocol>& info) {
  return info.param == Protocol::kAmqp ? "Amqp" : "Http";
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(10); }

void WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  ASSERT_TRUE(file.good()) << path;
}

class BrokerProfileIntegrationTest : public ::testing::TestWithParam<Protocol> {
 protected:
  void SetUp() override {
    ASSERT_THAT(management_.CheckReachable(), IsOk());
    user_ = UniqueName("krs-profile-user");
    ASSERT_THAT(management_.CreateUser(user_, kProfilePassword, "management", "/"), IsOk());
    queue_ = UniqueName("profile");
    ASSERT_THAT(management_.DeclareQueue("/", queue_), IsOk());
    ASSERT_THAT(management_.Publish("/", queue_, "m", 3), IsOk());

    char pattern[] = "/tmp/krs-profile-it-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    management_.DeleteQueue("/", queue_).IgnoreError();
    management_.DeleteUser(user_).IgnoreError();
    std::string command = absl::StrCat("rm -rf '", dir_, "'");
    EXPECT_EQ(std::system(command.c_str()), 0);
  }

  bool amqp() const { return GetParam() == Protocol::kAmqp; }

  // scheme://127.0.0.1:PORT/%2F of the test broker, without credentials.
  std::string BrokerUrl() const {
    absl::StatusOr<BrokerEndpoint> plain =
        ParseBrokerEndpoint(amqp() ? TestAmqpUrl() : TestHttpUrl());
    EXPECT_THAT(plain, IsOk());
    return absl::StrCat(amqp() ? "amqp" : "http", "://", plain->host, ":", plain->port, "/%2F");
  }

  std::string WriteProfile(absl::string_view password) {
    WriteFile(dir_ + "/password", password);
    WriteFile(dir_ + "/brokers.yaml",
              absl::StrCat("brokers:\n  - name: test\n    url: ", BrokerUrl(),
                           "\n    username: ", user_, "\n    password_file: password\n"));
    return dir_ + "/brokers.yaml";
  }

  std::shared_ptr<QueueStatsSource> NewSource() const {
    if (amqp()) return std::make_shared<AmqpStatsSource>();
    return std::make_shared<ManagementStatsSource>();
  }

  // Reads until the management API's lagging statistics show the 3 messages.
  bool ReadsThreeMessages(QueueStatsSource& source, const QueueQuery& query) {
    absl::Status last;
    bool seen = Eventually([&] {
      absl::StatusOr<QueueStats> stats = source.Read(query, Deadline());
      last = stats.status();
      return stats.ok() && stats->messages == 3;
    });
    EXPECT_TRUE(seen) << "last status: " << last;
    return seen;
  }

  ManagementClient management_;
  std::string user_;
  std::string queue_;
  std::string dir_;
};

TEST_P(BrokerProfileIntegrationTest, RawPasswordInProfileFileReads) {
  auto store = BrokerProfileStore::Load({WriteProfile(kProfilePassword)});
  ASSERT_THAT(store, IsOk());
  TriggerParseOptions options;
  options.brokers = store->get();
  std::map<std::string, std::string> metadata = {{"broker", "test"}, {"queueName", queue_}};

  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(metadata, options);

  ASSERT_THAT(config, IsOk());
  auto source = NewSource();
  ReadsThreeMessages(*source, config->query);
}

TEST_P(BrokerProfileIntegrationTest, PercentEncodedPasswordInUrlReads) {
  absl::StatusOr<BrokerEndpoint> plain = ParseBrokerEndpoint(BrokerUrl());
  ASSERT_THAT(plain, IsOk());
  std::string url = absl::StrCat(amqp() ? "amqp" : "http", "://", PercentEncodeQueryValue(user_),
                                 ":", PercentEncodeQueryValue(kProfilePassword), "@",
                                 plain->host, ":", plain->port, "/%2F");

  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata({{"host", url}, {"queueName", queue_}}, absl::Seconds(3));

  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(config->query.endpoint.password == kProfilePassword);
  auto source = NewSource();
  ReadsThreeMessages(*source, config->query);
}

TEST_P(BrokerProfileIntegrationTest, WrongPasswordIsUnauthenticated) {
  auto store = BrokerProfileStore::Load({WriteProfile(kRotatedPassword)});
  ASSERT_THAT(store, IsOk());
  absl::StatusOr<BrokerEndpoint> endpoint = (*store)->Resolve("test");
  ASSERT_THAT(endpoint, IsOk());
  QueueQuery query;
  query.endpoint = *endpoint;
  query.queue_name = queue_;

  auto source = NewSource();
  EXPECT_THAT(source->Read(query, Deadline()), StatusIs(absl::StatusCode::kUnauthenticated));
}

// A query that keeps the endpoint it was parsed with, as an open StreamIsActive does, follows a
// password rotated in the broker and in the profile's file.
TEST_P(BrokerProfileIntegrationTest, RotatedPasswordIsFollowed) {
  auto loaded = BrokerProfileStore::Load({WriteProfile(kProfilePassword)});
  ASSERT_THAT(loaded, IsOk());
  std::shared_ptr<BrokerProfileStore> store = *loaded;
  QueueQuery query;
  query.endpoint = *store->Resolve("test");
  query.queue_name = queue_;
  ProfileCredentialsSource source(NewSource(), store);
  ASSERT_TRUE(ReadsThreeMessages(source, query));

  ASSERT_THAT(management_.CreateUser(user_, kRotatedPassword, "management", "/"), IsOk());
  WriteFile(dir_ + "/password", kRotatedPassword);
  ASSERT_TRUE(store->CheckForChanges());

  ProfileCredentialsSource fresh(NewSource(), store);
  ReadsThreeMessages(fresh, query);
}

INSTANTIATE_TEST_SUITE_P(Protocols, BrokerProfileIntegrationTest,
                         ::testing::Values(Protocol::kAmqp, Protocol::kHttp), ProtocolName);

}  // namespace
}  // namespace krs::scaler
