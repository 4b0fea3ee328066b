package webhook

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// recordingSink notes the lines written and every WithValues asked of it.
type recordingSink struct {
	lines      *[]string
	withValues *int
	depth      int
	values     []any
}

func (recordingSink) Init(logr.RuntimeInfo)  {}
func (recordingSink) Enabled(level int) bool { return level == 0 }
func (s recordingSink) Info(level int, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("depth=%d info %s %v", s.depth, msg, append(s.values, kv...)))
}
func (s recordingSink) Error(err error, msg string, kv ...any) {
	*s.lines = append(*s.lines, fmt.Sprintf("depth=%d error %v %s %v", s.depth, err, msg, append(s.values, kv...)))
}
func (s recordingSink) WithValues(kv ...any) logr.LogSink {
	*s.withValues++
	s.values = append(s.values, kv...)
	return s
}
func (s recordingSink) WithName(string) logr.LogSink { return s }
func (s recordingSink) WithCallDepth(depth int) logr.LogSink {
	s.depth += depth
	return s
}

// TestRequestLoggerAddsTheUIDToLinesWritten: every line of a request's
// logger carries its UID, before any value added later, while nothing is
// encoded for the lines never written (no WithValues reaches the sink),
// and the line's source skips the wrapper's frame.
func TestRequestLoggerAddsTheUIDToLinesWritten(t *testing.T) {
	var lines []string
	var withValues int
	base := logr.New(recordingSink{lines: &lines, withValues: &withValues})
	req := &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "uid-7"}}
	log := requestLogger(base, req)
	log.V(5).Info("received request") // debug: not written
	log.WithValues("kind", "Gateway").Error(errors.New("boom"), "panic recovered")
	log.Info("answered")
	want := []string{
		"depth=1 error boom panic recovered [requestID uid-7 kind Gateway]",
		"depth=1 info answered [requestID uid-7]",
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines\n got: %q\nwant: %q", lines, want)
	}
	if withValues != 0 {
		t.Errorf("the sink was asked WithValues %d times, want none: the values ride on the lines", withValues)
	}
	if _, lazy := requestLogger(base, nil).GetSink().(lazyValues); lazy {
		t.Error("a logger without a request is wrapped, want the base logger")
	}
}
