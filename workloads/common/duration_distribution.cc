#include "workloads/common/duration_distribution.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace krs::workloads {
namespace {

constexpr char kAcceptedForms[] =
    "fixed:S, uniform:A,B, exponential:MEAN or lognormal:MU,SIGMA (seconds)";

absl::Status InvalidSpec(absl::string_view spec, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("invalid duration distribution \"", spec,
                                                 "\": ", problem, "; expected ",
                                                 kAcceptedForms));
}

// Parses "1.5,2" into finite doubles; `expected` is the number of values required.
absl::StatusOr<std::vector<double>> ParseNumbers(absl::string_view spec,
                                                 absl::string_view text, size_t expected) {
  std::vector<double> values;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    double value = 0;
    if (!absl::SimpleAtod(part, &value) || !std::isfinite(value)) {
      return InvalidSpec(spec, absl::StrCat("\"", part, "\" is not a number"));
    }
    values.push_back(value);
  }
  if (values.size() != expected) {
    return InvalidSpec(spec, absl::StrCat("expected ", expected, " parameter(s), got ",
                                          values.size()));
  }
  return values;
}

}  // namespace

double UniformUnit(std::mt19937_64& generator) {
  return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

DurationDistribution DurationDistribution::Fixed(double seconds) {
  return DurationDistribution(Kind::kFixed, seconds, 0);
}

absl::StatusOr<DurationDistribution> DurationDistribution::Parse(absl::string_view spec) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(spec, absl::MaxSplits(':', 1));
  absl::string_view name = parts.first;
  bool two_parameters = name == "uniform" || name == "lognormal";
  if (name != "fixed" && name != "exponential" && !two_parameters) {
    return InvalidSpec(spec, absl::StrCat("unknown kind \"", name, "\""));
  }

  absl::StatusOr<std::vector<double>> values =
      ParseNumbers(spec, parts.second, two_parameters ? 2 : 1);
  if (!values.ok()) return values.status();
  const std::vector<double>& v = *values;

  if (name == "fixed") {
    if (v[0] < 0) return InvalidSpec(spec, "S must be >= 0");
    return DurationDistribution(Kind::kFixed, v[0], 0);
  }
  if (name == "uniform") {
    if (v[0] < 0 || v[1] < v[0]) return InvalidSpec(spec, "need 0 <= A <= B");
    return DurationDistribution(Kind::kUniform, v[0], v[1]);
  }
  if (name == "exponential") {
    if (v[0] <= 0) return InvalidSpec(spec, "MEAN must be > 0");
    return DurationDistribution(Kind::kExponential, v[0], 0);
  }
  if (v[1] < 0) return InvalidSpec(spec, "SIGMA must be >= 0");
  return DurationDistribution(Kind::kLognormal, v[0], v[1]);
}

double DurationDistribution::Sample(std::mt19937_64& generator) const {
  switch (kind_) {
    case Kind::kFixed:
      return first_;
    case Kind::kUniform:
      return first_ + (second_ - first_) * UniformUnit(generator);
    case Kind::kExponential:
      // Inverse CDF; 1 - u is in (0, 1], so the logarithm is finite.
      return -first_ * std::log(1.0 - UniformUnit(generator));
    case Kind::kLognormal: {
      // Box-Muller with two draws per sample; the second normal value is discarded so each
      // sample consumes a fixed number of generator outputs.
      double u1 = 1.0 - UniformUnit(generator);
      double u2 = UniformUnit(generator);
      double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      return std::exp(first_ + second_ * normal);
    }
  }
  return first_;
}

std::string DurationDistribution::ToString() const {
  switch (kind_) {
    case Kind::kFixed:
      return absl::StrCat("fixed:", first_);
    case Kind::kUniform:
      return absl::StrCat("uniform:", first_, ",", second_);
    case Kind::kExponential:
      return absl::StrCat("exponential:", first_);
    case Kind::kLognormal:
      return absl::StrCat("lognormal:", first_, ",", second_);
  }
  return "";
}

}  // namespace krs::workloads
