// MetricsRegistry: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format 0.0.4 for the scaler's /metrics endpoint.
//
// Families are registered once at startup; children (one per label value combination) are
// created on first use and live as long as the registry, so callers may keep the references
// that WithLabels() returns. Every method is thread-safe.
#ifndef KRS_SCALER_METRICS_REGISTRY_H_
#define KRS_SCALER_METRICS_REGISTRY_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"

#include "common/mutex.h"

namespace krs::scaler {

using LabelValues = std::vector<std::string>;

// A value that only goes up.
class Counter {
 public:
  // Adds `amount`; negative amounts are ignored, as a counter must not decrease.
  void Increment(double amount = 1);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value); }
  void Add(double amount);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into cumulative buckets, with their sum and count.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* upper_bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative_counts;  // one per upper bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* const upper_bounds_;
  mutable Mutex mutex_;
  std::vector<uint64_t> bucket_counts_ ABSL_GUARDED_BY(mutex_);  // not cumulative; last is +Inf
  double sum_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mutex_) = 0;
};

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its help text, label names and children.
class MetricFamily {
 public:
  MetricFamily(MetricType type, std::string name, std::string help,
               std::vector<std::string> label_names, std::vector<double> upper_bounds = {});

  // Returns the child for `values`, given in the order of the label names. A list of the
  // wrong length is padded with "" or cut, so a caller's mistake shows in the output instead
  // of crashing the scaler. The type must match the family's.
  Counter& CounterWithLabels(const LabelValues& values);
  Gauge& GaugeWithLabels(const LabelValues& values);
  Histogram& HistogramWithLabels(const LabelValues& values);

  // Reads the child's value from `read` at every scrape instead of storing it, for numbers
  // another object already counts (cache counters, open connections). Counter and gauge
  // families only; a later call for the same labels replaces the function.
  void SetCallback(const LabelValues& values, std::function<double()> read);

  // Appends the family in the text format: # HELP, # TYPE, then one line per child (a
  // histogram has _bucket, _sum and _count lines). A family without children writes only the
  // two comment lines.
  void Render(std::string* out) const;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }

 private:
  struct Child {
    explicit Child(const std::vector<double>* upper_bounds) : histogram(upper_bounds) {}
    Counter counter;
    Gauge gauge;
    Histogram histogram;
    std::function<double()> read;  // set by SetCallback
  };

  Child& ChildFor(const LabelValues& values);
  std::string LabelText(const LabelValues& values, const std::string& extra_name = "",
                        const std::string& extra_value = "") const;

  const MetricType type_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> upper_bounds_;

  mutable Mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Child>> children_ ABSL_GUARDED_BY(mutex_);
};

// Default histogram buckets for request latencies, in seconds.
std::vector<double> DefaultLatencyBuckets();

class MetricsRegistry {
 public:
  // Register a family. Names follow Prometheus rules ([a-zA-Z_:][a-zA-Z0-9_:]*); registering
  // an existing name returns the existing family. The returned reference lives as long as the
  // registry.
  MetricFamily& AddCounter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  MetricFamily& AddGauge(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  MetricFamily& AddHistogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names,
                             std::vector<double> upper_bounds = DefaultLatencyBuckets());

  // Returns every family in registration order, in the text exposition format 0.0.4.
  std::string RenderText() const;

 private:
  MetricFamily& Add(MetricType type, const std::string& name, const std::string& help,
                    std::vector<std::string> label_names, std::vector<double> upper_bounds);

  mutable Mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_ ABSL_GUARDED_BY(mutex_);
};

// The content type of RenderText()'s output.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace krs::scaler

#endif  // KRS_SCALER_METRICS_REGISTRY_H_
