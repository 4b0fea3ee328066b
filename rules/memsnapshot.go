package rules

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// MemorySnapshot is a Snapshot held in maps, for tests and for
// `gateguard check`. It indexes with the same Indexes as the cache-backed
// snapshot, and keeps only the key names of Secrets.
type MemorySnapshot struct {
	gateways        map[types.NamespacedName]*networkingv1.Gateway
	virtualServices map[types.NamespacedName]*networkingv1.VirtualService
	certificates    map[types.NamespacedName]*certmanagerv1.Certificate
	indexes         map[indexID]index
	gatewayAPI      gatewayAPIObjects
	pods            *PodPlacements
	secretKeys      map[types.NamespacedName][]string
	namespaces      map[string]map[string]string
}

// NewMemorySnapshot returns an empty snapshot.
func NewMemorySnapshot() *MemorySnapshot {
	s := &MemorySnapshot{
		gateways:        map[types.NamespacedName]*networkingv1.Gateway{},
		virtualServices: map[types.NamespacedName]*networkingv1.VirtualService{},
		certificates:    map[types.NamespacedName]*certmanagerv1.Certificate{},
		indexes:         map[indexID]index{},
		gatewayAPI:      newGatewayAPIObjects(),
		pods:            NewPodPlacements(),
		secretKeys:      map[types.NamespacedName][]string{},
		namespaces:      map[string]map[string]string{},
	}
	for _, ix := range Indexes(true) {
		s.indexes[idOf(ix)] = index{}
	}
	return s
}

// Add stores an object, replacing one with the same namespace and name.
// Kinds the rules do not read are refused with an error.
func (s *MemorySnapshot) Add(obj runtime.Object) error {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		store(s, s.gateways, o)
	case *networkingv1.VirtualService:
		store(s, s.virtualServices, o)
	case *certmanagerv1.Certificate:
		store(s, s.certificates, o)
	case *corev1.Secret:
		s.secretKeys[client.ObjectKeyFromObject(o)] = slices.Sorted(maps.Keys(secretKeySet(o)))
	case *corev1.Pod:
		s.pods.Set(o.Namespace, o.Name, o.Labels)
	case *corev1.Namespace:
		s.namespaces[o.Name] = o.Labels
	default:
		if !s.addGatewayAPI(obj) {
			return fmt.Errorf("%T is not a kind the rules read", obj)
		}
	}
	return nil
}

// Delete forgets an object, as a deletion the cluster admitted would.
// Kinds the rules do not read are refused with an error.
func (s *MemorySnapshot) Delete(obj runtime.Object) error {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		unstore(s, s.gateways, client.ObjectKeyFromObject(o))
	case *networkingv1.VirtualService:
		unstore(s, s.virtualServices, client.ObjectKeyFromObject(o))
	case *certmanagerv1.Certificate:
		unstore(s, s.certificates, client.ObjectKeyFromObject(o))
	case *corev1.Secret:
		delete(s.secretKeys, client.ObjectKeyFromObject(o))
	case *corev1.Pod:
		s.pods.Delete(o.Namespace, o.Name)
	case *corev1.Namespace:
		delete(s.namespaces, o.Name)
	default:
		if !s.deleteGatewayAPI(obj) {
			return fmt.Errorf("%T is not a kind the rules read", obj)
		}
	}
	return nil
}

// store keeps obj by name and under every index of its kind.
func store[T client.Object](s *MemorySnapshot, byName map[types.NamespacedName]T, obj T) {
	key := client.ObjectKeyFromObject(obj)
	unstore(s, byName, key)
	byName[key] = obj
	s.reindex(obj, func(x index, values []string) { x.add(values, key, obj) })
}

// unstore forgets the object stored under key, and its index entries.
func unstore[T client.Object](s *MemorySnapshot, byName map[types.NamespacedName]T, key types.NamespacedName) {
	if old, ok := byName[key]; ok {
		s.reindex(old, func(x index, values []string) { x.remove(values, key) })
		delete(byName, key)
	}
}

// reindex calls fn with each index of obj's kind and obj's values in it.
func (s *MemorySnapshot) reindex(obj client.Object, fn func(index, []string)) {
	for _, ix := range Indexes(true) {
		if reflect.TypeOf(ix.Object) == reflect.TypeOf(obj) {
			fn(s.indexes[idOf(ix)], ix.Values(obj))
		}
	}
}

// secretKeySet lists the key names of a Secret's data and stringData.
func secretKeySet(sec *corev1.Secret) map[string]bool {
	keys := map[string]bool{}
	for k := range sec.Data {
		keys[k] = true
	}
	for k := range sec.StringData {
		keys[k] = true
	}
	return keys
}

func labelPairs(labels map[string]string) []string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+"="+v)
	}
	return pairs
}

func (s *MemorySnapshot) Gateway(key types.NamespacedName) *networkingv1.Gateway {
	return s.gateways[key]
}

func (s *MemorySnapshot) GatewaysOnPort(listener PortKey) []*networkingv1.Gateway {
	return lookup[*networkingv1.Gateway](s, IndexWorkloadPort, listener.String())
}

func (s *MemorySnapshot) GatewaysReferencingCredential(name string) []*networkingv1.Gateway {
	return lookup[*networkingv1.Gateway](s, IndexCredential, name)
}

func (s *MemorySnapshot) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return lookup[*networkingv1.VirtualService](s, IndexHost, host)
}

func (s *MemorySnapshot) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return lookup[*networkingv1.VirtualService](s, IndexDomain, domain)
}

func (s *MemorySnapshot) VirtualServicesForGateway(ref GatewayRef) []*networkingv1.VirtualService {
	return lookup[*networkingv1.VirtualService](s, IndexGateway, ref.String())
}

func (s *MemorySnapshot) GatewayPodNamespaces(selector map[string]string) []string {
	return s.pods.Namespaces(selector)
}

func (s *MemorySnapshot) GatewayPodLabelSets(selector map[string]string) []string {
	return s.pods.LabelSets(selector)
}

// SecretsReadable is true: the files hold every Secret there is.
func (s *MemorySnapshot) SecretsReadable(string) bool { return true }

func (s *MemorySnapshot) SecretExists(key types.NamespacedName) bool {
	_, ok := s.secretKeys[key]
	return ok
}

func (s *MemorySnapshot) SecretKeys(_ context.Context, key types.NamespacedName) ([]string, error) {
	return s.secretKeys[key], nil
}

func (s *MemorySnapshot) CertificateForSecret(secret types.NamespacedName) (string, bool) {
	certs := lookup[*certmanagerv1.Certificate](s, IndexSecretName, secret.String())
	if len(certs) == 0 {
		return "", false
	}
	return certs[0].Name, true
}

func (s *MemorySnapshot) NamespaceLabels(namespace string) (map[string]string, bool) {
	l, ok := s.namespaces[namespace]
	return l, ok
}

// indexID names one index of one kind: the route indexes share a name
// across the four route kinds, as their informers do.
type indexID struct {
	name IndexName
	kind reflect.Type
}

func idOf(ix Index) indexID { return indexID{ix.Name, reflect.TypeOf(ix.Object)} }

// lookup returns the objects of type T under one value of an index.
func lookup[T client.Object](s *MemorySnapshot, name IndexName, value string) []T {
	var zero T
	entries := s.indexes[indexID{name, reflect.TypeOf(zero)}][value]
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.obj.(T))
	}
	return out
}

// index maps an index value to the objects stored under it, kept in
// insertion order so results are deterministic.
type index map[string][]indexed

type indexed struct {
	key types.NamespacedName
	obj client.Object
}

func (x index) add(values []string, key types.NamespacedName, obj client.Object) {
	for _, v := range values {
		x[v] = append(x[v], indexed{key, obj})
	}
}

func (x index) remove(values []string, key types.NamespacedName) {
	for _, v := range values {
		if x[v] = slices.DeleteFunc(x[v], func(e indexed) bool { return e.key == key }); len(x[v]) == 0 {
			delete(x, v)
		}
	}
}
