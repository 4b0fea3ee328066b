package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// target is a server the requests are driven at.
type target struct {
	name string
	url  string // https://127.0.0.1:PORT
	// decides is false for the floor, which allows everything: its answers
	// are checked for status, decoding and UID only.
	decides bool
	pid     int // its process, for CPU accounting
}

// newHTTPClient is the one client of every run: HTTP/1.1 keep-alive,
// enough idle connections per host for the highest concurrency, trusting
// the given CAs only.
func newHTTPClient(maxConcurrency int, caPEMs ...[]byte) (*http.Client, error) {
	pool := x509.NewCertPool()
	for _, pem := range caPEMs {
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no CA certificate in PEM data")
		}
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // no HTTP/2
		MaxIdleConns:        4 * maxConcurrency,
		MaxIdleConnsPerHost: 2 * maxConcurrency,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// sample is one completed request: when it completed since the run
// started, how long it took, and its kind.
type sample struct {
	at, latency time.Duration
	kind        kind
}

// result is one timed run against one target.
type result struct {
	target      string
	concurrency int
	elapsed     time.Duration
	samples     []sample
	errors      int
	firstErrors []string // up to three, for the report
	cpu         cpuUse   // CPU time by process over the timed run
}

// drive sends the pool's requests, cycled from a shared cursor, at
// concurrency in flight until duration has passed or o.MaxRequests were
// sent; every answer is checked.
func drive(ctx context.Context, hc *http.Client, t target, pool []request, concurrency int, duration time.Duration, maxRequests int) *result {
	res := &result{target: t.name, concurrency: concurrency}
	var cursor atomic.Int64
	var mu sync.Mutex
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			samples, errs, firstErrs := worker(ctx, hc, t, pool, &cursor, start, deadline, int64(maxRequests))
			mu.Lock()
			defer mu.Unlock()
			res.samples = append(res.samples, samples...)
			res.errors += errs
			res.firstErrors = append(res.firstErrors, firstErrs[:min(len(firstErrs), 3-len(res.firstErrors))]...)
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// worker is one in-flight request at a time, until the deadline or the
// request budget is reached. Only the exchange is timed, not the check.
// It returns the samples of the correct answers, the number of errors and
// the first three.
func worker(ctx context.Context, hc *http.Client, t target, pool []request, cursor *atomic.Int64,
	start, deadline time.Time, maxRequests int64) ([]sample, int, []string) {
	samples := make([]sample, 0, 1<<14)
	errs, first := 0, []string(nil)
	for ctx.Err() == nil {
		n := cursor.Add(1) - 1
		if n >= maxRequests || time.Now().After(deadline) {
			break
		}
		r := &pool[n%int64(len(pool))]
		sent := time.Now()
		status, body, err := post(ctx, hc, t.url+r.path, r.body)
		done := time.Now()
		if err == nil {
			err = check(r, t.decides, status, body)
		}
		if err != nil {
			if errs++; len(first) < keptErrors {
				first = append(first, fmt.Sprintf("%s %s: %v", r.kind, r.uid, err))
			}
			continue
		}
		samples = append(samples, sample{at: done.Sub(start), latency: done.Sub(sent), kind: r.kind})
	}
	return samples, errs, first
}

// post sends one review and reads the whole answer.
func post(ctx context.Context, hc *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// check accepts only HTTP 200 with a decodable AdmissionReview answering
// this request's UID with the expected decision (and a patch on /mutate).
func check(r *request, decides bool, status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", status, body)
	}
	review := &admissionv1.AdmissionReview{}
	if err := json.Unmarshal(body, review); err != nil {
		return fmt.Errorf("not an AdmissionReview: %v: %.200s", err, body)
	}
	resp := review.Response
	switch {
	case resp == nil:
		return fmt.Errorf("no response in the review: %.200s", body)
	case string(resp.UID) != r.uid:
		return fmt.Errorf("answered UID %q", resp.UID)
	case !decides:
		if !resp.Allowed {
			return fmt.Errorf("the floor denied")
		}
	case resp.Allowed != r.allowed:
		return fmt.Errorf("allowed = %v, want %v: %+v", resp.Allowed, r.allowed, resp.Result)
	case !resp.Allowed && r.field != "" && !namesField(resp.Result, r.field):
		return fmt.Errorf("denied without a cause on %s: %+v", r.field, resp.Result)
	case r.patch && len(resp.Patch) == 0:
		return fmt.Errorf("no patch")
	}
	return nil
}

// namesField reports whether a denial's causes include the field.
func namesField(status *metav1.Status, field string) bool {
	if status == nil || status.Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Details.Causes, func(c metav1.StatusCause) bool { return c.Field == field })
}
