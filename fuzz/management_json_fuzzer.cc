// Fuzzes the management API JSON readers: the input is a response body, read as one queue and
// as one page of a regex listing, whose items are then combined with every operation.
//
// Property checked besides the sanitizers: a combined result reports as many matched queues as
// the page had items.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "scaler/management_stats_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view body(reinterpret_cast<const char*>(data), size);

  (void)krs::scaler::ParseQueueStatsJson(body, "/api/queues/%2F/fuzz");

  absl::StatusOr<krs::scaler::QueueStatsPage> page =
      krs::scaler::ParseQueueStatsPageJson(body, "/api/queues/%2F?page=1");
  if (!page.ok()) return 0;

  for (krs::scaler::QueueOperation operation :
       {krs::scaler::QueueOperation::kSum, krs::scaler::QueueOperation::kAvg,
        krs::scaler::QueueOperation::kMax}) {
    krs::scaler::QueueStatsCombiner combiner(operation);
    for (const krs::scaler::QueueStats& item : page->items) combiner.Add(item);
    krs::scaler::QueueStats result = combiner.Result();
    if (static_cast<size_t>(result.queues_matched) != page->items.size()) std::abort();
  }
  return 0;
}
