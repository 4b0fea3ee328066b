package webhook

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// cacheOptionsFor are the cache options of serve and audit alike: what
// the rules read, with Secrets scoped to secretNamespaces when set.
func cacheOptionsFor(secretNamespaces []string) cache.Options {
	opts := cacheOptions()
	scopeSecrets(&opts, secretNamespaces)
	return opts
}

// scopeSecrets limits the Secret metadata cache to namespaces, so that a
// scoped install lists and watches Secrets only where its Roles let it;
// no namespaces means the whole cluster, under the ClusterRole.
func scopeSecrets(opts *cache.Options, namespaces []string) {
	if len(namespaces) == 0 {
		return
	}
	for obj, by := range opts.ByObject {
		if m, ok := obj.(*metav1.PartialObjectMetadata); ok && m.Kind == "Secret" {
			by.Namespaces = map[string]cache.Config{}
			for _, ns := range namespaces {
				by.Namespaces[ns] = cache.Config{}
			}
			opts.ByObject[obj] = by
		}
	}
}

// secretScope is the set of namespaces whose Secrets gateguard may read;
// the zero value reads every namespace.
type secretScope []string

// readable reports whether Secrets of namespace are in scope.
func (s secretScope) readable(namespace string) bool {
	return len(s) == 0 || slices.Contains(s, namespace)
}
