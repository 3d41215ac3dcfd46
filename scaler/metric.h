// The metric value and activity of one trigger, computed from QueueStats exactly as KEDA's
// built-in rabbitmq scaler does (pkg/scalers/rabbitmq_scaler.go, kedacore/keda main at 8b4f083).
#ifndef KRS_SCALER_METRIC_H_
#define KRS_SCALER_METRIC_H_

#include "scaler/queue_stats.h"
#include "scaler/trigger_metadata.h"

namespace krs::scaler {

struct MetricResult {
  double value = 0;    // reported as metricValueFloat
  bool active = false; // reported by IsActive; strict `>` against activationValue
};

MetricResult ComputeMetric(const QueueStats& stats, const TriggerConfig& config);

}  // namespace krs::scaler

#endif  // KRS_SCALER_METRIC_H_
