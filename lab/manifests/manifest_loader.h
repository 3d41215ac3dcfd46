// Reads Kubernetes YAML (one or more documents) into the typed specs the lab runs:
// ScaledObject and ScaledJob (keda.sh/v1alpha1, KEDA v2.20 defaults applied), Deployment
// (apps/v1). Other kinds are listed by name and otherwise ignored.
#ifndef KRS_LAB_MANIFESTS_MANIFEST_LOADER_H_
#define KRS_LAB_MANIFESTS_MANIFEST_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lab/manifests/workload_specs.h"
#include "lab/policy/hpa_behavior.h"

namespace krs::lab {

struct ManifestSet {
  std::vector<ScaledObjectSpec> scaled_objects;
  std::vector<ScaledJobSpec> scaled_jobs;
  std::vector<DeploymentSpec> deployments;
  // "Kind/name" of every other object, in input order.
  std::vector<std::string> other_objects;

  // The Deployment named `name`, or nullptr.
  const DeploymentSpec* FindDeployment(absl::string_view name) const;
};

// Parses a YAML stream. `source` names it in errors (a file path). Errors name the document,
// the field path and the rejected value.
absl::StatusOr<ManifestSet> ParseManifests(absl::string_view yaml, absl::string_view source);

// Reads and parses one file.
absl::StatusOr<ManifestSet> LoadManifestFile(const std::string& path);

// Parses an HPA v2 `behavior` block (YAML or JSON), e.g. the file of `explain hpa --behavior`.
absl::StatusOr<HpaBehavior> ParseHpaBehavior(absl::string_view yaml, absl::string_view source);

}  // namespace krs::lab

#endif  // KRS_LAB_MANIFESTS_MANIFEST_LOADER_H_
