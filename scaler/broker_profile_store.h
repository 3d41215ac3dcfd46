// BrokerProfileStore: the broker profiles of --broker-config, reloaded when the config file or a
// file it names changes. It implements BrokerResolver for trigger metadata.
//
// Changes are found by polling: each file's resolved path, device, inode, size and
// modification time. Kubernetes updates a Secret volume by swapping a symlink to a new folder,
// which changes the resolved path and inode even when the times look the same. A reload that
// fails keeps the last good profiles and logs the error once per change of the files.
#ifndef KRS_SCALER_BROKER_PROFILE_STORE_H_
#define KRS_SCALER_BROKER_PROFILE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/notification.h"
#include "scaler/broker_profiles.h"
#include "scaler/broker_resolver.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

struct BrokerProfileStoreOptions {
  std::string config_file;                         // --broker-config
  absl::Duration poll_interval = absl::Seconds(5);  // --broker-config-poll-interval
};

class BrokerProfileStore : public BrokerResolver {
 public:
  // Loads the profiles once; the error of LoadBrokerProfiles when that fails. Polling starts
  // with StartPolling().
  static absl::StatusOr<std::shared_ptr<BrokerProfileStore>> Load(
      BrokerProfileStoreOptions options);

  // Calls Stop().
  ~BrokerProfileStore() override;

  absl::StatusOr<BrokerEndpoint> Resolve(absl::string_view name) const override;
  uint64_t generation() const override { return generation_.load(); }

  // Compares the files with the last check and reloads when one changed. Returns true when
  // new profiles were taken. Called by the polling thread; tests call it directly.
  bool CheckForChanges();

  // Starts a thread that calls CheckForChanges() every poll_interval.
  void StartPolling();
  // Stops the polling thread and waits for it. Later calls do nothing.
  void Stop();

  // Called after every reload attempt with its result, e.g. to count reloads in metrics.
  void SetReloadListener(std::function<void(const absl::Status&)> listener);

  std::string NameList() const;

 private:
  explicit BrokerProfileStore(BrokerProfileStoreOptions options);

  // Returns one line per file with its resolved path and stat() fields.
  static std::string Fingerprint(const std::vector<std::string>& files);

  const BrokerProfileStoreOptions options_;
  std::atomic<uint64_t> generation_{1};

  mutable Mutex mutex_;
  std::shared_ptr<const BrokerProfileSet> profiles_ ABSL_GUARDED_BY(mutex_);
  std::string fingerprint_ ABSL_GUARDED_BY(mutex_);         // of the files of profiles_
  std::string failed_fingerprint_ ABSL_GUARDED_BY(mutex_);  // of the last failed reload
  std::function<void(const absl::Status&)> listener_ ABSL_GUARDED_BY(mutex_);

  Notification stop_;
  std::thread thread_;
};

// A QueueStatsSource decorator that refreshes the credentials and TLS files of a query whose
// endpoint came from a broker profile, from the profile's current version, before reading. So
// an open StreamIsActive, which keeps the endpoint it started with, follows a rotated password.
// Host, port, vhost and TLS checks stay as parsed: such changes apply to new streams and to the
// polling calls, whose configs are parsed again after a reload.
class ProfileCredentialsSource : public QueueStatsSource {
 public:
  ProfileCredentialsSource(std::shared_ptr<QueueStatsSource> source,
                           std::shared_ptr<const BrokerResolver> brokers);

  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

 private:
  std::shared_ptr<QueueStatsSource> source_;
  std::shared_ptr<const BrokerResolver> brokers_;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_BROKER_PROFILE_STORE_H_
