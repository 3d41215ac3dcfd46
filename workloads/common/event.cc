#include "workloads/common/event.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace krs::workloads {
namespace {

constexpr std::array<std::pair<EventType, absl::string_view>, 8> kEventTypeNames = {{
    {EventType::kPublished, "published"},
    {EventType::kReceived, "received"},
    {EventType::kCompleted, "completed"},
    {EventType::kInterrupted, "interrupted"},
    {EventType::kRejected, "rejected"},
    {EventType::kIdle, "idle"},
    {EventType::kAckFailed, "ack_failed"},
    {EventType::kKilled, "killed"},
}};

bool RequiresScenario(EventType type) { return type != EventType::kKilled; }

bool RequiresMessageId(EventType type) {
  return type != EventType::kIdle && type != EventType::kKilled;
}

bool RequiresConsumerId(EventType type) { return type != EventType::kPublished; }

// Copies the string field `key` into `out`. A missing field is left empty; `required` turns
// that into an error.
absl::Status ReadString(const nlohmann::json& json, const char* key, bool required,
                        std::string& out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("missing field \"", key, "\""));
    return absl::OkStatus();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\" must be a string"));
  }
  out = it->get<std::string>();
  if (required && out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\" must not be empty"));
  }
  return absl::OkStatus();
}

absl::Status ReadNumber(const nlohmann::json& json, const char* key, bool required,
                        double& out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("missing field \"", key, "\""));
    return absl::OkStatus();
  }
  if (!it->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\" must be a number"));
  }
  out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadOptionalFields(const nlohmann::json& json, Event& event) {
  auto tag = json.find("delivery_tag");
  if (tag != json.end() && !tag->is_null()) {
    if (!tag->is_number_integer()) {
      return absl::InvalidArgumentError("field \"delivery_tag\" must be an integer");
    }
    event.delivery_tag = tag->get<int64_t>();
  }
  auto redelivered = json.find("redelivered");
  if (redelivered != json.end() && !redelivered->is_null()) {
    if (!redelivered->is_boolean()) {
      return absl::InvalidArgumentError("field \"redelivered\" must be true or false");
    }
    event.redelivered = redelivered->get<bool>();
  }
  absl::Status status = ReadNumber(json, "work_seconds", false, event.work_seconds);
  if (!status.ok()) return status;
  status = ReadNumber(json, "received_at", false, event.received_at);
  if (!status.ok()) return status;
  status = ReadString(json, "event_id", false, event.event_id);
  if (!status.ok()) return status;
  return ReadString(json, "reason", false, event.reason);
}

}  // namespace

absl::string_view EventTypeName(EventType type) {
  for (const auto& [value, name] : kEventTypeNames) {
    if (value == type) return name;
  }
  return "unknown";
}

absl::StatusOr<EventType> ParseEventType(absl::string_view name) {
  for (const auto& [value, type_name] : kEventTypeNames) {
    if (type_name == name) return value;
  }
  std::vector<absl::string_view> names;
  for (const auto& entry : kEventTypeNames) names.push_back(entry.second);
  return absl::InvalidArgumentError(absl::StrCat("unknown event type \"", name,
                                                 "\"; allowed: ", absl::StrJoin(names, ", ")));
}

nlohmann::json EventToJson(const Event& event) {
  nlohmann::json json = {{"type", std::string(EventTypeName(event.type))}, {"time", event.time}};
  if (!event.scenario.empty()) json["scenario"] = event.scenario;
  if (!event.message_id.empty()) json["message_id"] = event.message_id;
  if (!event.consumer_id.empty()) json["consumer_id"] = event.consumer_id;
  if (!event.event_id.empty()) json["event_id"] = event.event_id;
  if (!event.reason.empty()) json["reason"] = event.reason;
  if (event.delivery_tag != 0) json["delivery_tag"] = event.delivery_tag;
  json["redelivered"] = event.redelivered;
  json["work_seconds"] = event.work_seconds;
  if (event.received_at != 0) json["received_at"] = event.received_at;
  return json;
}

absl::StatusOr<Event> EventFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("an event must be a JSON object");

  Event event;
  std::string type_name;
  absl::Status status = ReadString(json, "type", true, type_name);
  if (!status.ok()) return status;
  absl::StatusOr<EventType> type = ParseEventType(type_name);
  if (!type.ok()) return type.status();
  event.type = *type;

  status = ReadString(json, "scenario", RequiresScenario(event.type), event.scenario);
  if (!status.ok()) return status;
  status = ReadString(json, "message_id", RequiresMessageId(event.type), event.message_id);
  if (!status.ok()) return status;
  status = ReadString(json, "consumer_id", RequiresConsumerId(event.type), event.consumer_id);
  if (!status.ok()) return status;
  status = ReadNumber(json, "time", true, event.time);
  if (!status.ok()) return status;

  status = ReadOptionalFields(json, event);
  if (!status.ok()) return status;
  return event;
}

double UnixNowSeconds() { return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()); }

}  // namespace krs::workloads
