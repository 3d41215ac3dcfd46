#include "scaler/broker_profile_store.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logger.h"

namespace krs::scaler {

BrokerProfileStore::BrokerProfileStore(BrokerProfileStoreOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<BrokerProfileStore>> BrokerProfileStore::Load(
    BrokerProfileStoreOptions options) {
  std::shared_ptr<BrokerProfileStore> store(new BrokerProfileStore(std::move(options)));
  absl::StatusOr<BrokerProfileSet> profiles = LoadBrokerProfiles(store->options_.config_file);
  if (!profiles.ok()) return profiles.status();

  MutexLock lock(&store->mutex_);
  store->fingerprint_ = Fingerprint(profiles->files);
  store->profiles_ = std::make_shared<const BrokerProfileSet>(*std::move(profiles));
  Log(LogLevel::kInfo, "broker config loaded",
      {{"file", store->options_.config_file}, {"brokers", store->profiles_->NameList()}});
  return store;
}

BrokerProfileStore::~BrokerProfileStore() { Stop(); }

std::string BrokerProfileStore::Fingerprint(const std::vector<std::string>& files) {
  std::string fingerprint;
  for (const std::string& file : files) {
    char resolved[PATH_MAX];
    const char* real = realpath(file.c_str(), resolved);
    struct stat info {};
    if (real == nullptr || stat(file.c_str(), &info) != 0) {
      absl::StrAppend(&fingerprint, file, " missing\n");
      continue;
    }
    absl::StrAppend(&fingerprint, file, " -> ", real, " dev=", info.st_dev, " ino=", info.st_ino,
                    " size=", info.st_size, " mtime=", info.st_mtim.tv_sec, ".",
                    info.st_mtim.tv_nsec, "\n");
  }
  return fingerprint;
}

bool BrokerProfileStore::CheckForChanges() {
  std::vector<std::string> files;
  {
    MutexLock lock(&mutex_);
    files = profiles_->files;
  }
  std::string before = Fingerprint(files);
  {
    MutexLock lock(&mutex_);
    if (before == fingerprint_ || before == failed_fingerprint_) return false;
  }

  absl::StatusOr<BrokerProfileSet> profiles = LoadBrokerProfiles(options_.config_file);
  std::function<void(const absl::Status&)> listener;
  {
    MutexLock lock(&mutex_);
    listener = listener_;
    if (!profiles.ok()) {
      failed_fingerprint_ = before;
    } else {
      // The new set may name other files, which are watched from now on.
      // NOTE: a file that changes between the read and this stat() is taken as read, and the
      // change is seen only at its next change.
      fingerprint_ = Fingerprint(profiles->files);
      failed_fingerprint_.clear();
      profiles_ = std::make_shared<const BrokerProfileSet>(*profiles);
      generation_.fetch_add(1);
    }
  }

  if (!profiles.ok()) {
    Log(LogLevel::kError, "broker config reload failed; keeping the last good config",
        {{"file", options_.config_file}, {"error", profiles.status().ToString()}});
  } else {
    Log(LogLevel::kInfo, "broker config reloaded",
        {{"file", options_.config_file}, {"brokers", profiles->NameList()}});
  }
  if (listener) listener(profiles.status());
  return profiles.ok();
}

void BrokerProfileStore::StartPolling() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.poll_interval)) CheckForChanges();
  });
}

void BrokerProfileStore::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void BrokerProfileStore::SetReloadListener(std::function<void(const absl::Status&)> listener) {
  MutexLock lock(&mutex_);
  listener_ = std::move(listener);
}

std::string BrokerProfileStore::NameList() const {
  MutexLock lock(&mutex_);
  return profiles_->NameList();
}

absl::StatusOr<BrokerEndpoint> BrokerProfileStore::Resolve(absl::string_view name) const {
  std::shared_ptr<const BrokerProfileSet> profiles;
  {
    MutexLock lock(&mutex_);
    profiles = profiles_;
  }
  auto it = profiles->endpoints.find(std::string(name));
  if (it == profiles->endpoints.end()) {
    return absl::NotFoundError(absl::StrCat("no broker profile is named \"", name,
                                            "\"; known profiles: ", profiles->NameList(),
                                            " (from --broker-config ", options_.config_file,
                                            ")"));
  }
  return it->second;
}

ProfileCredentialsSource::ProfileCredentialsSource(std::shared_ptr<QueueStatsSource> source,
                                                   std::shared_ptr<const BrokerResolver> brokers)
    : source_(std::move(source)), brokers_(std::move(brokers)) {}

absl::StatusOr<QueueStats> ProfileCredentialsSource::Read(const QueueQuery& query,
                                                          absl::Time deadline) {
  if (query.endpoint.profile.empty() || brokers_ == nullptr) return source_->Read(query, deadline);

  absl::StatusOr<BrokerEndpoint> current = brokers_->Resolve(query.endpoint.profile);
  if (!current.ok()) {
    // The profile was removed by a reload. Its configs are parsed again on the next polling
    // call, which then fails with the list of known profiles.
    return absl::FailedPreconditionError(absl::StrCat(
        "reading queue \"", query.queue_name, "\": ", current.status().message()));
  }
  QueueQuery refreshed = query;
  refreshed.endpoint.username = current->username;
  refreshed.endpoint.password = current->password;
  refreshed.endpoint.tls_options.ca_file = current->tls_options.ca_file;
  refreshed.endpoint.tls_options.cert_file = current->tls_options.cert_file;
  refreshed.endpoint.tls_options.key_file = current->tls_options.key_file;
  return source_->Read(refreshed, deadline);
}

}  // namespace krs::scaler
