#include "lab/manifests/kustomization.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lab/manifests/yaml_util.h"

namespace krs::lab {
namespace {

namespace fs = std::filesystem;
using yaml_util::Child;

constexpr int kMaxDepth = 16;

// Strategic-merge keys of the built-in list fields the lab's manifests patch (the
// patchMergeKey tags of core/v1 and apps/v1). Other lists are replaced.
std::string MergeKeyFor(const std::string& field) {
  if (field == "containers" || field == "initContainers" || field == "env" ||
      field == "volumes" || field == "imagePullSecrets") {
    return "name";
  }
  if (field == "ports") return "containerPort";
  if (field == "volumeMounts") return "mountPath";
  return "";
}

bool IsPatchDirective(const YAML::Node& node, const char* directive) {
  YAML::Node value = Child(node, "$patch");
  return value.IsScalar() && value.Scalar() == directive;
}

std::string ScalarOr(const YAML::Node& node, const std::string& fallback) {
  return node.IsScalar() ? node.Scalar() : fallback;
}

void MergeMap(YAML::Node target, const YAML::Node& patch);

// Merges list `patch` into list `target` by `key`: matching items merge, `$patch: delete`
// items remove their match, new items are appended.
void MergeListByKey(YAML::Node target, const YAML::Node& patch, const std::string& key) {
  for (const YAML::Node& item : patch) {
    std::string id = ScalarOr(Child(item, key), "");
    int match = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (!id.empty() && ScalarOr(Child(target[i], key), "") == id) match = static_cast<int>(i);
    }
    if (IsPatchDirective(item, "delete")) {
      if (match < 0) continue;
      YAML::Node kept(YAML::NodeType::Sequence);
      for (size_t i = 0; i < target.size(); ++i) {
        if (static_cast<int>(i) != match) kept.push_back(target[i]);
      }
      target = kept;
      continue;
    }
    if (match >= 0 && target[match].IsMap() && item.IsMap()) {
      MergeMap(target[match], item);
    } else if (match >= 0) {
      target[match] = YAML::Clone(item);
    } else {
      target.push_back(YAML::Clone(item));
    }
  }
}

// Strategic merge of map `patch` into map `target`.
void MergeMap(YAML::Node target, const YAML::Node& patch) {
  for (const auto& entry : patch) {
    std::string key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    if (key == "$patch") continue;
    if (value.IsNull()) {
      target.remove(key);
      continue;
    }
    YAML::Node current = target[key];
    if (value.IsMap() && current.IsMap() && !IsPatchDirective(value, "replace")) {
      MergeMap(current, value);
      continue;
    }
    std::string merge_key = MergeKeyFor(key);
    if (value.IsSequence() && current.IsSequence() && !merge_key.empty()) {
      MergeListByKey(current, value, merge_key);
      continue;
    }
    target[key] = YAML::Clone(value);
  }
}

struct ObjectId {
  std::string kind;
  std::string name;
  std::string namespace_name;
};

ObjectId IdOf(const YAML::Node& doc) {
  YAML::Node metadata = Child(doc, "metadata");
  return {ScalarOr(Child(doc, "kind"), ""), ScalarOr(Child(metadata, "name"), ""),
          ScalarOr(Child(metadata, "namespace"), "")};
}

bool Matches(const ObjectId& resource, const ObjectId& patch) {
  if (resource.kind != patch.kind || resource.name != patch.name) return false;
  return patch.namespace_name.empty() || resource.namespace_name.empty() ||
         resource.namespace_name == patch.namespace_name;
}

absl::Status ApplyPatch(std::vector<YAML::Node>& resources, const YAML::Node& patch,
                        const std::string& source) {
  ObjectId id = IdOf(patch);
  for (size_t i = 0; i < resources.size(); ++i) {
    if (!Matches(IdOf(resources[i]), id)) continue;
    if (IsPatchDirective(patch, "delete")) {
      // Rebuild the list: assigning one YAML::Node to another (as vector::erase does) rewrites
      // the node it refers to instead of rebinding the handle.
      std::vector<YAML::Node> kept;
      for (size_t j = 0; j < resources.size(); ++j) {
        if (j != i) kept.push_back(resources[j]);
      }
      resources.swap(kept);
    } else {
      MergeMap(resources[i], patch);
    }
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(source, ": patch target ", id.kind, "/", id.name,
                                          " not found among the resources"));
}

absl::StatusOr<std::vector<YAML::Node>> LoadFileDocuments(const fs::path& path) {
  absl::StatusOr<std::string> content = yaml_util::ReadFile(path.string());
  if (!content.ok()) return content.status();
  return yaml_util::ParseDocuments(*content, path.string());
}

absl::StatusOr<fs::path> FindKustomizationFile(const fs::path& dir) {
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    fs::path candidate = dir / name;
    if (fs::is_regular_file(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat(dir.string(), ": no kustomization.yaml, kustomization.yml or Kustomization"));
}

absl::Status CheckSupportedKeys(const YAML::Node& kustomization, const std::string& source) {
  static const std::set<std::string> kSupported = {
      "apiVersion", "kind", "namespace", "resources", "patches", "patchesStrategicMerge"};
  std::vector<std::string> unsupported;
  for (const auto& entry : kustomization) {
    if (kSupported.count(entry.first.Scalar()) == 0) unsupported.push_back(entry.first.Scalar());
  }
  if (unsupported.empty()) return absl::OkStatus();
  return absl::UnimplementedError(absl::StrCat(
      source, ": unsupported kustomization fields: ", absl::StrJoin(unsupported, ", "),
      "; the lab supports ", absl::StrJoin(kSupported, ", ")));
}

absl::StatusOr<std::vector<YAML::Node>> Build(const fs::path& dir, int depth);

absl::Status LoadResources(const YAML::Node& list, const fs::path& dir, const std::string& source,
                           int depth, std::vector<YAML::Node>& resources) {
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": resources: want a list of paths"));
  }
  for (const YAML::Node& entry : list) {
    fs::path path = dir / ScalarOr(entry, "");
    absl::StatusOr<std::vector<YAML::Node>> loaded =
        fs::is_directory(path) ? Build(path, depth + 1) : LoadFileDocuments(path);
    if (!loaded.ok()) return loaded.status();
    resources.insert(resources.end(), loaded->begin(), loaded->end());
  }
  return absl::OkStatus();
}

absl::Status ApplyPatchDocuments(const std::vector<YAML::Node>& patches, const std::string& source,
                                 std::vector<YAML::Node>& resources) {
  for (const YAML::Node& patch : patches) {
    if (Child(patch, "op").IsDefined() || patch.IsSequence()) {
      return absl::UnimplementedError(
          absl::StrCat(source, ": JSON 6902 patches are not supported; use strategic merge"));
    }
    absl::Status status = ApplyPatch(resources, patch, source);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ApplyPatches(const YAML::Node& kustomization, const fs::path& dir,
                          const std::string& source, std::vector<YAML::Node>& resources) {
  // patchesStrategicMerge: a list of file paths (or inline YAML strings).
  YAML::Node legacy = Child(kustomization, "patchesStrategicMerge");
  if (legacy.IsSequence()) {
    for (const YAML::Node& entry : legacy) {
      std::string text = ScalarOr(entry, "");
      fs::path path = dir / text;
      absl::StatusOr<std::vector<YAML::Node>> patches =
          fs::is_regular_file(path) ? LoadFileDocuments(path)
                                    : yaml_util::ParseDocuments(text, source);
      if (!patches.ok()) return patches.status();
      absl::Status status = ApplyPatchDocuments(*patches, path.string(), resources);
      if (!status.ok()) return status;
    }
  }

  // patches: entries {path: FILE} or {patch: "inline YAML"}; a `target` selector is not needed
  // for strategic-merge patches, which name their target.
  YAML::Node list = Child(kustomization, "patches");
  if (!list.IsSequence()) return absl::OkStatus();
  for (const YAML::Node& entry : list) {
    absl::StatusOr<std::vector<YAML::Node>> patches;
    std::string patch_source = source;
    if (Child(entry, "path").IsScalar()) {
      fs::path path = dir / Child(entry, "path").Scalar();
      patch_source = path.string();
      patches = LoadFileDocuments(path);
    } else if (Child(entry, "patch").IsScalar()) {
      patches = yaml_util::ParseDocuments(Child(entry, "patch").Scalar(), source);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": patches: each entry needs `path` or `patch`"));
    }
    if (!patches.ok()) return patches.status();
    absl::Status status = ApplyPatchDocuments(*patches, patch_source, resources);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// The kustomize namespace transformer, for the namespaced kinds.
void SetNamespace(std::vector<YAML::Node>& resources, const std::string& namespace_name) {
  static const std::set<std::string> kClusterScoped = {
      "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
      "PersistentVolume", "StorageClass", "PriorityClass", "ClusterTriggerAuthentication"};
  for (YAML::Node& resource : resources) {
    if (kClusterScoped.count(ScalarOr(Child(resource, "kind"), "")) != 0) continue;
    resource["metadata"]["namespace"] = namespace_name;
  }
}

absl::StatusOr<std::vector<YAML::Node>> Build(const fs::path& dir, int depth) {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir.string(), ": kustomizations nested deeper than ", kMaxDepth));
  }
  absl::StatusOr<fs::path> file = FindKustomizationFile(dir);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::vector<YAML::Node>> documents = LoadFileDocuments(*file);
  if (!documents.ok()) return documents.status();
  if (documents->size() != 1 || !documents->front().IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file->string(), ": want exactly one kustomization map"));
  }
  const YAML::Node& kustomization = documents->front();
  std::string source = file->string();

  absl::Status status = CheckSupportedKeys(kustomization, source);
  if (!status.ok()) return status;
  std::vector<YAML::Node> resources;
  status = LoadResources(Child(kustomization, "resources"), dir, source, depth, resources);
  if (!status.ok()) return status;
  status = ApplyPatches(kustomization, dir, source, resources);
  if (!status.ok()) return status;
  if (Child(kustomization, "namespace").IsScalar()) {
    SetNamespace(resources, Child(kustomization, "namespace").Scalar());
  }
  return resources;
}

absl::StatusOr<std::vector<YAML::Node>> BuildCatching(const std::string& dir) {
  try {
    return Build(fs::path(dir), 0);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": invalid kustomization: ", e.msg));
  } catch (const fs::filesystem_error& e) {
    return absl::NotFoundError(absl::StrCat(dir, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::string> RenderKustomization(const std::string& dir) {
  absl::StatusOr<std::vector<YAML::Node>> resources = BuildCatching(dir);
  if (!resources.ok()) return resources.status();
  return yaml_util::EmitDocuments(*resources);
}

absl::StatusOr<ManifestSet> LoadKustomization(const std::string& dir) {
  absl::StatusOr<std::string> rendered = RenderKustomization(dir);
  if (!rendered.ok()) return rendered.status();
  return ParseManifests(*rendered, dir);
}

}  // namespace krs::lab
