// Broker profiles: parsing --broker-config, reloading it (file change, Kubernetes-style symlink
// swap, broken reload), the `broker` metadata key and the config cache's invalidation.
#include "scaler/broker_profiles.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/broker_profile_store.h"
#include "scaler/trigger_config_cache.h"
#include "scaler/trigger_metadata.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_secrets.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::kProfilePassword;
using ::krs::testing::kRotatedPassword;
using ::krs::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  ASSERT_TRUE(file.good()) << path;
}

// A fresh folder under the test's temporary directory.
class BrokerProfilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krs-profiles-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::string command = absl::StrCat("rm -rf '", dir_, "'");
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

  // Writes user and password files and a config with one amqp profile "main" using them.
  std::string WriteMainConfig(const std::string& password) {
    WriteFile(Path("username"), "scaler\n");
    WriteFile(Path("password"), password + "\n");
    WriteFile(Path("brokers.yaml"),
              "brokers:\n"
              "  - name: main\n"
              "    url: amqp://rabbitmq.example:5672/orders\n"
              "    username_file: username\n"
              "    password_file: password\n"
              "  - name: http-main\n"
              "    url: http://rabbitmq.example:15672/orders\n"
              "    username: monitor\n"
              "    password_file: password\n");
    return Path("brokers.yaml");
  }

  std::string dir_;
};

TEST_F(BrokerProfilesTest, LoadsProfilesWithRawPassword) {
  std::string config = WriteMainConfig(std::string(kProfilePassword));

  absl::StatusOr<BrokerProfileSet> set = LoadBrokerProfiles(config);

  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->endpoints.count("main"), 1u);
  const BrokerEndpoint& main = set->endpoints.at("main");
  EXPECT_EQ(main.protocol, BrokerProtocol::kAmqp);
  EXPECT_EQ(main.host, "rabbitmq.example");
  EXPECT_EQ(main.vhost, "orders");
  EXPECT_EQ(main.username, "scaler");
  EXPECT_TRUE(main.password == kProfilePassword) << "the password was changed while reading";
  EXPECT_EQ(main.profile, "main");
  EXPECT_EQ(set->endpoints.at("http-main").username, "monitor");
  EXPECT_EQ(set->NameList(), "http-main, main");
  EXPECT_THAT(set->files, ::testing::ElementsAre(config, Path("username"), Path("password"),
                                                 Path("password")));
}

TEST_F(BrokerProfilesTest, ReadsTlsFilesRelativeToConfig) {
  WriteFile(Path("ca.pem"), "ca");
  WriteFile(Path("client.pem"), "cert");
  WriteFile(Path("client.key"), "key");
  WriteFile(Path("brokers.yaml"),
            "brokers:\n"
            "  - name: tls\n"
            "    url: amqps://rabbitmq.example/\n"
            "    tls:\n"
            "      ca_file: ca.pem\n"
            "      cert_file: client.pem\n"
            "      key_file: client.key\n"
            "      unsafe_ssl: true\n");

  absl::StatusOr<BrokerProfileSet> set = LoadBrokerProfiles(Path("brokers.yaml"));

  ASSERT_THAT(set, IsOk());
  const BrokerTlsOptions& tls = set->endpoints.at("tls").tls_options;
  EXPECT_EQ(tls.ca_file, Path("ca.pem"));
  EXPECT_EQ(tls.cert_file, Path("client.pem"));
  EXPECT_EQ(tls.key_file, Path("client.key"));
  EXPECT_FALSE(tls.verify_peer);
  EXPECT_FALSE(tls.verify_hostname);
  EXPECT_EQ(set->endpoints.at("tls").port, 5671);
}

TEST_F(BrokerProfilesTest, RejectsInvalidConfigs) {
  WriteFile(Path("password"), "pw\n");
  WriteFile(Path("empty"), "\n");
  WriteFile(Path("client.key"), "key");
  struct Case {
    const char* name;
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {"not yaml", "brokers: [", "YAML error"},
      {"no brokers key", "profiles: []\n", "\"brokers\""},
      {"unknown top-level key", "brokers: []\nextra: 1\n", "unknown key \"extra\""},
      {"missing name", "brokers:\n  - url: amqp://h/\n", "has no \"name\""},
      {"invalid name", "brokers:\n  - name: a b\n    url: amqp://h/\n", "broker name \"a b\""},
      {"missing url", "brokers:\n  - name: a\n", "\"url\" is missing"},
      {"unknown profile key", "brokers:\n  - name: a\n    url: amqp://h/\n    pasword_file: x\n",
       "unknown key \"pasword_file\""},
      {"password in url", "brokers:\n  - name: a\n    url: amqp://u:hunter2@h/\n",
       "contains a password"},
      {"bad scheme", "brokers:\n  - name: a\n    url: ftp://h/\n", "unknown scheme"},
      {"duplicate name",
       "brokers:\n  - name: a\n    url: amqp://h/\n  - name: a\n    url: amqp://h/\n",
       "used by two brokers"},
      {"missing password file",
       "brokers:\n  - name: a\n    url: amqp://u@h/\n    password_file: nope\n", "cannot be read"},
      {"empty password file",
       "brokers:\n  - name: a\n    url: amqp://u@h/\n    password_file: empty\n", "is empty"},
      {"password without user",
       "brokers:\n  - name: a\n    url: amqp://h/\n    password_file: password\n",
       "without a user name"},
      {"username twice",
       "brokers:\n  - name: a\n    url: amqp://h/\n    username: u\n    username_file: password\n",
       "either username or username_file"},
      {"tls on plain url",
       "brokers:\n  - name: a\n    url: amqp://h/\n    tls:\n      unsafe_ssl: true\n",
       "does not use TLS"},
      {"key without certificate",
       "brokers:\n  - name: a\n    url: amqps://h/\n    tls:\n      key_file: client.key\n",
       "without a client certificate"},
      {"unsafe_ssl not a bool",
       "brokers:\n  - name: a\n    url: amqps://h/\n    tls:\n      unsafe_ssl: maybe\n",
       "allowed: true, false"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    WriteFile(Path("brokers.yaml"), test_case.yaml);
    absl::StatusOr<BrokerProfileSet> set = LoadBrokerProfiles(Path("brokers.yaml"));
    EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument,
                              AllOf(HasSubstr(test_case.message), HasSubstr("brokers.yaml"),
                                    Not(HasSubstr("hunter2")))));
  }
}

TEST_F(BrokerProfilesTest, MissingConfigFileIsInvalidArgument) {
  EXPECT_THAT(LoadBrokerProfiles(Path("missing.yaml")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot be read")));
}

TEST_F(BrokerProfilesTest, MetadataSelectsProfile) {
  auto store = BrokerProfileStore::Load({WriteMainConfig(std::string(kProfilePassword))});
  ASSERT_THAT(store, IsOk());
  TriggerParseOptions options;
  options.brokers = store->get();

  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata({{"broker", "main"}, {"queueName", "jobs"}}, options);

  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->query.endpoint.profile, "main");
  EXPECT_EQ(config->query.endpoint.host, "rabbitmq.example");
  EXPECT_TRUE(config->query.endpoint.password == kProfilePassword);
  EXPECT_EQ(config->metric_name, "rabbitmq-orders-jobs");
}

TEST_F(BrokerProfilesTest, MetadataOverridesProfileVhostAndSsl) {
  auto store = BrokerProfileStore::Load({WriteMainConfig("pw")});
  ASSERT_THAT(store, IsOk());
  TriggerParseOptions options;
  options.brokers = store->get();

  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(
      {{"broker", "http-main"}, {"queueName", "jobs"}, {"vhostName", "/"},
       {"mode", "MessageRate"}, {"value", "5"}},
      options);

  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->query.endpoint.vhost, "/");
  EXPECT_EQ(config->query.endpoint.protocol, BrokerProtocol::kHttp);
}

TEST_F(BrokerProfilesTest, UnknownProfileListsKnownNames) {
  auto store = BrokerProfileStore::Load({WriteMainConfig("pw")});
  ASSERT_THAT(store, IsOk());
  TriggerParseOptions options;
  options.brokers = store->get();

  absl::StatusOr<TriggerConfig> config =
      ParseTriggerMetadata({{"broker", "mian"}, {"queueName", "jobs"}}, options);

  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("\"broker\""), HasSubstr("\"mian\""),
                                     HasSubstr("known profiles: http-main, main"))));
}

TEST_F(BrokerProfilesTest, BrokerKeyErrors) {
  auto store = BrokerProfileStore::Load({WriteMainConfig("pw")});
  ASSERT_THAT(store, IsOk());
  TriggerParseOptions with_profiles;
  with_profiles.brokers = store->get();

  EXPECT_THAT(ParseTriggerMetadata(
                  {{"broker", "main"}, {"host", "amqp://h/"}, {"queueName", "q"}}, with_profiles),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
  EXPECT_THAT(ParseTriggerMetadata({{"broker", "main"}, {"queueName", "q"}}, TriggerParseOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--broker-config")));
  EXPECT_THAT(ParseTriggerMetadata(
                  {{"broker", "main"}, {"queueName", "q"}, {"mode", "MessageRate"}, {"value", "1"}},
                  with_profiles),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("protocol http")));
}

TEST_F(BrokerProfilesTest, HostUrlGetsDefaultTlsFiles) {
  TriggerParseOptions options;
  options.default_tls.ca_file = "/etc/ca.pem";
  options.default_tls.cert_file = "/etc/client.pem";
  options.default_tls.key_file = "/etc/client.key";

  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(
      {{"host", "amqps://u:p@h/"}, {"queueName", "q"}, {"unsafeSsl", "true"}}, options);

  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->query.endpoint.tls_options.ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->query.endpoint.tls_options.key_file, "/etc/client.key");
  EXPECT_FALSE(config->query.endpoint.tls_options.verify_peer);
}

TEST_F(BrokerProfilesTest, KeyWithoutCertificateIsInvalidArgument) {
  TriggerParseOptions options;
  options.default_tls.key_file = "/etc/client.key";

  EXPECT_THAT(ParseTriggerMetadata({{"host", "https://u:p@h/"}, {"queueName", "q"}}, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("without a client certificate")));
}

TEST_F(BrokerProfilesTest, ReloadsChangedPasswordFile) {
  auto store = BrokerProfileStore::Load({WriteMainConfig(std::string(kProfilePassword))});
  ASSERT_THAT(store, IsOk());
  uint64_t generation = (*store)->generation();
  EXPECT_FALSE((*store)->CheckForChanges());

  WriteFile(Path("password"), std::string(kRotatedPassword) + "\n");

  EXPECT_TRUE((*store)->CheckForChanges());
  EXPECT_GT((*store)->generation(), generation);
  absl::StatusOr<BrokerEndpoint> main = (*store)->Resolve("main");
  ASSERT_THAT(main, IsOk());
  EXPECT_TRUE(main->password == kRotatedPassword);
}

// Kubernetes mounts a Secret as `key -> ..data/key` and `..data -> ..<timestamp>`, and updates it
// by pointing ..data at a new folder in one rename.
TEST_F(BrokerProfilesTest, ReloadsAfterSymlinkSwap) {
  ASSERT_EQ(mkdir(Path("..v1").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(Path("..v2").c_str(), 0755), 0);
  WriteFile(Path("..v1/password"), std::string(kProfilePassword));
  WriteFile(Path("..v2/password"), std::string(kRotatedPassword));
  ASSERT_EQ(symlink("..v1", Path("..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/password", Path("password").c_str()), 0);
  WriteFile(Path("brokers.yaml"),
            "brokers:\n  - name: main\n    url: amqp://u@h/\n    password_file: password\n");
  auto store = BrokerProfileStore::Load({Path("brokers.yaml")});
  ASSERT_THAT(store, IsOk());

  ASSERT_EQ(symlink("..v2", Path("..data_tmp").c_str()), 0);
  ASSERT_EQ(rename(Path("..data_tmp").c_str(), Path("..data").c_str()), 0);

  EXPECT_TRUE((*store)->CheckForChanges());
  absl::StatusOr<BrokerEndpoint> main = (*store)->Resolve("main");
  ASSERT_THAT(main, IsOk());
  EXPECT_TRUE(main->password == kRotatedPassword);
}

TEST_F(BrokerProfilesTest, BrokenReloadKeepsLastGoodConfig) {
  auto store = BrokerProfileStore::Load({WriteMainConfig("pw")});
  ASSERT_THAT(store, IsOk());
  int failures = 0;
  (*store)->SetReloadListener([&failures](const absl::Status& status) {
    if (!status.ok()) ++failures;
  });
  uint64_t generation = (*store)->generation();

  WriteFile(Path("brokers.yaml"), "brokers: [\n");

  EXPECT_FALSE((*store)->CheckForChanges());
  EXPECT_FALSE((*store)->CheckForChanges()) << "the same broken files are not loaded again";
  EXPECT_EQ(failures, 1);
  EXPECT_EQ((*store)->generation(), generation);
  EXPECT_THAT((*store)->Resolve("main"), IsOk());

  WriteMainConfig("pw2");
  EXPECT_TRUE((*store)->CheckForChanges());
}

TEST_F(BrokerProfilesTest, PollingThreadReloads) {
  BrokerProfileStoreOptions options;
  options.config_file = WriteMainConfig("pw");
  options.poll_interval = absl::Milliseconds(20);
  auto store = BrokerProfileStore::Load(options);
  ASSERT_THAT(store, IsOk());
  (*store)->StartPolling();
  uint64_t generation = (*store)->generation();

  WriteFile(Path("password"), "pw-new\n");
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*store)->generation() == generation && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  (*store)->Stop();

  EXPECT_GT((*store)->generation(), generation);
}

TEST_F(BrokerProfilesTest, ConfigCacheParsesAgainAfterReload) {
  auto loaded = BrokerProfileStore::Load({WriteMainConfig("pw")});
  ASSERT_THAT(loaded, IsOk());
  std::shared_ptr<BrokerProfileStore> store = *loaded;
  TriggerConfigCacheOptions options;
  options.brokers = store;
  TriggerConfigCache cache(options);
  const std::map<std::string, std::string> metadata = {{"broker", "main"}, {"queueName", "q"}};

  auto before = cache.Get(metadata);
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(cache.Get(metadata)->get(), before->get());
  WriteFile(Path("password"), "pw-new\n");
  ASSERT_TRUE(store->CheckForChanges());
  auto after = cache.Get(metadata);

  ASSERT_THAT(after, IsOk());
  EXPECT_NE(after->get(), before->get());
  EXPECT_EQ((*after)->query.endpoint.password, "pw-new");
}

// Records the last query it was asked to read.
class RecordingSource : public QueueStatsSource {
 public:
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time) override {
    last = query;
    return QueueStats();
  }
  QueueQuery last;
};

TEST_F(BrokerProfilesTest, ProfileCredentialsSourceUsesCurrentPassword) {
  auto loaded = BrokerProfileStore::Load({WriteMainConfig("pw-old")});
  ASSERT_THAT(loaded, IsOk());
  std::shared_ptr<BrokerProfileStore> store = *loaded;
  auto recorder = std::make_shared<RecordingSource>();
  ProfileCredentialsSource source(recorder, store);
  QueueQuery query;
  query.endpoint = *store->Resolve("main");
  query.queue_name = "q";

  WriteFile(Path("password"), "pw-new\n");
  ASSERT_TRUE(store->CheckForChanges());
  ASSERT_THAT(source.Read(query, absl::InfiniteFuture()), IsOk());

  EXPECT_EQ(recorder->last.endpoint.password, "pw-new");
  EXPECT_EQ(recorder->last.endpoint.host, "rabbitmq.example");
}

}  // namespace
}  // namespace krs::scaler
