package rules

import (
	"maps"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// defaultLabels: add the policy's labels, static or copied from the
// namespace, where the object does not set them; never overwrite.
func defaultLabels[T client.Object](p *Policy, nsLabels map[string]string, obj T) []Mutation {
	want := maps.Clone(p.Defaults.Labels)
	if want == nil {
		want = map[string]string{}
	}
	for key, nsKey := range p.Defaults.LabelsFromNamespace {
		if v, ok := nsLabels[nsKey]; ok {
			want[key] = v
		}
	}
	labels := obj.GetLabels()
	var out []Mutation
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if _, ok := labels[key]; ok {
			continue
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[key] = want[key]
		out = append(out, Mutation{Rule: DefaultLabelsID, Path: []string{"metadata", "labels", key}, Value: want[key]})
	}
	obj.SetLabels(labels)
	return out
}
