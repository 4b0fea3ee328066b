package e2e

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// TestImageAndPodRunAsNonRootReadOnly checks what can be checked without a
// container engine: the Dockerfile's final stage is distroless nonroot
// with USER 65532 and one ENTRYPOINT, and every overlay renders a
// Deployment that runs as non-root with a read-only root filesystem, no
// privilege escalation and no capabilities.
func TestImageAndPodRunAsNonRootReadOnly(t *testing.T) {
	dockerfile, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(dockerfile), -1)
	final := stages[len(stages)-1]
	for _, want := range []string{"gcr.io/distroless/static:nonroot", "\nUSER 65532:65532", `ENTRYPOINT ["/gateguard"]`} {
		if !strings.Contains(final, want) {
			t.Errorf("the Dockerfile's final stage lacks %q", want)
		}
	}
	if strings.Count(final, "ENTRYPOINT") != 1 || strings.Contains(final, "CMD") {
		t.Error("the final stage must have exactly one ENTRYPOINT and no CMD")
	}
	for _, overlay := range []string{"base", "overlays/self-signed", "overlays/cert-manager"} {
		t.Run(overlay, func(t *testing.T) { checkDeployment(t, "../manifests/"+overlay) })
	}
}

func checkDeployment(t *testing.T, dir string) {
	out, err := exec.Command(env.Kubectl, "kustomize", dir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		d := &appsv1.Deployment{}
		if err := yaml.Unmarshal([]byte(doc), d); err != nil {
			t.Fatal(err)
		}
		pod := d.Spec.Template.Spec
		if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("pod securityContext %+v: want runAsNonRoot and runAsUser 65532", sc)
		}
		c := pod.Containers[0].SecurityContext
		if c == nil || c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem || c.AllowPrivilegeEscalation == nil ||
			*c.AllowPrivilegeEscalation || c.Capabilities == nil || len(c.Capabilities.Drop) != 1 || c.Capabilities.Drop[0] != "ALL" {
			t.Errorf("container securityContext %+v: want a read-only root, no escalation, all capabilities dropped", c)
		}
		return
	}
	t.Errorf("%s renders no Deployment", dir)
}
