// TriggerConfigCache: validated TriggerConfigs keyed by their scalerMetadata map, so each map
// is parsed once and every later call with the same map gets the same shared config.
#ifndef KRS_SCALER_TRIGGER_CONFIG_CACHE_H_
#define KRS_SCALER_TRIGGER_CONFIG_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "scaler/trigger_metadata.h"

namespace krs::scaler {

struct TriggerConfigCacheOptions {
  // Entries kept; when full, the least recently used entry is evicted.
  size_t max_entries = 10000;
  // Passed to ParseTriggerMetadata: the http timeout when the `timeout` key is absent.
  absl::Duration default_timeout = absl::Seconds(3);
  // Passed to ParseTriggerMetadata: TLS files for amqps:// and https:// host URLs.
  BrokerTlsOptions default_tls;
  // Broker profiles for the `broker` key, or nullptr. When their generation() changes, every
  // cached entry is dropped, so the next Get() parses again with the new profiles.
  std::shared_ptr<const BrokerResolver> brokers;
};

// Thread-safe. Errors are cached too: parsing is a pure function of the map and the broker
// profiles, so a map that failed once fails again with the same status until the profiles
// change.
class TriggerConfigCache {
 public:
  explicit TriggerConfigCache(TriggerConfigCacheOptions options = {});

  // Returns the config for `metadata`, parsing it on the first call. Equal maps return the
  // same pointer while the entry stays cached.
  absl::StatusOr<std::shared_ptr<const TriggerConfig>> Get(
      const std::map<std::string, std::string>& metadata);

  size_t size() const;

 private:
  using Result = absl::StatusOr<std::shared_ptr<const TriggerConfig>>;
  struct Entry {
    Result result;
    std::list<std::string>::iterator recency;  // position in recency_, front = newest
  };

  const TriggerConfigCacheOptions options_;
  mutable Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  std::list<std::string> recency_ ABSL_GUARDED_BY(mutex_);
  uint64_t broker_generation_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_TRIGGER_CONFIG_CACHE_H_
