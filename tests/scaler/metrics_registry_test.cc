// MetricsRegistry's text format, the scaler's metric bindings and the /metrics HTTP endpoint.
#include "scaler/metrics_registry.h"

#include <httplib.h>

#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scaler/metrics_http_server.h"
#include "scaler/scaler_metrics.h"
#include "scaler/stats_cache.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/status_matchers.h"

namespace krs::scaler {
namespace {

using ::krs::testing::IsOk;
using ::krs::testing::ParsePrometheusText;
using ::krs::testing::PrometheusText;
using ::krs::testing::StatusIs;
using ::testing::HasSubstr;

TEST(MetricsRegistry, RendersCounterAndGaugeWithLabels) {
  MetricsRegistry registry;
  MetricFamily& requests = registry.AddCounter("requests_total", "Requests.", {"method", "code"});
  MetricFamily& temperature = registry.AddGauge("temperature", "Degrees.");
  requests.CounterWithLabels({"Get", "OK"}).Increment();
  requests.CounterWithLabels({"Get", "OK"}).Increment(2);
  requests.CounterWithLabels({"Put", "NOT_FOUND"}).Increment(-5);  // ignored
  temperature.GaugeWithLabels({}).Set(-1.5);

  EXPECT_EQ(registry.RenderText(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"Get\",code=\"OK\"} 3\n"
            "requests_total{method=\"Put\",code=\"NOT_FOUND\"} 0\n"
            "# HELP temperature Degrees.\n"
            "# TYPE temperature gauge\n"
            "temperature -1.5\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddGauge("g", "line one\nback\\slash", {"name"})
      .GaugeWithLabels({"a\"b\\c\nd"})
      .Set(1);

  std::string text = registry.RenderText();

  EXPECT_THAT(text, HasSubstr("# HELP g line one\\nback\\\\slash\n"));
  EXPECT_THAT(text, HasSubstr("g{name=\"a\\\"b\\\\c\\nd\"} 1\n"));
  absl::StatusOr<PrometheusText> parsed = ParsePrometheusText(text);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->samples.size(), 1u);
  EXPECT_EQ(parsed->samples[0].labels.at("name"), "a\"b\\c\nd");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  Histogram& latency =
      registry.AddHistogram("latency_seconds", "Latency.", {"rpc"}, {0.5, 0.1, 1})
          .HistogramWithLabels({"IsActive"});
  latency.Observe(0.05);
  latency.Observe(0.1);  // upper bounds are inclusive
  latency.Observe(0.7);
  latency.Observe(3);

  EXPECT_EQ(registry.RenderText(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{rpc=\"IsActive\",le=\"0.10000000000000001\"} 2\n"
            "latency_seconds_bucket{rpc=\"IsActive\",le=\"0.5\"} 2\n"
            "latency_seconds_bucket{rpc=\"IsActive\",le=\"1\"} 3\n"
            "latency_seconds_bucket{rpc=\"IsActive\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{rpc=\"IsActive\"} 3.8500000000000001\n"
            "latency_seconds_count{rpc=\"IsActive\"} 4\n");
}

TEST(MetricsRegistry, CallbackIsReadAtRender) {
  MetricsRegistry registry;
  double value = 1;
  registry.AddCounter("c_total", "C.").SetCallback({}, [&value] { return value; });
  value = 42;

  EXPECT_THAT(registry.RenderText(), HasSubstr("c_total 42\n"));
}

TEST(MetricsRegistry, WrongLabelCountIsPadded) {
  MetricsRegistry registry;
  registry.AddCounter("c_total", "C.", {"a", "b"}).CounterWithLabels({"x"}).Increment();

  EXPECT_THAT(registry.RenderText(), HasSubstr("c_total{a=\"x\",b=\"\"} 1\n"));
}

TEST(MetricsRegistry, SameNameReturnsSameFamily) {
  MetricsRegistry registry;
  MetricFamily& first = registry.AddCounter("c_total", "C.");
  MetricFamily& second = registry.AddCounter("c_total", "C.");

  EXPECT_EQ(&first, &second);
}

TEST(MetricsRegistry, LargeValuesKeepAllDigits) {
  MetricsRegistry registry;
  registry.AddGauge("ts_seconds", "T.").GaugeWithLabels({}).Set(1764888000.25);

  EXPECT_THAT(registry.RenderText(), HasSubstr("ts_seconds 1764888000.25\n"));
}

TEST(EndpointLabel, HasNoCredentials) {
  BrokerEndpoint endpoint;
  endpoint.protocol = BrokerProtocol::kHttp;
  endpoint.tls = true;
  endpoint.host = "rabbit";
  endpoint.port = 15671;
  endpoint.username = "scaler";
  endpoint.password = "hunter2";
  endpoint.path_prefix = "/rmq";
  endpoint.vhost = "/";

  EXPECT_EQ(EndpointLabel(endpoint), "https://rabbit:15671/rmq/%2F");
}

// Returns fixed stats or a fixed error.
class FixedSource : public QueueStatsSource {
 public:
  absl::StatusOr<QueueStats> Read(const QueueQuery&, absl::Time) override {
    if (!error.ok()) return error;
    return QueueStats();
  }
  absl::Status error;
};

TEST(InstrumentedStatsSource, CountsQueriesErrorsAndLastSuccess) {
  auto metrics = std::make_shared<ScalerMetrics>();
  auto fixed = std::make_shared<FixedSource>();
  absl::Time now = absl::FromUnixSeconds(1700000000);
  InstrumentedStatsSource source(fixed, metrics, [&now] { return now; });
  QueueQuery query;
  query.endpoint.host = "h";
  query.endpoint.port = 5672;
  query.endpoint.vhost = "/";

  ASSERT_THAT(source.Read(query, absl::InfiniteFuture()), IsOk());
  fixed->error = absl::UnavailableError("down");
  ASSERT_THAT(source.Read(query, absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kUnavailable));

  absl::StatusOr<PrometheusText> parsed = ParsePrometheusText(metrics->registry.RenderText());
  ASSERT_THAT(parsed, IsOk());
  const std::map<std::string, std::string> labels = {{"endpoint", "amqp://h:5672/%2F"},
                                                     {"protocol", "amqp"}};
  ASSERT_EQ(parsed->Find("rabbitmq_scaler_broker_queries_total", labels).size(), 1u);
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_broker_queries_total", labels)[0].value, 2);
  auto errors = parsed->Find("rabbitmq_scaler_broker_errors_total", {{"code", "UNAVAILABLE"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value, 1);
  auto last = parsed->Find("rabbitmq_scaler_broker_last_success_timestamp_seconds", labels);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].value, 1700000000);
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_broker_query_duration_seconds_count").size(), 1u);
}

TEST(ScalerMetrics, CacheCountersAreBound) {
  auto metrics = std::make_shared<ScalerMetrics>();
  auto cache = std::make_shared<QueueStatsCache>(std::make_shared<FixedSource>());
  BindCacheMetrics(cache, *metrics);
  QueueQuery query;
  ASSERT_THAT(cache->Read(query, absl::InfiniteFuture()), IsOk());
  ASSERT_THAT(cache->Read(query, absl::InfiniteFuture()), IsOk());

  absl::StatusOr<PrometheusText> parsed = ParsePrometheusText(metrics->registry.RenderText());

  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->Find("rabbitmq_scaler_cache_misses_total").size(), 1u);
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_cache_misses_total")[0].value, 1);
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_cache_hits_total")[0].value, 1);
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_cache_coalesced_waits_total")[0].value, 0);
}

TEST(MetricsHttpServer, ServesMetricsText) {
  auto metrics = std::make_shared<ScalerMetrics>();
  metrics->grpc_requests.CounterWithLabels({"/m", "OK"}).Increment();
  MetricsHttpServer server(metrics);
  absl::StatusOr<int> port = server.Start("127.0.0.1:0");
  ASSERT_THAT(port, IsOk());

  httplib::Client client("127.0.0.1", *port);
  httplib::Result result = client.Get("/metrics");

  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), kPrometheusTextContentType);
  absl::StatusOr<PrometheusText> parsed = ParsePrometheusText(result->body);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->Find("rabbitmq_scaler_grpc_requests_total", {{"method", "/m"}}).size(), 1u);
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(MetricsHttpServer, RejectsInvalidAddresses) {
  MetricsHttpServer server(std::make_shared<ScalerMetrics>());

  EXPECT_THAT(server.Start("9091"), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("--metrics-listen")));
  EXPECT_THAT(server.Start(":9091"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server.Start("127.0.0.1:99999"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MetricsHttpServer, PortInUseIsUnavailable) {
  MetricsHttpServer first(std::make_shared<ScalerMetrics>());
  absl::StatusOr<int> port = first.Start("127.0.0.1:0");
  ASSERT_THAT(port, IsOk());
  MetricsHttpServer second(std::make_shared<ScalerMetrics>());

  EXPECT_THAT(second.Start(absl::StrCat("127.0.0.1:", *port)),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace krs::scaler
