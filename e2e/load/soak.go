package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// growth samples gateguard's goroutines, resident memory and Go heap in
// use every second during a run, to compare its first and last 10
// seconds: a leak shows as growth between the two under a steady load.
type growth struct {
	goroutines, rss, heap []float64
}

// sampleGrowth scrapes addr's /metrics every second until ctx ends.
func sampleGrowth(ctx context.Context, addr string) *growth {
	g := &growth{}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return g
		case <-t.C:
			if m, err := scrapeGauges(addr, "go_goroutines", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes"); err == nil {
				g.goroutines = append(g.goroutines, m["go_goroutines"])
				g.rss = append(g.rss, m["process_resident_memory_bytes"])
				g.heap = append(g.heap, m["go_memstats_heap_inuse_bytes"])
			}
		}
	}
}

// summary compares the first and last 10 samples: goroutines and RSS by
// their mean, the Go heap by its lowest sample, the nearest a scrape gets
// to the live heap right after a collection (the mean of a sawtooth
// moves with where the samples fall on it).
func (g *growth) summary(conc int) string {
	if len(g.goroutines) < 20 {
		return ""
	}
	first := func(s []float64) []float64 { return s[:10] }
	last := func(s []float64) []float64 { return s[len(s)-10:] }
	return fmt.Sprintf("growth at conc %d, first 10s -> last 10s: goroutines %.0f -> %.0f, RSS %.1f -> %.1f MiB, "+
		"Go heap in use at its lowest %.1f -> %.1f MiB", conc, mean(first(g.goroutines)), mean(last(g.goroutines)),
		mean(first(g.rss))/(1<<20), mean(last(g.rss))/(1<<20), slices.Min(first(g.heap))/(1<<20), slices.Min(last(g.heap))/(1<<20))
}

func mean(s []float64) float64 {
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s))
}

// scrapeGauges reads unlabelled series from http://addr/metrics.
func scrapeGauges(addr string, names ...string) (map[string]float64, error) {
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		for _, n := range names {
			if v, ok := strings.CutPrefix(sc.Text(), n+" "); ok {
				out[n], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out, sc.Err()
}
