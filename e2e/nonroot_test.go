package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// nonRootID is the uid and gid of the image's USER and the Deployment's
// runAsUser: distroless's "nonroot".
const nonRootID = 65532

// readOnlyRoot remounts / read-only in the private mount namespace
// unshare made, as readOnlyRootFilesystem does for the container.
const readOnlyRoot = "mount -o remount,bind,ro / && "

// dropPrivileges becomes uid/gid 65532 with no groups, no capabilities
// (not even in the bounding set) and no_new_privs, as runAsUser,
// capabilities.drop [ALL] and allowPrivilegeEscalation false do.
const dropPrivileges = "setpriv --reuid 65532 --regid 65532 --clear-groups " +
	"--inh-caps=-all --bounding-set=-all --no-new-privs "

// TestServesAsNonRootOnAReadOnlyRootFilesystem runs the real gateguard
// binary under the constraints the Deployment imposes, which the static
// TestImageAndPodRunAsNonRootReadOnly can only read off the manifests: uid
// and gid 65532, no capabilities, no_new_privs and the whole root
// filesystem read-only, with nothing writable mounted (the Deployment
// mounts only the policy and certificate, read-only). No container engine
// is needed: unshare and setpriv build the same box around the process.
// It must become ready and decide through the real apiserver as usual.
func TestServesAsNonRootOnAReadOnlyRootFilesystem(t *testing.T) {
	requireLocalGateguard(t)
	requireRootWith(t, "unshare", "setpriv")
	fixtures(t)
	ctx := context.Background()
	stage := stageDir(t)
	_, envtestCA := env.WebhookURL()
	t.Cleanup(func() { restoreFileMode(t, envtestCA) })
	env.Gateguard.Stop()
	wrap := func(argv []string) ([]string, error) {
		staged, err := stageArgv(stage, argv)
		if err != nil {
			return nil, err
		}
		box := []string{"unshare", "--mount", "--propagation", "private",
			"sh", "-c", readOnlyRoot + "exec " + dropPrivileges + `"$@"`, "sh"}
		return append(box, staged...), nil
	}
	if err := env.StartGateguardWrapped(ctx, wrap); err != nil {
		t.Fatal(err)
	}
	pid := env.Gateguard.PID()
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil || exe != filepath.Join(stage, "gateguard") {
		t.Fatalf("process %d runs %q (%v), want the staged gateguard: did a wrapper fork?", pid, exe, err)
	}
	checkUnprivileged(t, pid)
	checkReadOnlyRoot(t, pid)
	mustApply(t, vsYAML("team-a", "nonroot", "nonroot.example.com", "istio-system/public"))
	mustDeny(t, vsYAML("team-b", "nonroot", "nonroot.example.com", "istio-system/public"),
		"[duplicate-host]", "VirtualService team-a/nonroot")
	checkDefaulted(t)
	if log, _ := os.ReadFile(env.Gateguard.LogPath); strings.Contains(strings.ToLower(string(log)), "read-only file system") {
		t.Errorf("gateguard tried to write to its root filesystem:\n%s", log)
	}
}

// requireRootWith skips unless the test can build the box: only root may
// unshare a mount namespace and switch to another uid.
func requireRootWith(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to unshare a mount namespace and drop to uid 65532")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (util-linux) to run gateguard as non-root on a read-only root", tool)
		}
	}
	// Root in an unprivileged container may still be refused a mount
	// namespace.
	if out, err := exec.Command("unshare", "--mount", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot unshare a mount namespace here: %v: %s", err, out)
	}
}

// stageDir makes a directory only uid 65532 (and root) can enter. It is
// not t.TempDir: that one's parent is root's 0700 directory, which the
// unprivileged process could not traverse.
func stageDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gateguard-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, nonRootID, nonRootID); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stageArgv copies the binary and what --kubeconfig, --policy and
// --cert-dir name into stage, owned by 65532, and points argv at the
// copies: the originals stay root's, 0600 in a 0700 directory, for the
// rest of the suite. Only the "--flag value" form the suite uses is seen.
func stageArgv(stage string, argv []string) ([]string, error) {
	out := append([]string(nil), argv...)
	bin := filepath.Join(stage, "gateguard")
	if err := copyOwned(argv[0], bin, 0o500); err != nil {
		return nil, err
	}
	out[0] = bin
	for i := 1; i+1 < len(out); i++ {
		var err error
		switch out[i] {
		case "--kubeconfig", "--policy":
			dst := filepath.Join(stage, filepath.Base(out[i+1]))
			err = copyOwned(out[i+1], dst, 0o400)
			out[i+1] = dst
		case "--cert-dir":
			dst := filepath.Join(stage, "certs")
			err = copyDirOwned(out[i+1], dst)
			out[i+1] = dst
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// copyDirOwned copies the regular files of src (a certificate directory)
// into a new dst, all owned by 65532.
func copyDirOwned(src, dst string) error {
	if err := os.Mkdir(dst, 0o500); err != nil {
		return err
	}
	if err := os.Chown(dst, nonRootID, nonRootID); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		if entry.Type().IsRegular() {
			if err := copyOwned(filepath.Join(src, entry.Name()), filepath.Join(dst, entry.Name()), 0o400); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyOwned copies src to dst with mode, owned by 65532. The modes
// grant no write: nothing the process is given is its to change.
func copyOwned(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		return err
	}
	return os.Chown(dst, nonRootID, nonRootID)
}

// checkUnprivileged reads the kernel's view of the process: every uid and
// gid 65532, no supplementary groups, no capability in any set that could
// be used or regained, and no_new_privs.
func checkUnprivileged(t *testing.T, pid int) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	ids := fmt.Sprintf("%d %d %d %d", nonRootID, nonRootID, nonRootID, nonRootID)
	want := map[string]string{"Uid": ids, "Gid": ids, "Groups": "", "NoNewPrivs": "1",
		"CapEff": "0000000000000000", "CapPrm": "0000000000000000", "CapBnd": "0000000000000000", "CapAmb": "0000000000000000"}
	got := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok {
			got[name] = strings.Join(strings.Fields(value), " ")
		}
	}
	for name, w := range want {
		if v, ok := got[name]; !ok || v != w {
			t.Errorf("/proc/%d/status %s = %q, want %q", pid, name, v, w)
		}
	}
}

// checkReadOnlyRoot finds, in the process's own mount table, the mount it
// sees at "/" (the last one there, should several be stacked) and wants
// its per-mount options to hold "ro".
func checkReadOnlyRoot(t *testing.T, pid int) {
	t.Helper()
	mountinfo, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	var root []string
	for _, line := range strings.Split(string(mountinfo), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
			root = f
		}
	}
	if root == nil {
		t.Fatalf("no mount at / in /proc/%d/mountinfo:\n%s", pid, mountinfo)
	}
	for _, opt := range strings.Split(root[5], ",") {
		if opt == "ro" {
			return
		}
	}
	t.Errorf("gateguard's root filesystem is mounted %q, want ro: %s", root[5], strings.Join(root, " "))
}

// checkDefaulted proves the mutating webhook still answers: a Gateway
// without a selector is stored with the policy's default and label.
func checkDefaulted(t *testing.T) {
	t.Helper()
	mustApply(t, selectorlessGateway("team-b", "nonroot-defaults", "nonroot-defaults.example.com"))
	got := &networkingv1.Gateway{}
	if err := env.Client.Get(context.Background(), key("team-b", "nonroot-defaults"), got); err != nil {
		t.Fatal(err)
	}
	if sel := got.Spec.Selector; len(sel) != 1 || sel["istio"] != "ingressgateway" || got.Labels["gateguard.dev/defaulted"] != "true" {
		t.Errorf("selector %v, labels %v: want {istio: ingressgateway} and gateguard.dev/defaulted=true", sel, got.Labels)
	}
}
