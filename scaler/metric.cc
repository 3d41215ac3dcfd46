#include "scaler/metric.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace krs::scaler {
namespace {

// The message count: `messages` (ready + unacknowledged) from the management API, or only the
// ready messages when excludeUnacknowledged is set or the source is AMQP, whose
// queue.declare-ok has no unacknowledged count.
double MessageCount(const QueueStats& stats, const TriggerConfig& config) {
  const bool ready_only = config.exclude_unacknowledged ||
                          config.query.endpoint.protocol == BrokerProtocol::kAmqp;
  return static_cast<double>(ready_only ? stats.messages_ready : stats.messages);
}

// publish rate / deliver_get rate. With publishing but no delivery the ratio is unbounded, so
// KEDA reports the activation value and counts the trigger as active.
MetricResult PublishedToDeliveredRatio(const QueueStats& stats, double activation) {
  const double publish = stats.publish_rate;
  const double deliver = stats.deliver_get_rate;
  const bool stalled = publish > 0 && deliver == 0;
  double ratio = 0;
  if (deliver != 0) {
    ratio = publish / deliver;
  } else if (stalled) {
    ratio = activation;
  }
  return {ratio, ratio > activation || stalled};
}

// Expected seconds to drain the queue: (publish - deliver) / deliver + count / deliver. With
// messages but no delivery it is unbounded, so KEDA reports the activation value and counts the
// trigger as active.
MetricResult ExpectedQueueConsumptionTime(const QueueStats& stats, double count,
                                          double activation) {
  const double publish = stats.publish_rate;
  const double deliver = stats.deliver_get_rate;
  double seconds = 0;
  if (count == 0) {
    seconds = 0;
  } else if (deliver == 0) {
    seconds = activation;
  } else {
    seconds = (publish - deliver) / deliver + count / deliver;
  }
  return {seconds, seconds > activation || (deliver == 0 && count > 0)};
}

}  // namespace

MetricResult ComputeMetric(const QueueStats& stats, const TriggerConfig& config) {
  const double count = MessageCount(stats, config);
  const double activation = config.activation_value;
  switch (config.mode) {
    case ScalingMode::kQueueLength:
      return {count, count > activation};
    case ScalingMode::kMessageRate:
      return {stats.publish_rate, stats.publish_rate > activation || count > activation};
    case ScalingMode::kDeliverGetRate:
      return {stats.deliver_get_rate, stats.deliver_get_rate > activation};
    case ScalingMode::kPublishedToDeliveredRatio:
      return PublishedToDeliveredRatio(stats, activation);
    case ScalingMode::kExpectedQueueConsumptionTime:
      return ExpectedQueueConsumptionTime(stats, count, activation);
  }
  return {};
}

MetricTarget ComputeMetricTarget(const TriggerConfig& config) {
  MetricTarget target;
  target.target_size_float = config.value;
  target.target_size = std::max<int64_t>(1, MetricValueAsInt64(config.value));
  return target;
}

int64_t MetricValueAsInt64(double value) {
  if (std::isnan(value) || value <= 0) return 0;
  const double rounded = std::ceil(value);
  // 2^63 is exactly representable; anything at or above it does not fit in int64.
  if (rounded >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(rounded);
}

}  // namespace krs::scaler
