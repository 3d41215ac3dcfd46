// The metric value and activity of one trigger, computed from QueueStats exactly as KEDA's
// built-in rabbitmq scaler does (pkg/scalers/rabbitmq_scaler.go, kedacore/keda main at 8b4f083).
#ifndef KRS_SCALER_METRIC_H_
#define KRS_SCALER_METRIC_H_

#include <cstdint>

#include "scaler/queue_stats.h"
#include "scaler/trigger_metadata.h"

namespace krs::scaler {

struct MetricResult {
  double value = 0;    // reported as metricValueFloat
  bool active = false; // reported by IsActive; strict `>` against activationValue
};

MetricResult ComputeMetric(const QueueStats& stats, const TriggerConfig& config);

// The target numbers of GetMetricSpec's MetricSpec.
struct MetricTarget {
  double target_size_float = 0;  // `value`; KEDA uses it when > 0
  int64_t target_size = 1;       // deprecated int field for KEDA < 2.17: max(1, ceil(value))
};

MetricTarget ComputeMetricTarget(const TriggerConfig& config);

// Returns the deprecated integer metricValue for a metricValueFloat: ceil(value), so that a
// fraction such as 0.5 messages per second never reads as 0 on a KEDA older than 2.17, which
// reads only the integer field. NaN and values <= 0 give 0. Values beyond int64 saturate.
int64_t MetricValueAsInt64(double value);

}  // namespace krs::scaler

#endif  // KRS_SCALER_METRIC_H_
