#include "workloads/common/message_body.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace krs::workloads {
namespace {

absl::Status RequireField(const nlohmann::json& json, const char* key, bool is_string) {
  auto it = json.find(key);
  if (it == json.end()) {
    return absl::InvalidArgumentError(absl::StrCat("message body: missing field \"", key, "\""));
  }
  bool ok = is_string ? it->is_string() : it->is_number();
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("message body: field \"", key,
                                                   "\" must be a ",
                                                   is_string ? "string" : "number"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string SerializeMessageBody(const MessageBody& body) {
  nlohmann::json json = {{"id", body.id},
                         {"scenario", body.scenario},
                         {"work_seconds", body.work_seconds},
                         {"published_at", body.published_at}};
  return json.dump();
}

absl::StatusOr<MessageBody> ParseMessageBody(absl::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("message body: not valid JSON");
  if (!json.is_object()) return absl::InvalidArgumentError("message body: not a JSON object");

  for (const char* key : {"id", "scenario"}) {
    absl::Status status = RequireField(json, key, /*is_string=*/true);
    if (!status.ok()) return status;
  }
  for (const char* key : {"work_seconds", "published_at"}) {
    absl::Status status = RequireField(json, key, /*is_string=*/false);
    if (!status.ok()) return status;
  }

  MessageBody body;
  body.id = json["id"].get<std::string>();
  body.scenario = json["scenario"].get<std::string>();
  body.work_seconds = json["work_seconds"].get<double>();
  body.published_at = json["published_at"].get<double>();
  if (body.id.empty()) return absl::InvalidArgumentError("message body: field \"id\" is empty");
  if (!std::isfinite(body.work_seconds) || body.work_seconds < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message body: field \"work_seconds\" must be a finite number >= 0, got ",
        body.work_seconds));
  }
  return body;
}

std::string MessageId(absl::string_view scenario, int64_t sequence) {
  return absl::StrCat(scenario, "-", sequence);
}

}  // namespace krs::workloads
