package e2e

import (
	"context"
	"slices"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const gatewayGroup = "gateway.networking.k8s.io"

// TestGatewayAPIWebhooksCoverEveryServedVersion reads, from the apiserver,
// the Gateway API CRDs the suite installed (the module's standard channel,
// bundle v1.6.3) and the webhook configurations registered from
// manifests/: every version served of each kind gateguard judges reaches
// it, for the operations it judges. Equivalent would send another version
// too, but a rule naming each keeps that from resting on conversion.
func TestGatewayAPIWebhooksCoverEveryServedVersion(t *testing.T) {
	ctx := context.Background()
	served := servedVersions(t, ctx)
	validating := &admissionv1.ValidatingWebhookConfiguration{}
	mutating := &admissionv1.MutatingWebhookConfiguration{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "gateguard"}, validating); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "gateguard"}, mutating); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		webhook   string
		rules     []admissionv1.RuleWithOperations
		resources []string
		op        admissionv1.OperationType
	}{
		{"validate.gateguard.dev", validating.Webhooks[0].Rules,
			[]string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "listenersets"}, admissionv1.Create},
		{"validate.gateguard.dev", validating.Webhooks[0].Rules,
			[]string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "listenersets"}, admissionv1.Update},
		{"secrets.gateguard.dev", validating.Webhooks[1].Rules, []string{"referencegrants"}, admissionv1.Delete},
		{"mutate.gateguard.dev", mutating.Webhooks[0].Rules,
			[]string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes"}, admissionv1.Create},
		{"mutate.gateguard.dev", mutating.Webhooks[0].Rules,
			[]string{"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes"}, admissionv1.Update},
	} {
		for _, resource := range c.resources {
			if len(served[resource]) == 0 {
				t.Errorf("the apiserver serves no %s.%s", resource, gatewayGroup)
			}
			for _, version := range served[resource] {
				if !ruleCovers(c.rules, resource, version, c.op) {
					t.Errorf("%s: no rule for %s %s/%s %s", c.webhook, c.op, gatewayGroup, version, resource)
				}
			}
		}
	}
}

// servedVersions maps each Gateway API resource the apiserver has a CRD
// for to its served versions, failing unless every CRD is the module's
// standard channel of v1.6.3.
func servedVersions(t *testing.T, ctx context.Context) map[string][]string {
	t.Helper()
	crds := &unstructured.UnstructuredList{}
	crds.SetAPIVersion("apiextensions.k8s.io/v1")
	crds.SetKind("CustomResourceDefinitionList")
	if err := env.Client.List(ctx, crds); err != nil {
		t.Fatal(err)
	}
	served := map[string][]string{}
	for _, crd := range crds.Items {
		if group, _, _ := unstructured.NestedString(crd.Object, "spec", "group"); group != gatewayGroup {
			continue
		}
		if a := crd.GetAnnotations(); a[gatewayGroup+"/bundle-version"] != "v1.6.3" || a[gatewayGroup+"/channel"] != "standard" {
			t.Errorf("CRD %s is bundle %s", crd.GetName(), a)
		}
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			if v := v.(map[string]any); v["served"] == true {
				served[plural] = append(served[plural], v["name"].(string))
			}
		}
	}
	return served
}

// ruleCovers reports whether a rule sends op on group/version resource.
func ruleCovers(rules []admissionv1.RuleWithOperations, resource, version string, op admissionv1.OperationType) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, gatewayGroup) && slices.Contains(r.APIVersions, version) &&
			slices.Contains(r.Resources, resource) && slices.Contains(r.Operations, op) {
			return true
		}
	}
	return false
}

// TestGatewayAPIServiceAccountReadsOnly asks the apiserver's authorizer:
// gateguard's ServiceAccount, with the RBAC of manifests/, may get, list
// and watch the Gateway API kinds, GatewayClasses and Services, and may
// write none of them.
func TestGatewayAPIServiceAccountReadsOnly(t *testing.T) {
	ctx, c := context.Background(), unthrottledClient(t)
	resources := map[string][]string{
		gatewayGroup: {"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "listenersets", "referencegrants", "gatewayclasses"},
		"":           {"services"},
	}
	for group, names := range resources {
		for _, resource := range names {
			for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
				want := verb == "get" || verb == "list" || verb == "watch"
				review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
					User:   "system:serviceaccount:gateguard-system:gateguard",
					Groups: []string{"system:serviceaccounts", "system:serviceaccounts:gateguard-system", "system:authenticated"},
					ResourceAttributes: &authorizationv1.ResourceAttributes{Group: group, Resource: resource, Verb: verb,
						Namespace: "gw-shop"},
				}}
				if err := c.Create(ctx, review); err != nil {
					t.Fatal(err)
				}
				if review.Status.Allowed != want {
					t.Errorf("%s %s.%s: allowed = %v, want %v", verb, resource, group, review.Status.Allowed, want)
				}
			}
		}
	}
}
