// ScalerMetricsClient: the MetricsClient of live mode. It calls the real rabbitmq-scaler over
// gRPC the way KEDA's external scaler client does: one channel (plaintext), the
// ScaledObjectRef with name, namespace and trigger metadata (`...FromEnv` keys resolved from
// the scale target's env), float fields preferred over the deprecated integer ones, and every
// returned MetricValue summed. Each call's round trip is recorded.
#ifndef KRS_LAB_LIVE_SCALER_METRICS_CLIENT_H_
#define KRS_LAB_LIVE_SCALER_METRICS_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "externalscaler.grpc.pb.h"
#include "lab/control/metrics_client.h"

namespace krs::lab {

class ScalerMetricsClient final : public MetricsClient {
 public:
  // `address` is host:port. `timeout` bounds each call (KEDA's own client sets none; the
  // lab needs one so a hung scaler cannot hang the run).
  ScalerMetricsClient(const std::string& address, std::map<std::string, std::string> env,
                      absl::Duration timeout = absl::Seconds(5));

  // Waits until the channel is connected or `timeout` passes.
  bool WaitForConnected(absl::Duration timeout);

  absl::StatusOr<std::vector<MetricSpec>> GetMetricSpec(const ScalerRef& ref) override;
  absl::StatusOr<double> GetMetrics(const ScalerRef& ref, const std::string& metric_name) override;
  absl::StatusOr<bool> IsActive(const ScalerRef& ref) override;

  // Round trips of successful calls so far, in real milliseconds.
  std::vector<double> round_trips_ms() const;

 private:
  externalscaler::ScaledObjectRef ToProto(const ScalerRef& ref) const;
  void Record(absl::Time start);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<externalscaler::ExternalScaler::Stub> stub_;
  std::map<std::string, std::string> env_;
  absl::Duration timeout_;
  mutable Mutex mu_;
  std::vector<double> round_trips_ms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_SCALER_METRICS_CLIENT_H_
