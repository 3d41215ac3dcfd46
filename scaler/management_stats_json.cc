#include "scaler/management_stats_json.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace krs::scaler {
namespace {

using Json = nlohmann::json;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Converts without undefined behaviour: casting a double outside the int64 range (1e300 in a
// response body) is undefined, so such values saturate. NaN cannot come from JSON but maps to 0.
int64_t SaturatingFromDouble(double value) {
  if (std::isnan(value)) return 0;
  // 2^63 is exactly representable; every double below it converts.
  if (value >= 9223372036854775808.0) return kInt64Max;
  if (value < -9223372036854775808.0) return kInt64Min;
  return static_cast<int64_t>(value);
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? kInt64Max : kInt64Min;
}

int64_t CountField(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return 0;
  if (it->is_number_float()) return SaturatingFromDouble(it->get<double>());
  if (it->is_number_unsigned()) {
    uint64_t value = it->get<uint64_t>();
    return value > static_cast<uint64_t>(kInt64Max) ? kInt64Max : static_cast<int64_t>(value);
  }
  return it->get<int64_t>();
}

// Returns message_stats.<details>.rate, or 0 when any level is missing.
double RateField(const Json& queue, const char* details) {
  auto stats = queue.find("message_stats");
  if (stats == queue.end() || !stats->is_object()) return 0;
  auto detail = stats->find(details);
  if (detail == stats->end() || !detail->is_object()) return 0;
  auto rate = detail->find("rate");
  if (rate == detail->end() || !rate->is_number()) return 0;
  return rate->get<double>();
}

QueueStats StatsFromQueueJson(const Json& queue) {
  QueueStats stats;
  stats.messages = CountField(queue, "messages");
  stats.messages_ready = CountField(queue, "messages_ready");
  stats.messages_unacknowledged = CountField(queue, "messages_unacknowledged");
  stats.consumers = CountField(queue, "consumers");
  stats.publish_rate = RateField(queue, "publish_details");
  stats.deliver_get_rate = RateField(queue, "deliver_get_details");
  stats.queues_matched = 1;
  return stats;
}

absl::StatusOr<Json> ParseObject(absl::string_view body, absl::string_view what) {
  Json json = Json::parse(body.begin(), body.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::UnavailableError(absl::StrCat("the management API returned invalid JSON for ",
                                               what));
  }
  if (!json.is_object()) {
    return absl::UnavailableError(absl::StrCat("the management API returned a JSON ",
                                               json.type_name(), " for ", what,
                                               "; expected an object"));
  }
  return json;
}

}  // namespace

absl::StatusOr<QueueStats> ParseQueueStatsJson(absl::string_view body, absl::string_view what) {
  absl::StatusOr<Json> queue = ParseObject(body, what);
  if (!queue.ok()) return queue.status();
  return StatsFromQueueJson(*queue);
}

absl::StatusOr<QueueStatsPage> ParseQueueStatsPageJson(absl::string_view body,
                                                       absl::string_view what) {
  absl::StatusOr<Json> json = ParseObject(body, what);
  if (!json.ok()) return json.status();

  auto items = json->find("items");
  if (items == json->end() || !items->is_array()) {
    return absl::UnavailableError(
        absl::StrCat("the management API response for ", what, " has no \"items\" array"));
  }
  QueueStatsPage page;
  for (const Json& item : *items) {
    if (item.is_object()) page.items.push_back(StatsFromQueueJson(item));
  }
  page.page_count = CountField(*json, "page_count");
  return page;
}

void QueueStatsCombiner::Add(const QueueStats& stats) {
  if (count_ == 0) {
    total_ = stats;
  } else if (operation_ == QueueOperation::kMax) {
    TakeMax(stats);
  } else {
    Accumulate(stats);
  }
  ++count_;
}

QueueStats QueueStatsCombiner::Result() const {
  QueueStats result = total_;
  result.queues_matched = count_;
  if (operation_ != QueueOperation::kAvg || count_ == 0) return result;

  // Like KEDA: integer division for counts, floating point for rates.
  result.messages /= count_;
  result.messages_ready /= count_;
  result.messages_unacknowledged /= count_;
  result.consumers /= count_;
  result.publish_rate /= count_;
  result.deliver_get_rate /= count_;
  return result;
}

void QueueStatsCombiner::Accumulate(const QueueStats& stats) {
  total_.messages = SaturatingAdd(total_.messages, stats.messages);
  total_.messages_ready = SaturatingAdd(total_.messages_ready, stats.messages_ready);
  total_.messages_unacknowledged =
      SaturatingAdd(total_.messages_unacknowledged, stats.messages_unacknowledged);
  total_.consumers = SaturatingAdd(total_.consumers, stats.consumers);
  total_.publish_rate += stats.publish_rate;
  total_.deliver_get_rate += stats.deliver_get_rate;
}

void QueueStatsCombiner::TakeMax(const QueueStats& stats) {
  total_.messages = std::max(total_.messages, stats.messages);
  total_.messages_ready = std::max(total_.messages_ready, stats.messages_ready);
  total_.messages_unacknowledged =
      std::max(total_.messages_unacknowledged, stats.messages_unacknowledged);
  total_.consumers = std::max(total_.consumers, stats.consumers);
  total_.publish_rate = std::max(total_.publish_rate, stats.publish_rate);
  total_.deliver_get_rate = std::max(total_.deliver_get_rate, stats.deliver_get_rate);
}

}  // namespace krs::scaler
