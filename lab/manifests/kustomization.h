// A small kustomize: reads `<dir>/kustomization.yaml`, loads its `resources:` (files or
// directories with their own kustomization, recursively), applies strategic-merge patches
// (`patches:` entries with `path:` or inline `patch:`, and `patchesStrategicMerge:`) and
// returns the typed objects.
//
// Strategic merge covers what the lab's manifests use: maps merge key by key, lists of
// containers, env and ports merge by `name`, other lists (args, command, triggers) are replaced,
// `null` deletes a key and `$patch: delete` removes a named list item. JSON 6902 patches,
// generators, namePrefix/nameSuffix, labels and images are rejected as Unimplemented.
#ifndef KRS_LAB_MANIFESTS_KUSTOMIZATION_H_
#define KRS_LAB_MANIFESTS_KUSTOMIZATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "lab/manifests/manifest_loader.h"

namespace krs::lab {

// Builds the kustomization in `dir` (a folder holding kustomization.yaml, .yml or
// Kustomization).
absl::StatusOr<ManifestSet> LoadKustomization(const std::string& dir);

// Builds the kustomization in `dir` and returns the rendered YAML stream (for inspection).
absl::StatusOr<std::string> RenderKustomization(const std::string& dir);

}  // namespace krs::lab

#endif  // KRS_LAB_MANIFESTS_KUSTOMIZATION_H_
