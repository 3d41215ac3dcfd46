// An ordered record of every intermediate value of a policy computation, printed by
// `scalein-lab explain` and attached to control-plane decisions.
#ifndef KRS_LAB_POLICY_TRACE_H_
#define KRS_LAB_POLICY_TRACE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace krs::lab {

// One step: `name` = `value`, with the formula or rule that produced it in `detail`. `number`
// is set when the value is numeric, so JSON output keeps it a number.
struct TraceEntry {
  std::string name;
  std::string value;
  std::string detail;
  std::optional<double> number;
};

class Trace {
 public:
  void Add(absl::string_view name, double value, absl::string_view detail = "");
  void AddText(absl::string_view name, absl::string_view value, absl::string_view detail = "");
  void AddBool(absl::string_view name, bool value, absl::string_view detail = "");

  const std::vector<TraceEntry>& entries() const { return entries_; }
  // The value of the last entry named `name`, if any.
  const TraceEntry* Find(absl::string_view name) const;

 private:
  std::vector<TraceEntry> entries_;
};

// Formats a number the way traces print it: integers without a fraction, others with up to
// six significant decimals.
std::string FormatTraceNumber(double value);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_TRACE_H_
