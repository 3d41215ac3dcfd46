// ArrivalSchedule: when the producer publishes each message, parsed from a flag such as
// "burst", "rate:5" or "waves:10,30". Offsets are in schedule seconds after the start; the
// producer multiplies them by its --time-scale to get real seconds.
#ifndef KRS_WORKLOADS_COMMON_ARRIVAL_SCHEDULE_H_
#define KRS_WORKLOADS_COMMON_ARRIVAL_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::workloads {

class ArrivalSchedule {
 public:
  enum class Kind { kBurst, kRate, kWaves };

  // Parses a spec:
  //   burst          every message at offset 0
  //   rate:R         R messages per second at a constant pace (R > 0): message i at i / R
  //   waves:N,T      N messages at once every T seconds (N >= 1, T >= 0): message i at
  //                  floor(i / N) * T
  // Returns INVALID_ARGUMENT naming the spec and the accepted forms.
  static absl::StatusOr<ArrivalSchedule> Parse(absl::string_view spec);

  // Returns the offset in schedule seconds of message `index` (counted from 0).
  double OffsetSeconds(int64_t index) const;

  std::string ToString() const;
  Kind kind() const { return kind_; }

 private:
  ArrivalSchedule(Kind kind, double rate, int64_t wave_size, double wave_interval)
      : kind_(kind), rate_(rate), wave_size_(wave_size), wave_interval_(wave_interval) {}

  Kind kind_;
  double rate_;            // messages per second, kRate only
  int64_t wave_size_;      // messages per wave, kWaves only
  double wave_interval_;   // seconds between waves, kWaves only
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_ARRIVAL_SCHEDULE_H_
