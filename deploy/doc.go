// Package deploy holds the k6-operator manifests for distributed runs (plain YAML, applied with kustomize). It
// has no code: its test validates every TestRun against the operator's CRD schema and checks the house rules.
package deploy
