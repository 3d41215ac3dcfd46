#include "scaler/metrics_registry.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace krs::scaler {
namespace {

// Formats a sample value as the text format expects: +Inf, -Inf, NaN, or a float that
// round-trips (timestamps in seconds need more than the 6 digits of absl::StrCat).
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return absl::StrFormat("%.17g", value);
}

std::string EscapeLabelValue(const std::string& value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

std::string EscapeHelp(const std::string& help) {
  return absl::StrReplaceAll(help, {{"\\", "\\\\"}, {"\n", "\\n"}});
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load();
  while (!target.compare_exchange_weak(current, current + amount)) {
  }
}

}  // namespace

void Counter::Increment(double amount) {
  if (!(amount > 0)) return;
  AtomicAdd(value_, amount);
}

void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(const std::vector<double>* upper_bounds)
    : upper_bounds_(upper_bounds), bucket_counts_(upper_bounds->size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t bucket = std::lower_bound(upper_bounds_->begin(), upper_bounds_->end(), value) -
                  upper_bounds_->begin();
  MutexLock lock(&mutex_);
  ++bucket_counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::Read() const {
  MutexLock lock(&mutex_);
  Snapshot snapshot;
  uint64_t running = 0;
  for (uint64_t count : bucket_counts_) {
    running += count;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

MetricFamily::MetricFamily(MetricType type, std::string name, std::string help,
                           std::vector<std::string> label_names,
                           std::vector<double> upper_bounds)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      upper_bounds_([&upper_bounds] {
        std::sort(upper_bounds.begin(), upper_bounds.end());
        upper_bounds.erase(std::unique(upper_bounds.begin(), upper_bounds.end()),
                           upper_bounds.end());
        return std::move(upper_bounds);
      }()) {}

MetricFamily::Child& MetricFamily::ChildFor(const LabelValues& values) {
  LabelValues key = values;
  key.resize(label_names_.size());

  MutexLock lock(&mutex_);
  std::unique_ptr<Child>& child = children_[key];
  if (child == nullptr) child = std::make_unique<Child>(&upper_bounds_);
  return *child;
}

Counter& MetricFamily::CounterWithLabels(const LabelValues& values) {
  return ChildFor(values).counter;
}

Gauge& MetricFamily::GaugeWithLabels(const LabelValues& values) { return ChildFor(values).gauge; }

Histogram& MetricFamily::HistogramWithLabels(const LabelValues& values) {
  return ChildFor(values).histogram;
}

void MetricFamily::SetCallback(const LabelValues& values, std::function<double()> read) {
  Child& child = ChildFor(values);
  MutexLock lock(&mutex_);
  child.read = std::move(read);
}

std::string MetricFamily::LabelText(const LabelValues& values, const std::string& extra_name,
                                    const std::string& extra_value) const {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < label_names_.size(); ++i) {
    pairs.push_back(absl::StrCat(label_names_[i], "=\"", EscapeLabelValue(values[i]), "\""));
  }
  if (!extra_name.empty()) {
    pairs.push_back(absl::StrCat(extra_name, "=\"", EscapeLabelValue(extra_value), "\""));
  }
  if (pairs.empty()) return "";
  std::string text = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) text.push_back(',');
    text.append(pairs[i]);
  }
  text.push_back('}');
  return text;
}

void MetricFamily::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", EscapeHelp(help_), "\n");
  absl::StrAppend(out, "# TYPE ", name_, " ", TypeName(type_), "\n");

  MutexLock lock(&mutex_);
  for (const auto& [values, child] : children_) {
    if (type_ != MetricType::kHistogram) {
      double value = child->read != nullptr            ? child->read()
                     : type_ == MetricType::kCounter ? child->counter.value()
                                                     : child->gauge.value();
      absl::StrAppend(out, name_, LabelText(values), " ", FormatValue(value), "\n");
      continue;
    }

    Histogram::Snapshot snapshot = child->histogram.Read();
    for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
      std::string bound = i < upper_bounds_.size() ? FormatValue(upper_bounds_[i]) : "+Inf";
      absl::StrAppend(out, name_, "_bucket", LabelText(values, "le", bound), " ",
                      snapshot.cumulative_counts[i], "\n");
    }
    absl::StrAppend(out, name_, "_sum", LabelText(values), " ", FormatValue(snapshot.sum), "\n");
    absl::StrAppend(out, name_, "_count", LabelText(values), " ", snapshot.count, "\n");
  }
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricFamily& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names) {
  return Add(MetricType::kCounter, name, help, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  return Add(MetricType::kGauge, name, help, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> upper_bounds) {
  return Add(MetricType::kHistogram, name, help, std::move(label_names),
             std::move(upper_bounds));
}

MetricFamily& MetricsRegistry::Add(MetricType type, const std::string& name,
                                   const std::string& help, std::vector<std::string> label_names,
                                   std::vector<double> upper_bounds) {
  MutexLock lock(&mutex_);
  for (const std::unique_ptr<MetricFamily>& family : families_) {
    if (family->name() == name) return *family;
  }
  families_.push_back(std::make_unique<MetricFamily>(type, name, help, std::move(label_names),
                                                     std::move(upper_bounds)));
  return *families_.back();
}

std::string MetricsRegistry::RenderText() const {
  std::string out;
  MutexLock lock(&mutex_);
  for (const std::unique_ptr<MetricFamily>& family : families_) family->Render(&out);
  return out;
}

}  // namespace krs::scaler
