package webhook

import (
	"context"
	"fmt"

	"github.com/gateguard/gateguard/rules"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ClusterSnapshot is the webhook's cache-backed snapshot outside a
// manager, started and synced: what gateguard audit judges a cluster with,
// and what the snapshot contract test compares with the in-memory one.
type ClusterSnapshot struct {
	source *snapshotSource
	cache  cache.Cache
}

// StartClusterSnapshot starts the cache of cfg's cluster, with the cache
// options and indexes `gateguard serve` uses, and waits for it to sync.
// secretNamespaces, when set, scope Secrets as serve's flag does. It runs
// until ctx ends.
func StartClusterSnapshot(ctx context.Context, cfg *rest.Config, secretNamespaces []string) (*ClusterSnapshot, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	opts, err := withLeanInformers(cacheOptionsFor(secretNamespaces), cfg)
	if err != nil {
		return nil, err
	}
	opts.Scheme = scheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	api, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	source, err := newSnapshotSource(ctx, c, api, api.RESTMapper(), secretNamespaces)
	if err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) || !handlersSynced(ctx, source.indexers.synced) {
		return nil, fmt.Errorf("the cache did not sync")
	}
	return &ClusterSnapshot{source: source, cache: c}, nil
}

// Snapshot is the view of one decision; onError records a failed lookup.
func (c *ClusterSnapshot) Snapshot(ctx context.Context, onError func(error)) rules.Snapshot {
	return c.source.snapshot(ctx, onError)
}

// Reader reads the cache: metadata only for Secrets, Pods and Namespaces.
func (c *ClusterSnapshot) Reader() client.Reader { return c.cache }
