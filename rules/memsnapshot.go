package rules

import (
	"context"
	"fmt"
	"maps"
	"slices"

	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// MemorySnapshot is a Snapshot held in maps, for tests and for
// `gateguard check`. It keeps only the key names of Secrets.
type MemorySnapshot struct {
	gateways        map[string]*networkingv1.Gateway
	gatewaysOnPort  index[*networkingv1.Gateway]
	gwByCredential  index[*networkingv1.Gateway]
	virtualServices map[string]*networkingv1.VirtualService
	vsByHost        index[*networkingv1.VirtualService]
	vsByDomain      index[*networkingv1.VirtualService]
	vsByGateway     index[*networkingv1.VirtualService]
	pods            *PodPlacements
	secretKeys      map[string][]string
	certificates    map[string]string
	namespaces      map[string]map[string]string
}

// NewMemorySnapshot returns an empty snapshot.
func NewMemorySnapshot() *MemorySnapshot {
	return &MemorySnapshot{
		gateways: map[string]*networkingv1.Gateway{}, gatewaysOnPort: index[*networkingv1.Gateway]{},
		gwByCredential:  index[*networkingv1.Gateway]{},
		virtualServices: map[string]*networkingv1.VirtualService{}, vsByHost: index[*networkingv1.VirtualService]{},
		vsByDomain: index[*networkingv1.VirtualService]{}, vsByGateway: index[*networkingv1.VirtualService]{},
		pods:       NewPodPlacements(),
		secretKeys: map[string][]string{}, certificates: map[string]string{}, namespaces: map[string]map[string]string{},
	}
}

// Add stores an object, replacing one with the same namespace and name.
// Kinds the rules do not read are refused with an error.
func (s *MemorySnapshot) Add(obj runtime.Object) error {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		key := o.Namespace + "/" + o.Name
		s.unindexGateway(key)
		s.gateways[key] = o
		s.gatewaysOnPort.add(WorkloadPortIndexKeys(o), key, o)
		s.gwByCredential.add(CredentialIndexKeys(o), key, o)
	case *networkingv1.VirtualService:
		s.addVirtualService(o)
	case *corev1.Secret:
		s.secretKeys[o.Namespace+"/"+o.Name] = slices.Sorted(maps.Keys(secretKeySet(o)))
	case *corev1.Pod:
		s.pods.Set(o.Namespace, o.Name, o.Labels)
	case *corev1.Namespace:
		s.namespaces[o.Name] = o.Labels
	case *certmanagerv1.Certificate:
		s.certificates[o.Namespace+"/"+o.Spec.SecretName] = o.Name
	default:
		return fmt.Errorf("%T is not a kind the rules read", obj)
	}
	return nil
}

// unindexGateway removes a stored Gateway from the indexes.
func (s *MemorySnapshot) unindexGateway(key string) {
	if old, ok := s.gateways[key]; ok {
		s.gatewaysOnPort.remove(WorkloadPortIndexKeys(old), key)
		s.gwByCredential.remove(CredentialIndexKeys(old), key)
	}
}

// Delete forgets an object, as a deletion the cluster admitted would.
// Kinds the rules do not read are refused with an error.
func (s *MemorySnapshot) Delete(obj runtime.Object) error {
	switch o := obj.(type) {
	case *networkingv1.Gateway:
		s.unindexGateway(o.Namespace + "/" + o.Name)
		delete(s.gateways, o.Namespace+"/"+o.Name)
	case *networkingv1.VirtualService:
		key := o.Namespace + "/" + o.Name
		if old, ok := s.virtualServices[key]; ok {
			s.vsByHost.remove(HostIndexKeys(old), key)
			s.vsByDomain.remove(DomainIndexKeys(old), key)
			s.vsByGateway.remove(GatewayIndexKeys(old), key)
			delete(s.virtualServices, key)
		}
	case *corev1.Secret:
		delete(s.secretKeys, o.Namespace+"/"+o.Name)
	case *corev1.Pod:
		s.pods.Delete(o.Namespace, o.Name)
	case *corev1.Namespace:
		delete(s.namespaces, o.Name)
	case *certmanagerv1.Certificate:
		delete(s.certificates, o.Namespace+"/"+o.Spec.SecretName)
	default:
		return fmt.Errorf("%T is not a kind the rules read", obj)
	}
	return nil
}

func (s *MemorySnapshot) addVirtualService(vs *networkingv1.VirtualService) {
	key := vs.Namespace + "/" + vs.Name
	if old, ok := s.virtualServices[key]; ok {
		s.vsByHost.remove(HostIndexKeys(old), key)
		s.vsByDomain.remove(DomainIndexKeys(old), key)
		s.vsByGateway.remove(GatewayIndexKeys(old), key)
	}
	s.virtualServices[key] = vs
	s.vsByHost.add(HostIndexKeys(vs), key, vs)
	s.vsByDomain.add(DomainIndexKeys(vs), key, vs)
	s.vsByGateway.add(GatewayIndexKeys(vs), key, vs)
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

func (s *MemorySnapshot) Gateway(namespace, name string) *networkingv1.Gateway {
	return s.gateways[namespace+"/"+name]
}

func (s *MemorySnapshot) GatewaysOnPort(key string) []*networkingv1.Gateway {
	return s.gatewaysOnPort.get(key)
}

func (s *MemorySnapshot) GatewaysReferencingCredential(name string) []*networkingv1.Gateway {
	return s.gwByCredential.get(name)
}

func (s *MemorySnapshot) VirtualServicesWithHost(host string) []*networkingv1.VirtualService {
	return s.vsByHost.get(host)
}

func (s *MemorySnapshot) VirtualServicesUnderDomain(domain string) []*networkingv1.VirtualService {
	return s.vsByDomain.get(domain)
}

func (s *MemorySnapshot) VirtualServicesForGateway(ref GatewayRef) []*networkingv1.VirtualService {
	return s.vsByGateway.get(ref.String())
}

func (s *MemorySnapshot) GatewayPodNamespaces(selector map[string]string) []string {
	return s.pods.Namespaces(selector)
}

func (s *MemorySnapshot) GatewayPodLabelSets(selector map[string]string) []string {
	return s.pods.LabelSets(selector)
}

func (s *MemorySnapshot) SecretExists(namespace, name string) bool {
	_, ok := s.secretKeys[namespace+"/"+name]
	return ok
}

func (s *MemorySnapshot) SecretKeys(_ context.Context, namespace, name string) ([]string, error) {
	return s.secretKeys[namespace+"/"+name], nil
}

func (s *MemorySnapshot) CertificateForSecret(namespace, secretName string) (string, bool) {
	name, ok := s.certificates[namespace+"/"+secretName]
	return name, ok
}

func (s *MemorySnapshot) NamespaceLabels(namespace string) (map[string]string, bool) {
	l, ok := s.namespaces[namespace]
	return l, ok
}

// index maps a key to objects stored under an identity, kept in insertion
// order so results are deterministic.
type index[T any] map[string][]indexed[T]

type indexed[T any] struct {
	id  string
	obj T
}

func (x index[T]) add(keys []string, id string, obj T) {
	for _, k := range keys {
		x[k] = append(x[k], indexed[T]{id, obj})
	}
}

func (x index[T]) remove(keys []string, id string) {
	for _, k := range keys {
		x[k] = slices.DeleteFunc(x[k], func(e indexed[T]) bool { return e.id == id })
	}
}

func (x index[T]) get(key string) []T {
	entries := x[key]
	out := make([]T, len(entries))
	for i, e := range entries {
		out[i] = e.obj
	}
	return out
}
