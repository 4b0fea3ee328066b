package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Kubectl returns the kubectl of the control plane's cache (the one on
// PATH, linked, or one built from source), building the cache on first use.
func Kubectl(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	assets, err := controlPlaneAssets(ctx, root)
	return filepath.Join(assets, "kubectl"), err
}

// ChartTools returns the directory where hack/build-chart-tools.sh caches
// helm, promtool and dashboardmetrics, building them on first use.
func ChartTools(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return cachedBuild(ctx, root, "build-chart-tools.sh")
}

// HelmCommand is the pinned helm of tools with args, under home as its
// only configuration, cache and data directory, so that no user setting
// or plugin takes part.
func HelmCommand(ctx context.Context, tools, home string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(tools, "helm"), args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	return cmd
}

// cachedBuild runs a hack/ script that builds into the cache and prints
// the cache directory as its last line of stdout.
func cachedBuild(ctx context.Context, root, script string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", script))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}
