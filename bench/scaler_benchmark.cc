// Google Benchmark suite for the scaler's per-request pure functions: what every GetMetrics
// and IsActive call runs besides the broker read. Results and the command line are recorded in
// docs/benchmarks.md.
#include <map>
#include <string>

#include "benchmark/benchmark.h"
#include "common/url.h"
#include "scaler/management_stats_json.h"
#include "scaler/management_url.h"
#include "scaler/metric.h"
#include "scaler/trigger_config_cache.h"
#include "scaler/trigger_metadata.h"

namespace krs::scaler {
namespace {

std::map<std::string, std::string> HttpMetadata() {
  return {{"host", "http://guest:s3cr3t-pw@rabbit.default.svc:15672/%2F"},
          {"queueName", "orders"},
          {"mode", "QueueLength"},
          {"value", "20"},
          {"activationValue", "1"}};
}

std::map<std::string, std::string> AmqpMetadata() {
  return {{"host", "amqp://guest:s3cr3t-pw@rabbit.default.svc:5672/%2F"},
          {"queueName", "orders"},
          {"mode", "QueueLength"},
          {"value", "20"}};
}

// The scaler's path for a known ScaledObject: a lookup keyed by the metadata map.
void BM_TriggerConfigCacheHit(benchmark::State& state) {
  TriggerConfigCache cache;
  std::map<std::string, std::string> metadata = HttpMetadata();
  if (!cache.Get(metadata).ok()) state.SkipWithError("metadata rejected");
  for (auto _ : state) {
    auto config = cache.Get(metadata);
    benchmark::DoNotOptimize(config);
  }
}
BENCHMARK(BM_TriggerConfigCacheHit);

// The same lookup with several threads, as concurrent gRPC calls do.
BENCHMARK(BM_TriggerConfigCacheHit)->Threads(2)->Threads(8)->UseRealTime();

void BM_ParseTriggerMetadataHttp(benchmark::State& state) {
  std::map<std::string, std::string> metadata = HttpMetadata();
  for (auto _ : state) {
    auto config = ParseTriggerMetadata(metadata, absl::Seconds(3));
    benchmark::DoNotOptimize(config);
  }
}
BENCHMARK(BM_ParseTriggerMetadataHttp);

void BM_ParseTriggerMetadataAmqp(benchmark::State& state) {
  std::map<std::string, std::string> metadata = AmqpMetadata();
  for (auto _ : state) {
    auto config = ParseTriggerMetadata(metadata, absl::Seconds(3));
    benchmark::DoNotOptimize(config);
  }
}
BENCHMARK(BM_ParseTriggerMetadataAmqp);

void BM_ParseTriggerMetadataInvalid(benchmark::State& state) {
  std::map<std::string, std::string> metadata = HttpMetadata();
  metadata["mode"] = "Unknown";
  for (auto _ : state) {
    auto config = ParseTriggerMetadata(metadata, absl::Seconds(3));
    benchmark::DoNotOptimize(config);
  }
}
BENCHMARK(BM_ParseTriggerMetadataInvalid);

void BM_ComputeMetric(benchmark::State& state) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(HttpMetadata(), absl::Seconds(3));
  if (!config.ok()) state.SkipWithError("metadata rejected");
  QueueStats stats;
  stats.messages = 1234;
  stats.messages_ready = 1000;
  stats.publish_rate = 12.5;
  stats.deliver_get_rate = 10;
  for (auto _ : state) {
    MetricResult result = ComputeMetric(stats, *config);
    benchmark::DoNotOptimize(result);
    stats.messages ^= 1;
  }
}
BENCHMARK(BM_ComputeMetric);

void BM_ManagementQueuePath(benchmark::State& state) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(HttpMetadata(), absl::Seconds(3));
  if (!config.ok()) state.SkipWithError("metadata rejected");
  for (auto _ : state) {
    auto path = ManagementQueuePath(config->query.endpoint, "orders/eu west");
    benchmark::DoNotOptimize(path);
  }
}
BENCHMARK(BM_ManagementQueuePath);

void BM_ManagementRegexPagePath(benchmark::State& state) {
  absl::StatusOr<TriggerConfig> config = ParseTriggerMetadata(HttpMetadata(), absl::Seconds(3));
  if (!config.ok()) state.SkipWithError("metadata rejected");
  for (auto _ : state) {
    auto path = ManagementRegexPagePath(config->query.endpoint, "^orders-.*$", 3, 100);
    benchmark::DoNotOptimize(path);
  }
}
BENCHMARK(BM_ManagementRegexPagePath);

void BM_RedactUrl(benchmark::State& state) {
  const std::string message =
      "reading queue \"orders\" from http://guest:s3cr3t-pw@rabbit.default.svc:15672/%2F: GET "
      "/api/queues/%2F/orders failed: Connection";
  for (auto _ : state) {
    std::string redacted = RedactUrl(message);
    benchmark::DoNotOptimize(redacted);
  }
}
BENCHMARK(BM_RedactUrl);

void BM_ParseUrl(benchmark::State& state) {
  const std::string url = "amqps://guest:s3cr3t-P%40ss@[::1]:5671/vhost?heartbeat=10";
  for (auto _ : state) {
    auto parsed = ParseUrl(url);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseUrl);

void BM_ParseQueueStatsJson(benchmark::State& state) {
  // A RabbitMQ 3.10 queue object trimmed to the fields a typical response has around them.
  const std::string body = R"({"arguments":{},"auto_delete":false,"backing_queue_status":
    {"mode":"default","q1":0,"q2":0,"q3":0,"q4":1000,"len":1000},"consumer_capacity":1,
    "consumer_utilisation":1,"consumers":2,"durable":true,"exclusive":false,"memory":55000,
    "message_bytes":100000,"message_stats":{"ack":900,"ack_details":{"rate":10.0},
    "deliver_get":910,"deliver_get_details":{"rate":10.0},"publish":2000,
    "publish_details":{"rate":12.5}},"messages":1234,"messages_details":{"rate":0.0},
    "messages_ready":1000,"messages_ready_details":{"rate":0.0},"messages_unacknowledged":234,
    "messages_unacknowledged_details":{"rate":0.0},"name":"orders","node":"rabbit@rabbit-0",
    "state":"running","type":"classic","vhost":"/"})";
  for (auto _ : state) {
    auto stats = ParseQueueStatsJson(body, "/api/queues/%2F/orders");
    benchmark::DoNotOptimize(stats);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseQueueStatsJson);

}  // namespace
}  // namespace krs::scaler

BENCHMARK_MAIN();
