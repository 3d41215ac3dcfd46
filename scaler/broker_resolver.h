// BrokerResolver: looks up named broker endpoints (broker profiles) for the trigger metadata key
// `broker`, so that a ScaledObject names a broker instead of carrying its URL and credentials.
#ifndef KRS_SCALER_BROKER_RESOLVER_H_
#define KRS_SCALER_BROKER_RESOLVER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scaler/broker_endpoint.h"

namespace krs::scaler {

class BrokerResolver {
 public:
  virtual ~BrokerResolver() = default;

  // Returns the endpoint of profile `name` with its credentials and TLS files, and
  // endpoint.profile set to `name`. NOT_FOUND names `name` and lists the known names.
  virtual absl::StatusOr<BrokerEndpoint> Resolve(absl::string_view name) const = 0;

  // A number that changes whenever the profiles change, so that caches of resolved endpoints
  // know when to drop their entries.
  virtual uint64_t generation() const = 0;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_BROKER_RESOLVER_H_
