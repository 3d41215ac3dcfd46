// A parser of the Prometheus text exposition format 0.0.4, for tests of /metrics output.
#ifndef KRS_TESTS_TESTING_PROMETHEUS_TEXT_H_
#define KRS_TESTS_TESTING_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::testing {

struct PrometheusSample {
  std::string name;                           // e.g. foo_bucket
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct PrometheusText {
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram
  std::map<std::string, std::string> help;   // family name -> help text
  std::vector<PrometheusSample> samples;

  // Samples named `name` whose labels include every pair of `labels`.
  std::vector<PrometheusSample> Find(const std::string& name,
                                     const std::map<std::string, std::string>& labels = {}) const;
};

// Parses `text` strictly: INVALID_ARGUMENT with the line number for a malformed line, a sample
// of a family without # TYPE, or a TYPE other than counter, gauge, histogram, summary, untyped.
absl::StatusOr<PrometheusText> ParsePrometheusText(absl::string_view text);

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_PROMETHEUS_TEXT_H_
