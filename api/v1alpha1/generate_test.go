package v1alpha1

import (
	"os"
	"os/exec"
	"testing"
)

// TestGeneratedFilesAreCurrent fails when the deepcopy code or either copy
// of the HostClaim CRD (manifests/ and the chart) no longer matches what
// controller-gen makes of these types: hack/generate.sh --check builds the
// pinned controller-gen (cached) and compares without writing.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	// Read here so that Go's test cache keys this result on their contents:
	// it cannot see what the script reads.
	for _, f := range []string{"zz_generated.deepcopy.go", "hostclaim_types.go",
		"../../manifests/base/hostclaims.yaml", "../../charts/gateguard/crds/hostclaims.yaml"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("bash", "../../hack/generate.sh", "--check").CombinedOutput()
	if err != nil {
		t.Fatalf("hack/generate.sh --check: %v\n%s", err, out)
	}
}
