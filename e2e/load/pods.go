package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// gatewayLabels are the labels of every seeded gateway Pod, as a gateway
// Deployment's replicas carry them; the Gateways select istio=ingressgateway.
var gatewayLabels = map[string]string{
	"istio": "ingressgateway", "app": "istio-ingressgateway", "pod-template-hash": "6fd6575b8b",
	"service.istio.io/canonical-name": "istio-ingressgateway", "service.istio.io/canonical-revision": "latest",
	"sidecar.istio.io/inject": "false",
}

// sidecarStatus is what Istio's injector records on every injected pod.
const sidecarStatus = `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket",` +
	`"credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],` +
	`"imagePullSecrets":null,"revision":"default"}`

// gatewayPods is how many of the seeded Pods are gateway replicas; the
// rest are application pods, which a cluster has many more of and which
// gateguard's pod cache holds too.
func gatewayPods(o options) int { return max(1, o.Pods/10) }

// pods are the gateway Deployment's replicas in istio-system, then
// application pods, two replicas per app, in the team namespaces; nothing
// schedules them, but each carries what a ReplicaSet, Istio's injector and
// the kubelet leave on a running pod.
func pods(o options) []client.Object {
	out := make([]client.Object, 0, o.Pods)
	for i := range o.Pods {
		if i < gatewayPods(o) {
			out = append(out, pod(gatewayNamespace, fmt.Sprintf("istio-ingressgateway-6fd6575b8b-%05d", i),
				"istio-ingressgateway-6fd6575b8b", gatewayLabels, "istio-proxy"))
			continue
		}
		app := i / 2
		hash := templateHash(app)
		labels := map[string]string{"app": fmt.Sprintf("app-%d", app), "version": "v1", "pod-template-hash": hash,
			"security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": fmt.Sprintf("app-%d", app),
			"service.istio.io/canonical-revision": "v1", "app.kubernetes.io/instance": teamNamespace(app, o.Namespaces) + "-apps"}
		rs := fmt.Sprintf("app-%d-%s", app, hash)
		p := pod(teamNamespace(app, o.Namespaces), fmt.Sprintf("%s-%05d", rs, i), rs, labels, "app", "istio-proxy")
		p.Annotations = map[string]string{"sidecar.istio.io/status": sidecarStatus, "istio.io/rev": "default",
			"kubectl.kubernetes.io/default-container": "app", "kubectl.kubernetes.io/default-logs-container": "app",
			"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020", "prometheus.io/scrape": "true"}
		out = append(out, p)
	}
	return out
}

// templateHash stands in for a ReplicaSet's pod-template-hash.
func templateHash(app int) string {
	h := fnv.New32a()
	fmt.Fprint(h, app)
	return fmt.Sprintf("%08x", h.Sum32())[:8]
}

// pod is a replica of ReplicaSet rs with the named containers.
func pod(namespace, name, rs string, labels map[string]string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: maps.Clone(labels),
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs,
			UID: types.UID(fmt.Sprintf("00000000-0000-4000-8000-0000%s", templateHash(len(rs)))), Controller: ptr.To(true),
			BlockOwnerDeletion: ptr.To(true)}}}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "registry.example.com/" + c + ":1.4.2",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}})
	}
	return p
}

// runningPod creates a pod as its ReplicaSet's controller does, then
// reports it running as the kubelet does, so that its managedFields hold
// both managers' entries, the kubelet's status fields the larger.
func runningPod(ctx context.Context, c client.Client, obj client.Object, _ int) error {
	p := obj.(*corev1.Pod)
	if err := c.Create(ctx, p, client.FieldOwner("kube-controller-manager")); err != nil {
		return err
	}
	now := metav1.Now()
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.3.17", PodIP: "10.244.3.41",
		PodIPs: []corev1.PodIP{{IP: "10.244.3.41"}}, HostIPs: []corev1.HostIP{{IP: "10.0.3.17"}}, StartTime: &now,
		QOSClass: corev1.PodQOSBestEffort}
	for _, t := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized,
		corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue,
			LastTransitionTime: now})
	}
	for _, ctr := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: ctr.Name,
			Image: ctr.Image, ImageID: ctr.Image + "@sha256:4f6e2a", Ready: true, Started: ptr.To(true),
			ContainerID: "containerd://" + p.Name + "-" + ctr.Name,
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	return c.Status().Update(ctx, p, client.FieldOwner("kubelet"))
}
