#include "scaler/broker_profiles.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/url.h"

namespace krs::scaler {
namespace {

constexpr absl::string_view kProfileKeys = "name, url, username, username_file, password_file, tls";
constexpr absl::string_view kTlsKeys = "ca_file, cert_file, key_file, unsafe_ssl";

// Builds errors that name the config file and the profile.
class ErrorContext {
 public:
  explicit ErrorContext(const std::string& config_file) : config_file_(config_file) {}

  void set_profile(std::string profile) { profile_ = std::move(profile); }

  absl::Status Invalid(absl::string_view what) const {
    std::string where = profile_.empty() ? "" : absl::StrCat(", broker \"", profile_, "\"");
    return absl::InvalidArgumentError(
        absl::StrCat("invalid broker config \"", config_file_, "\"", where, ": ", what));
  }

 private:
  std::string config_file_;
  std::string profile_;
};

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolvePath(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return absl::StrCat(Directory(config_file), "/", path);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError("cannot be read");
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) return absl::UnavailableError("reading failed");
  return contents.str();
}

// Reads a user name or password file, without one trailing newline.
absl::StatusOr<std::string> ReadSecretFile(const ErrorContext& context, absl::string_view key,
                                           const std::string& path) {
  absl::StatusOr<std::string> contents = ReadWholeFile(path);
  if (!contents.ok()) {
    return context.Invalid(
        absl::StrCat(key, " \"", path, "\" ", contents.status().message()));
  }
  std::string value = *std::move(contents);
  if (absl::EndsWith(value, "\r\n")) {
    value.resize(value.size() - 2);
  } else if (absl::EndsWith(value, "\n")) {
    value.pop_back();
  }
  if (value.empty()) return context.Invalid(absl::StrCat(key, " \"", path, "\" is empty"));
  return value;
}

absl::StatusOr<std::string> ScalarString(const ErrorContext& context, const YAML::Node& node,
                                         absl::string_view key) {
  if (!node.IsScalar()) return context.Invalid(absl::StrCat("\"", key, "\" must be a string"));
  return node.as<std::string>();
}

absl::Status CheckKeys(const ErrorContext& context, const YAML::Node& map,
                       absl::string_view section, absl::string_view allowed) {
  std::set<std::string> known = absl::StrSplit(allowed, ", ");
  for (const auto& entry : map) {
    std::string key = entry.first.as<std::string>();
    if (known.count(key) == 0) {
      return context.Invalid(absl::StrCat("unknown key \"", key, "\" in ", section,
                                          "; allowed: ", allowed));
    }
  }
  return absl::OkStatus();
}

bool IsValidProfileName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Reads the `tls` map into endpoint->tls_options and lists the files it names.
absl::Status ParseTls(const ErrorContext& context, const std::string& config_file,
                      const YAML::Node& tls, BrokerEndpoint* endpoint,
                      std::vector<std::string>* files) {
  if (!tls.IsMap()) return context.Invalid("\"tls\" must be a map");
  if (absl::Status status = CheckKeys(context, tls, "tls", kTlsKeys); !status.ok()) return status;
  if (!endpoint->tls) {
    return context.Invalid(absl::StrCat("\"tls\" is set but url \"", endpoint->Redacted(),
                                        "\" does not use TLS; use amqps:// or https://"));
  }

  BrokerTlsOptions& options = endpoint->tls_options;
  std::pair<const char*, std::string*> file_keys[] = {{"ca_file", &options.ca_file},
                                                      {"cert_file", &options.cert_file},
                                                      {"key_file", &options.key_file}};
  for (auto& [key, target] : file_keys) {
    if (!tls[key]) continue;
    absl::StatusOr<std::string> path = ScalarString(context, tls[key], key);
    if (!path.ok()) return path.status();
    *target = ResolvePath(config_file, *path);
    if (!ReadWholeFile(*target).ok()) {
      return context.Invalid(absl::StrCat("tls.", key, " \"", *target, "\" cannot be read"));
    }
    files->push_back(*target);
  }
  if (tls["unsafe_ssl"]) {
    if (!tls["unsafe_ssl"].IsScalar()) return context.Invalid("tls.unsafe_ssl must be true or false");
    bool unsafe = false;
    if (!YAML::convert<bool>::decode(tls["unsafe_ssl"], unsafe)) {
      return context.Invalid(absl::StrCat("tls.unsafe_ssl has value \"",
                                          tls["unsafe_ssl"].as<std::string>(),
                                          "\"; allowed: true, false"));
    }
    options.verify_peer = !unsafe;
    options.verify_hostname = !unsafe;
  }
  absl::Status valid = ValidateBrokerTlsOptions(options);
  if (!valid.ok()) return context.Invalid(valid.message());
  return absl::OkStatus();
}

absl::Status ParseCredentials(const ErrorContext& context, const std::string& config_file,
                              const YAML::Node& profile, BrokerEndpoint* endpoint,
                              std::vector<std::string>* files) {
  if (profile["username"] && profile["username_file"]) {
    return context.Invalid("set either username or username_file, not both");
  }
  if (profile["username"]) {
    absl::StatusOr<std::string> username = ScalarString(context, profile["username"], "username");
    if (!username.ok()) return username.status();
    endpoint->username = *username;
  }
  if (profile["username_file"]) {
    absl::StatusOr<std::string> path =
        ScalarString(context, profile["username_file"], "username_file");
    if (!path.ok()) return path.status();
    std::string resolved = ResolvePath(config_file, *path);
    absl::StatusOr<std::string> username = ReadSecretFile(context, "username_file", resolved);
    if (!username.ok()) return username.status();
    endpoint->username = *username;
    files->push_back(resolved);
  }
  if (profile["password_file"]) {
    absl::StatusOr<std::string> path =
        ScalarString(context, profile["password_file"], "password_file");
    if (!path.ok()) return path.status();
    std::string resolved = ResolvePath(config_file, *path);
    absl::StatusOr<std::string> password = ReadSecretFile(context, "password_file", resolved);
    if (!password.ok()) return password.status();
    endpoint->password = *password;
    files->push_back(resolved);
  }
  if (!endpoint->password.empty() && endpoint->username.empty()) {
    return context.Invalid("password_file is set without a user name; set username or "
                           "username_file, or put the user name in the url");
  }
  return absl::OkStatus();
}

absl::StatusOr<BrokerEndpoint> ParseProfile(ErrorContext& context, const std::string& config_file,
                                            const YAML::Node& profile,
                                            std::vector<std::string>* files) {
  if (!profile.IsMap()) return context.Invalid("every entry of \"brokers\" must be a map");
  if (!profile["name"]) return context.Invalid("a broker has no \"name\"");
  absl::StatusOr<std::string> name = ScalarString(context, profile["name"], "name");
  if (!name.ok()) return name.status();
  if (!IsValidProfileName(*name)) {
    return context.Invalid(absl::StrCat("broker name \"", *name,
                                        "\" is invalid; use letters, digits, '-', '_' and '.'"));
  }
  context.set_profile(*name);
  if (absl::Status status = CheckKeys(context, profile, "a broker", kProfileKeys); !status.ok()) {
    return status;
  }

  if (!profile["url"]) return context.Invalid("\"url\" is missing");
  absl::StatusOr<std::string> url = ScalarString(context, profile["url"], "url");
  if (!url.ok()) return url.status();
  absl::StatusOr<BrokerEndpoint> endpoint = ParseBrokerEndpoint(*url);
  if (!endpoint.ok()) return context.Invalid(endpoint.status().message());
  if (!endpoint->password.empty()) {
    return context.Invalid(absl::StrCat("url \"", endpoint->Redacted(),
                                        "\" contains a password; put it in password_file"));
  }
  endpoint->profile = *name;

  absl::Status status = ParseCredentials(context, config_file, profile, &*endpoint, files);
  if (!status.ok()) return status;
  if (profile["tls"]) {
    status = ParseTls(context, config_file, profile["tls"], &*endpoint, files);
    if (!status.ok()) return status;
  }
  return endpoint;
}

}  // namespace

std::string BrokerProfileSet::NameList() const {
  if (endpoints.empty()) return "(none)";
  std::vector<std::string> names;
  for (const auto& [name, endpoint] : endpoints) names.push_back(name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<BrokerProfileSet> ParseBrokerProfiles(absl::string_view yaml_text,
                                                     const std::string& config_file) {
  ErrorContext context(config_file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    return context.Invalid(absl::StrCat("YAML error: ", error.what()));
  }
  if (!root.IsMap() || !root["brokers"]) {
    return context.Invalid("the top level must be a map with the key \"brokers\"");
  }
  if (absl::Status status = CheckKeys(context, root, "the top level", "brokers"); !status.ok()) {
    return status;
  }
  if (!root["brokers"].IsSequence()) return context.Invalid("\"brokers\" must be a list");

  BrokerProfileSet set;
  set.files.push_back(config_file);
  try {
    for (const YAML::Node& profile : root["brokers"]) {
      context.set_profile("");
      absl::StatusOr<BrokerEndpoint> endpoint =
          ParseProfile(context, config_file, profile, &set.files);
      if (!endpoint.ok()) return endpoint.status();
      std::string name = endpoint->profile;
      if (!set.endpoints.emplace(name, *std::move(endpoint)).second) {
        return context.Invalid("the name is used by two brokers");
      }
    }
  } catch (const YAML::Exception& error) {
    return context.Invalid(absl::StrCat("YAML error: ", error.what()));
  }
  return set;
}

absl::StatusOr<BrokerProfileSet> LoadBrokerProfiles(const std::string& config_file) {
  absl::StatusOr<std::string> text = ReadWholeFile(config_file);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("broker config \"", config_file, "\" ",
                                                   text.status().message()));
  }
  return ParseBrokerProfiles(*text, config_file);
}

}  // namespace krs::scaler
