// PodAnnotationClient: sets this pod's `controller.kubernetes.io/pod-deletion-cost` annotation
// through the Kubernetes API, so that on scale-in the ReplicaSet deletes idle pods before busy
// ones (it deletes lower costs first).
//
// Request: PATCH {endpoint}/api/v1/namespaces/{namespace}/pods/{pod} with
// Content-Type: application/merge-patch+json and the body
//   {"metadata":{"annotations":{"controller.kubernetes.io/pod-deletion-cost":"1000"}}}
// plus `Authorization: Bearer <token>` when a token file is configured and readable (the
// service-account token is re-read for every request because the kubelet rotates it).
#ifndef KRS_WORKLOADS_CONSUMER_POD_ANNOTATION_CLIENT_H_
#define KRS_WORKLOADS_CONSUMER_POD_ANNOTATION_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace krs::workloads {

// Where the in-cluster service-account files are mounted.
inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct PodAnnotationClientOptions {
  std::string endpoint;        // e.g. https://10.96.0.1:443 or http://127.0.0.1:PORT (the lab)
  std::string namespace_name;
  std::string pod_name;
  std::string token_file;      // empty: no Authorization header
  std::string ca_file;         // PEM bundle to verify an https endpoint; empty: system default
  absl::Duration timeout = absl::Seconds(2);  // connect and read, per request
};

class PodAnnotationClient {
 public:
  // Validates the options: the endpoint must be an http:// or https:// URL, and the namespace
  // and pod name must be set.
  static absl::StatusOr<PodAnnotationClient> Create(PodAnnotationClientOptions options);

  // Returns options for `endpoint` filled from the environment: the namespace from
  // POD_NAMESPACE or {service_account_dir}/namespace, the pod name from POD_NAME, and the token
  // and CA files from service_account_dir when they exist. The endpoint "in-cluster" means
  // https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.
  static absl::StatusOr<PodAnnotationClientOptions> OptionsFromEnvironment(
      const std::string& endpoint, const std::string& service_account_dir);

  // Sets the annotation to `cost`. A cost equal to the last one set successfully sends
  // nothing. Returns an error describing the failed request (never the token); failures are
  // also counted.
  absl::Status SetDeletionCost(int64_t cost);

  int64_t failures() const { return failures_; }
  int64_t successes() const { return successes_; }

  // Returns the request path for the configured pod.
  std::string PodPath() const;

 private:
  explicit PodAnnotationClient(PodAnnotationClientOptions options)
      : options_(std::move(options)) {}

  absl::Status Patch(int64_t cost);

  PodAnnotationClientOptions options_;
  std::optional<int64_t> last_cost_;
  int64_t failures_ = 0;
  int64_t successes_ = 0;
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_CONSUMER_POD_ANNOTATION_CLIENT_H_
