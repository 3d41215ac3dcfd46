#include "scaler/queue_stats.h"

#include "absl/strings/str_cat.h"
#include "common/url.h"

namespace krs::scaler {
namespace {

absl::string_view OperationName(QueueOperation operation) {
  switch (operation) {
    case QueueOperation::kSum:
      return "sum";
    case QueueOperation::kAvg:
      return "avg";
    case QueueOperation::kMax:
      return "max";
  }
  return "sum";
}

}  // namespace

std::string QueueQuery::CacheKey() const {
  // The queue name is percent-encoded, so the '|' separators cannot be forged by a name.
  std::string key = absl::StrCat(endpoint.CacheKey(), "|queue=", PercentEncodeQueryValue(queue_name));
  if (!use_regex) return key;
  return absl::StrCat(key, "|regex|", OperationName(operation), "|page_size=", page_size);
}

}  // namespace krs::scaler
