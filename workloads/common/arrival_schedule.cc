#include "workloads/common/arrival_schedule.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace krs::workloads {
namespace {

absl::Status InvalidSpec(absl::string_view spec, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid arrival schedule \"", spec, "\": ", problem,
                   "; expected burst, rate:MESSAGES_PER_SECOND or waves:COUNT,INTERVAL_SECONDS"));
}

}  // namespace

absl::StatusOr<ArrivalSchedule> ArrivalSchedule::Parse(absl::string_view spec) {
  if (spec == "burst") return ArrivalSchedule(Kind::kBurst, 0, 0, 0);

  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(spec, absl::MaxSplits(':', 1));
  if (parts.first == "rate") {
    double rate = 0;
    if (!absl::SimpleAtod(parts.second, &rate) || !std::isfinite(rate) || rate <= 0) {
      return InvalidSpec(spec, "the rate must be a number > 0");
    }
    return ArrivalSchedule(Kind::kRate, rate, 0, 0);
  }
  if (parts.first == "waves") {
    std::vector<absl::string_view> values = absl::StrSplit(parts.second, ',');
    int64_t size = 0;
    double interval = 0;
    if (values.size() != 2 || !absl::SimpleAtoi(values[0], &size) || size < 1 ||
        !absl::SimpleAtod(values[1], &interval) || !std::isfinite(interval) || interval < 0) {
      return InvalidSpec(spec, "need an integer COUNT >= 1 and INTERVAL_SECONDS >= 0");
    }
    return ArrivalSchedule(Kind::kWaves, 0, size, interval);
  }
  return InvalidSpec(spec, absl::StrCat("unknown kind \"", parts.first, "\""));
}

double ArrivalSchedule::OffsetSeconds(int64_t index) const {
  switch (kind_) {
    case Kind::kBurst:
      return 0;
    case Kind::kRate:
      return static_cast<double>(index) / rate_;
    case Kind::kWaves:
      return static_cast<double>(index / wave_size_) * wave_interval_;
  }
  return 0;
}

std::string ArrivalSchedule::ToString() const {
  switch (kind_) {
    case Kind::kBurst:
      return "burst";
    case Kind::kRate:
      return absl::StrCat("rate:", rate_);
    case Kind::kWaves:
      return absl::StrCat("waves:", wave_size_, ",", wave_interval_);
  }
  return "";
}

}  // namespace krs::workloads
