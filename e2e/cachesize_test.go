package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// cachedKinds are the kinds gateguard caches here (no cert-manager CRD).
var cachedKinds = map[string]schema.GroupVersionKind{
	"VirtualService": {Group: "networking.istio.io", Version: "v1", Kind: "VirtualServiceList"},
	"Gateway":        {Group: "networking.istio.io", Version: "v1", Kind: "GatewayList"},
	"Secret":         {Version: "v1", Kind: "SecretList"},
	"Pod":            {Version: "v1", Kind: "PodList"},
	"Namespace":      {Version: "v1", Kind: "NamespaceList"},
}

// certificateList is cert-manager's, which gateguard caches where served.
var certificateList = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "CertificateList"}

// gatewayAPILists are the Gateway API's kinds, which gateguard caches
// where served, named as gateguard_cached_objects names them; Services
// are cached with the Gateway API's Gateway.
var gatewayAPILists = map[string]schema.GroupVersionKind{
	"GatewayClass":                      {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GatewayClassList"},
	"Gateway.gateway.networking.k8s.io": {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GatewayList"},
	"ListenerSet":                       {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "ListenerSetList"},
	"HTTPRoute":                         {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRouteList"},
	"GRPCRoute":                         {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GRPCRouteList"},
	"TLSRoute":                          {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "TLSRouteList"},
	"TCPRoute":                          {Group: "gateway.networking.k8s.io", Version: "v1", Kind: "TCPRouteList"},
	"ReferenceGrant":                    {Group: "gateway.networking.k8s.io", Version: "v1beta1", Kind: "ReferenceGrantList"},
}

// served reports whether the apiserver serves the kind of a list's GVK.
func served(list schema.GroupVersionKind) bool {
	gk := schema.GroupKind{Group: list.Group, Kind: strings.TrimSuffix(list.Kind, "List")}
	_, err := env.Client.RESTMapper().RESTMapping(gk, list.Version)
	return err == nil
}

// inCluster counts each cached kind through the apiserver.
func inCluster(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	kinds := maps.Clone(cachedKinds)
	if served(certificateList) {
		kinds["Certificate"] = certificateList
	}
	for kind, list := range gatewayAPILists {
		if served(list) {
			kinds[kind] = list
		}
	}
	if _, ok := kinds["Gateway.gateway.networking.k8s.io"]; ok {
		kinds["Service"] = schema.GroupVersionKind{Version: "v1", Kind: "ServiceList"}
	}
	for kind, gvk := range kinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk)
		if err := env.Client.List(context.Background(), list); err != nil {
			t.Fatal(err)
		}
		out[kind] = int64(len(list.Items))
	}
	return out
}

// estimateLine is gateguard's startup log line about its cache's size.
type estimateLine struct {
	Msg              string           `json:"msg"`
	Objects          map[string]int64 `json:"objects"`
	EstimatedBytes   int64            `json:"estimatedBytes"`
	MemoryLimitBytes int64            `json:"memoryLimitBytes"`
}

// startupEstimate finds the estimate line in gateguard's log.
func startupEstimate(t *testing.T) estimateLine {
	t.Helper()
	f, err := os.Open(env.Gateguard.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line estimateLine
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "cache size estimate" {
			return line
		}
	}
	t.Fatalf("no cache size estimate in gateguard's log")
	return estimateLine{}
}

// TestCacheSizeIsReported: a fresh gateguard logs, before its cache fills,
// the cluster's count of every kind it caches, its estimate and the
// limit; and gateguard_cached_objects{kind} then matches what the
// apiserver holds.
func TestCacheSizeIsReported(t *testing.T) {
	requireLocalGateguard(t)
	fixtures(t)
	want := inCluster(t)
	env.Gateguard.Stop()
	if err := env.StartGateguard(context.Background()); err != nil {
		t.Fatal(err)
	}
	line := startupEstimate(t)
	if fmt.Sprint(line.Objects) != fmt.Sprint(want) {
		t.Errorf("logged counts %v, the apiserver has %v", line.Objects, want)
	}
	if line.EstimatedBytes < 48<<20 {
		t.Errorf("estimate %d bytes, less than gateguard's own base", line.EstimatedBytes)
	}
	if limit := cgroupLimit(t); line.MemoryLimitBytes != limit {
		t.Errorf("logged limit %d, the cgroup's is %d", line.MemoryLimitBytes, limit)
	}
	for kind, n := range want {
		series := fmt.Sprintf(`gateguard_cached_objects{kind=%q}`, kind)
		if got := metricValue(t, series); got != float64(n) {
			t.Errorf("%s = %v, the apiserver has %d", series, got, n)
		}
	}
}

// cgroupLimit is this process's cgroup v2 memory.max; 0 for "max" or none
// (gateguard runs in the same cgroup).
func cgroupLimit(t *testing.T) int64 {
	data, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil || strings.TrimSpace(string(data)) == "max" {
		return 0
	}
	var n int64
	if _, err := fmt.Sscan(string(data), &n); err != nil {
		t.Fatal(err)
	}
	return n
}
