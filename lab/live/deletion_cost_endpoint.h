// DeletionCostEndpoint: the slice of the Kubernetes API that rmq-consumer's
// --deletion-cost-endpoint talks to. It serves
//   PATCH /api/v1/namespaces/{namespace}/pods/{name}
// with a JSON merge patch body, and records the pod's
// controller.kubernetes.io/pod-deletion-cost annotation for ProcessPodRuntime::ListPods.
// Listens on 127.0.0.1 with a port picked by the kernel.
#ifndef KRS_LAB_LIVE_DELETION_COST_ENDPOINT_H_
#define KRS_LAB_LIVE_DELETION_COST_ENDPOINT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

#include "common/mutex.h"

namespace httplib {
class Server;
}

namespace krs::lab {

class DeletionCostEndpoint {
 public:
  // Starts serving; returns an error when no port can be bound.
  static absl::StatusOr<std::unique_ptr<DeletionCostEndpoint>> Start();
  ~DeletionCostEndpoint();
  DeletionCostEndpoint(const DeletionCostEndpoint&) = delete;
  DeletionCostEndpoint& operator=(const DeletionCostEndpoint&) = delete;

  // http://127.0.0.1:PORT, the value for --deletion-cost-endpoint.
  std::string url() const;

  // The annotation's last value for `pod`, if it was ever set (and not removed).
  std::optional<std::string> CostOf(const std::string& pod) const;

  int64_t patches() const;

 private:
  DeletionCostEndpoint();

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable Mutex mu_;
  std::map<std::string, std::string> costs_ ABSL_GUARDED_BY(mu_);  // by pod name
  int64_t patches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_DELETION_COST_ENDPOINT_H_
