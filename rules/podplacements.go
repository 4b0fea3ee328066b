package rules

import (
	"maps"
	"slices"
	"sync"
)

// PodPlacements answers "in which namespaces do pods with these labels
// run" from label sets, not pods: gateway pods are replicas sharing one
// label set, so a lookup costs the number of distinct label sets carrying
// the selector's rarest pair, whatever the number of pods. It is safe for
// concurrent use: the webhook feeds it from informer events.
type PodPlacements struct {
	mu            sync.RWMutex
	groups        map[string]*podGroup   // by label set
	groupsByLabel map[string][]*podGroup // by one label pair
	groupOf       map[string]string      // pod namespace/name -> label set
}

// podGroup is the pods that share one label set, counted per namespace.
type podGroup struct {
	key        string // the label set, rendered once
	stableKey  string // the label set less the rollout labels
	labels     map[string]string
	namespaces map[string]int
}

// NewPodPlacements returns an empty index.
func NewPodPlacements() *PodPlacements {
	return &PodPlacements{groups: map[string]*podGroup{}, groupsByLabel: map[string][]*podGroup{}, groupOf: map[string]string{}}
}

// Set records a pod, replacing what was recorded for it before.
func (p *PodPlacements) Set(namespace, name string, labels map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := namespace + "/" + name
	p.remove(key, namespace)
	set := workloadKey(labels)
	g, ok := p.groups[set]
	if !ok {
		g = &podGroup{key: set, stableKey: stableLabelSet(labels), labels: maps.Clone(labels), namespaces: map[string]int{}}
		p.groups[set] = g
		for _, pair := range labelPairs(labels) {
			p.groupsByLabel[pair] = append(p.groupsByLabel[pair], g)
		}
	}
	g.namespaces[namespace]++
	p.groupOf[key] = set
}

// Delete forgets a pod.
func (p *PodPlacements) Delete(namespace, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(namespace+"/"+name, namespace)
}

// remove uncounts a pod from its group, and drops a group left empty:
// every rollout brings a new label set (pod-template-hash), so keeping
// empty ones would grow without bound.
func (p *PodPlacements) remove(key, namespace string) {
	set, ok := p.groupOf[key]
	if !ok {
		return
	}
	delete(p.groupOf, key)
	g := p.groups[set]
	if g.namespaces[namespace]--; g.namespaces[namespace] <= 0 {
		delete(g.namespaces, namespace)
	}
	if len(g.namespaces) > 0 {
		return
	}
	delete(p.groups, set)
	for _, pair := range labelPairs(g.labels) {
		if p.groupsByLabel[pair] = slices.DeleteFunc(p.groupsByLabel[pair], func(x *podGroup) bool { return x == g }); len(p.groupsByLabel[pair]) == 0 {
			delete(p.groupsByLabel, pair)
		}
	}
}

// Namespaces lists, sorted, the namespaces of pods whose labels include
// every pair of a non-empty selector.
func (p *PodPlacements) Namespaces(selector map[string]string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for _, g := range p.matching(selector) {
		for ns := range g.namespaces {
			out = append(out, ns)
		}
	}
	return uniqueSorted(out)
}

// matching returns the groups whose labels include the selector, looking
// only at the groups that carry its rarest pair. Callers hold the lock.
func (p *PodPlacements) matching(selector map[string]string) []*podGroup {
	var smallest []*podGroup
	for i, pair := range labelPairs(selector) {
		if groups := p.groupsByLabel[pair]; i == 0 || len(groups) < len(smallest) {
			smallest = groups
		}
	}
	var out []*podGroup
	for _, g := range smallest {
		if labelsInclude(g.labels, selector) {
			out = append(out, g)
		}
	}
	return out
}

// LabelSets lists, sorted, the label sets (pairs sorted and comma-joined)
// of the pods a non-empty selector picks, less the labels a rollout
// changes: the old and new replicas of one Deployment are the same
// gateway pods, and a route table keyed by them outlives the rollout.
func (p *PodPlacements) LabelSets(selector map[string]string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for _, g := range p.matching(selector) {
		out = append(out, g.stableKey)
	}
	return uniqueSorted(out)
}

// stableLabelSet renders labels without those the controllers stamp per
// revision.
func stableLabelSet(labels map[string]string) string {
	stable := maps.Clone(labels)
	maps.DeleteFunc(stable, func(k, _ string) bool {
		return k == "pod-template-hash" || k == "controller-revision-hash" || k == "pod-template-generation"
	})
	return workloadKey(stable)
}
