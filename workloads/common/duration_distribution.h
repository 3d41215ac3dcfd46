// DurationDistribution: how long each job takes, in work seconds, parsed from a flag such as
// "fixed:2", "uniform:1,5", "exponential:3" or "lognormal:0.5,0.8".
//
// Samples come from a caller-owned std::mt19937_64, so a fixed seed gives the same sequence on
// every run. The transforms from the generator's 64-bit outputs are written out here (not
// std::*_distribution, whose algorithms differ between standard libraries), so the sequence
// is also the same across compilers.
#ifndef KRS_WORKLOADS_COMMON_DURATION_DISTRIBUTION_H_
#define KRS_WORKLOADS_COMMON_DURATION_DISTRIBUTION_H_

#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::workloads {

class DurationDistribution {
 public:
  enum class Kind { kFixed, kUniform, kExponential, kLognormal };

  // Parses a spec:
  //   fixed:S            always S seconds (S >= 0)
  //   uniform:A,B        uniform in [A, B) seconds (0 <= A <= B)
  //   exponential:M      exponential with mean M seconds (M > 0)
  //   lognormal:MU,SIGMA exp(N(MU, SIGMA^2)) seconds; MU and SIGMA are in ln-seconds (SIGMA >= 0)
  // Returns INVALID_ARGUMENT naming the spec and the accepted forms.
  static absl::StatusOr<DurationDistribution> Parse(absl::string_view spec);

  static DurationDistribution Fixed(double seconds);

  // Draws one duration in work seconds (always >= 0).
  double Sample(std::mt19937_64& generator) const;

  // Returns the spec in the form Parse() reads.
  std::string ToString() const;

  Kind kind() const { return kind_; }
  double first() const { return first_; }
  double second() const { return second_; }

 private:
  DurationDistribution(Kind kind, double first, double second)
      : kind_(kind), first_(first), second_(second) {}

  Kind kind_;
  double first_;   // S, A, M or MU
  double second_;  // B or SIGMA; 0 for the one-parameter kinds
};

// Returns a uniform double in [0, 1) built from the top 53 bits of one generator output.
double UniformUnit(std::mt19937_64& generator);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_DURATION_DISTRIBUTION_H_
