#include "scaler/metric.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

TriggerConfig Config(ScalingMode mode, double activation, BrokerProtocol protocol,
                     bool exclude_unacknowledged = false) {
  TriggerConfig config;
  config.mode = mode;
  config.activation_value = activation;
  config.query.endpoint.protocol = protocol;
  config.exclude_unacknowledged = exclude_unacknowledged;
  return config;
}

QueueStats Stats(int64_t messages, int64_t ready, double publish = 0, double deliver = 0) {
  QueueStats stats;
  stats.messages = messages;
  stats.messages_ready = ready;
  stats.messages_unacknowledged = messages - ready;
  stats.publish_rate = publish;
  stats.deliver_get_rate = deliver;
  return stats;
}

struct MetricCase {
  const char* name;
  TriggerConfig config;
  QueueStats stats;
  double value;
  bool active;
};

constexpr BrokerProtocol kHttp = BrokerProtocol::kHttp;
constexpr BrokerProtocol kAmqp = BrokerProtocol::kAmqp;

TEST(ComputeMetric, MatchesKedaTable) {
  const std::vector<MetricCase> cases = {
      // QueueLength: `messages` over http, messages_ready over amqp or with excludeUnacknowledged.
      {"QL http counts unacked", Config(ScalingMode::kQueueLength, 0, kHttp), Stats(10, 4), 10,
       true},
      {"QL http exclude unacked", Config(ScalingMode::kQueueLength, 0, kHttp, true), Stats(10, 4),
       4, true},
      {"QL amqp ready only", Config(ScalingMode::kQueueLength, 0, kAmqp), Stats(0, 4), 4, true},
      {"QL empty inactive", Config(ScalingMode::kQueueLength, 0, kHttp), Stats(0, 0), 0, false},
      {"QL equal to activation inactive", Config(ScalingMode::kQueueLength, 5, kHttp),
       Stats(5, 5), 5, false},
      {"QL one above activation active", Config(ScalingMode::kQueueLength, 5, kHttp), Stats(6, 6),
       6, true},
      {"QL negative activation always active", Config(ScalingMode::kQueueLength, -1, kHttp),
       Stats(0, 0), 0, true},
      // MessageRate: publish rate; active by rate or by count.
      {"MR rate above", Config(ScalingMode::kMessageRate, 1, kHttp), Stats(0, 0, 2.5), 2.5, true},
      {"MR rate equal, no messages", Config(ScalingMode::kMessageRate, 1, kHttp), Stats(1, 1, 1),
       1, false},
      {"MR no rate but count above", Config(ScalingMode::kMessageRate, 1, kHttp), Stats(2, 2, 0),
       0, true},
      {"MR count uses exclude", Config(ScalingMode::kMessageRate, 1, kHttp, true),
       Stats(5, 1, 0), 0, false},
      // DeliverGetRate: deliver rate only.
      {"DGR above", Config(ScalingMode::kDeliverGetRate, 1, kHttp), Stats(100, 100, 9, 1.5), 1.5,
       true},
      {"DGR equal ignores count", Config(ScalingMode::kDeliverGetRate, 1, kHttp),
       Stats(100, 100, 9, 1), 1, false},
      // PublishedToDeliveredRatio.
      {"PDR ratio", Config(ScalingMode::kPublishedToDeliveredRatio, 1, kHttp), Stats(0, 0, 6, 3),
       2, true},
      {"PDR ratio equal inactive", Config(ScalingMode::kPublishedToDeliveredRatio, 2, kHttp),
       Stats(0, 0, 6, 3), 2, false},
      {"PDR stalled reports activation", Config(ScalingMode::kPublishedToDeliveredRatio, 4, kHttp),
       Stats(0, 0, 5, 0), 4, true},
      {"PDR idle", Config(ScalingMode::kPublishedToDeliveredRatio, 0, kHttp), Stats(7, 7, 0, 0), 0,
       false},
      {"PDR deliver only", Config(ScalingMode::kPublishedToDeliveredRatio, 0, kHttp),
       Stats(0, 0, 0, 2), 0, false},
      // ExpectedQueueConsumptionTime: (pub - del) / del + count / del.
      {"EQCT formula", Config(ScalingMode::kExpectedQueueConsumptionTime, 0, kHttp),
       Stats(20, 20, 6, 2), 12, true},
      {"EQCT empty queue", Config(ScalingMode::kExpectedQueueConsumptionTime, 0, kHttp),
       Stats(0, 0, 6, 2), 0, false},
      {"EQCT no delivery reports activation",
       Config(ScalingMode::kExpectedQueueConsumptionTime, 30, kHttp), Stats(3, 3, 0, 0), 30, true},
      {"EQCT equal to activation", Config(ScalingMode::kExpectedQueueConsumptionTime, 12, kHttp),
       Stats(20, 20, 6, 2), 12, false},
      {"EQCT negative when draining", Config(ScalingMode::kExpectedQueueConsumptionTime, 0, kHttp),
       Stats(1, 1, 0, 4), -0.75, false},
      {"EQCT count uses exclude",
       Config(ScalingMode::kExpectedQueueConsumptionTime, 0, kHttp, true), Stats(20, 0, 6, 2), 0,
       false},
  };
  for (const MetricCase& c : cases) {
    SCOPED_TRACE(c.name);
    MetricResult result = ComputeMetric(c.stats, c.config);
    EXPECT_DOUBLE_EQ(result.value, c.value);
    EXPECT_EQ(result.active, c.active);
  }
}

TEST(ComputeMetricTarget, FloatAndCeiledInt) {
  TriggerConfig config;
  const std::pair<double, int64_t> cases[] = {{20, 20}, {0.5, 1}, {2.1, 3}, {1e-9, 1}};
  for (const auto& [value, expected_int] : cases) {
    config.value = value;
    MetricTarget target = ComputeMetricTarget(config);
    EXPECT_EQ(target.target_size_float, value);
    EXPECT_EQ(target.target_size, expected_int) << value;
  }
}

TEST(MetricValueAsInt64, CeilsPositiveValues) {
  EXPECT_EQ(MetricValueAsInt64(0), 0);
  EXPECT_EQ(MetricValueAsInt64(0.5), 1);
  EXPECT_EQ(MetricValueAsInt64(3), 3);
  EXPECT_EQ(MetricValueAsInt64(3.0001), 4);
  EXPECT_EQ(MetricValueAsInt64(-2), 0);
  EXPECT_EQ(MetricValueAsInt64(std::nan("")), 0);
  EXPECT_EQ(MetricValueAsInt64(1e300), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(MetricValueAsInt64(std::numeric_limits<double>::infinity()),
            std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace krs::scaler
