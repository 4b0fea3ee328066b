package webhook

import (
	certmanagerv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/gateguard/gateguard/rules"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The cache's transforms keep, of every cached object, only what the rules
// and gateguard's own bookkeeping read, before the object reaches the
// informer's store. What a real cluster's objects carry besides — kubectl's
// last-applied copy of the whole object, managedFields, GitOps tracking
// labels and annotations, Istio status, route destinations — is most of
// their size, and with 50k VirtualServices it decides whether gateguard
// fits its memory limit (docs in README, "Sizing"). A rule that starts
// reading another field must keep it here: TestTransformKeepsDecisions
// judges the rules corpus with and without the transforms.

// keptMeta is the metadata kept of an object: its identity, the resource
// version (informers and the key check's read), the generation (host
// claims compare it) and the deletion mark.
func keptMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, CreationTimestamp: m.CreationTimestamp, DeletionTimestamp: m.DeletionTimestamp}
}

// withExemption keeps the one annotation the rules read on an object
// they judge: the audit judges cached objects too.
func withExemption(kept metav1.ObjectMeta, m *metav1.ObjectMeta) metav1.ObjectMeta {
	if v, ok := m.Annotations[rules.ExemptAnnotation]; ok {
		kept.Annotations = map[string]string{rules.ExemptAnnotation: v}
	}
	return kept
}

// trimMetadata keeps a metadata-only object's identity, and its labels
// when withLabels: pod labels are what Gateway selectors match, namespace
// labels what the policy's selectors match and its copied labels copy —
// all of them, since a reloaded policy may read others. Secrets keep no
// labels: kubectl's last-applied annotation would even hold their data.
func trimMetadata(withLabels bool) func(any) (any, error) {
	return func(o any) (any, error) {
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok {
			return o, nil
		}
		slim := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: keptMeta(&m.ObjectMeta)}
		if withLabels {
			slim.Labels = m.Labels
		}
		return slim, nil
	}
}

// trimmer is the transform of the typed kinds. Gateways keep their whole
// spec (selector, servers, TLS settings: all read, and few).
// VirtualServices keep hosts, gateways and exportTo, whether they have
// HTTP routes (never what the routes are: that is most of a real
// VirtualService), and the TLS and TCP matches; the routes' destinations
// go. Certificates keep spec.secretName. The Gateway API kinds keep their
// spec (transform_gatewayapi.go). Any other kind (none today) loses only
// its managedFields.
type trimmer struct {
	// http stands for a VirtualService's HTTP routes: one empty route,
	// shared by every cached VirtualService, whose cached copies are only
	// ever read, so that "has HTTP routes" costs a slice header rather
	// than a 400-byte empty route per object.
	http []*networking.HTTPRoute
}

func newTrimmer() *trimmer { return &trimmer{http: []*networking.HTTPRoute{{}}} }

func (t *trimmer) object(o any) (any, error) {
	if obj, ok := trimGatewayAPI(o); ok {
		return obj, nil
	}
	switch obj := o.(type) {
	case *networkingv1.VirtualService:
		obj.ObjectMeta = withExemption(keptMeta(&obj.ObjectMeta), &obj.ObjectMeta)
		obj.Status.Reset()
		t.routes(&obj.Spec)
	case *networkingv1.Gateway:
		obj.ObjectMeta = withExemption(keptMeta(&obj.ObjectMeta), &obj.ObjectMeta)
		obj.Status.Reset()
	case *certmanagerv1.Certificate:
		return &certmanagerv1.Certificate{TypeMeta: obj.TypeMeta, ObjectMeta: keptMeta(&obj.ObjectMeta),
			Spec: certmanagerv1.CertificateSpec{SecretName: obj.Spec.SecretName}}, nil
	case client.Object:
		obj.SetManagedFields(nil)
	}
	return o, nil
}

// routes keeps of a VirtualService's routes what binding reads: that HTTP
// routes exist, the SNI hosts and ports TLS and TCP routes match.
func (t *trimmer) routes(spec *networking.VirtualService) {
	if len(spec.Http) > 0 {
		spec.Http = t.http
	}
	for _, r := range spec.Tls {
		r.Route = nil
	}
	for _, r := range spec.Tcp {
		r.Route = nil
	}
}

// trimmedKinds are the cache's per-kind settings: Secrets, Pods and
// Namespaces as metadata only, trimmed, and Services as their selector.
// The rules only read cached Secrets and Services, so their reads skip
// the deep copy. A kind's entry starts no informer: Services are watched
// only where the Gateway API is served (cache_gatewayapi.go).
func trimmedKinds(readOnly *bool) map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		metadataOf("Secret"):    {Transform: trimMetadata(false), UnsafeDisableDeepCopy: readOnly},
		metadataOf("Pod"):       {Transform: trimMetadata(true)}, // read only by event handlers
		metadataOf("Namespace"): {Transform: trimMetadata(true)},
		&corev1.Service{}:       {Transform: trimService, UnsafeDisableDeepCopy: readOnly},
	}
}
