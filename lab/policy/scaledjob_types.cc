#include "lab/policy/scaledjob_types.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::lab {

absl::StatusOr<ScaledJobStrategy> ParseScaledJobStrategy(absl::string_view text) {
  for (ScaledJobStrategy strategy : {ScaledJobStrategy::kDefault, ScaledJobStrategy::kCustom,
                                     ScaledJobStrategy::kAccurate, ScaledJobStrategy::kEager}) {
    if (text == ScaledJobStrategyName(strategy)) return strategy;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid scaling strategy \"", text, "\": allowed are default, custom, accurate, eager"));
}

absl::StatusOr<MultipleScalersCalculation> ParseMultipleScalersCalculation(
    absl::string_view text) {
  for (MultipleScalersCalculation calculation :
       {MultipleScalersCalculation::kMax, MultipleScalersCalculation::kMin,
        MultipleScalersCalculation::kAvg, MultipleScalersCalculation::kSum}) {
    if (text == MultipleScalersCalculationName(calculation)) return calculation;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid multipleScalersCalculation \"", text, "\": allowed are max, min, avg, sum"));
}

absl::string_view ScaledJobStrategyName(ScaledJobStrategy strategy) {
  switch (strategy) {
    case ScaledJobStrategy::kDefault:
      return "default";
    case ScaledJobStrategy::kCustom:
      return "custom";
    case ScaledJobStrategy::kAccurate:
      return "accurate";
    case ScaledJobStrategy::kEager:
      return "eager";
  }
  return "default";
}

absl::string_view MultipleScalersCalculationName(MultipleScalersCalculation calculation) {
  switch (calculation) {
    case MultipleScalersCalculation::kMax:
      return "max";
    case MultipleScalersCalculation::kMin:
      return "min";
    case MultipleScalersCalculation::kAvg:
      return "avg";
    case MultipleScalersCalculation::kSum:
      return "sum";
  }
  return "max";
}

}  // namespace krs::lab
