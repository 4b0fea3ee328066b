package webhook

import (
	"slices"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// requestLogger replaces controller-runtime's per-request logger, whose six
// key/value pairs zap encodes eagerly on every request for lines that
// mostly run at debug verbosity. It keeps the request UID, which the
// apiserver's audit log shares, so that a recovered panic can still be
// traced to its request, but adds it only to the lines actually written:
// zap's WithValues clones its encoder and encodes the value up front, a
// buffer and a reflection pass per request (4% of a decision's CPU and 13%
// of its garbage). The handlers log the object's identity themselves where
// they log.
func requestLogger(base logr.Logger, req *admission.Request) logr.Logger {
	if req == nil || base.GetSink() == nil {
		return base
	}
	sink := base.GetSink()
	if withDepth, ok := sink.(logr.CallDepthLogSink); ok {
		sink = withDepth.WithCallDepth(1) // the caller, not lazyValues, is the line's source
	}
	return base.WithSink(lazyValues{LogSink: sink, values: []any{"requestID", string(req.UID)}})
}

// lazyValues is a logr.LogSink that hands its values to the sink it wraps
// with each line written, instead of up front.
type lazyValues struct {
	logr.LogSink
	values []any
}

func (s lazyValues) Info(level int, msg string, keysAndValues ...any) {
	s.LogSink.Info(level, msg, append(slices.Clip(s.values), keysAndValues...)...)
}

func (s lazyValues) Error(err error, msg string, keysAndValues ...any) {
	s.LogSink.Error(err, msg, append(slices.Clip(s.values), keysAndValues...)...)
}

func (s lazyValues) WithValues(keysAndValues ...any) logr.LogSink {
	return lazyValues{LogSink: s.LogSink, values: append(slices.Clip(s.values), keysAndValues...)}
}

func (s lazyValues) WithName(name string) logr.LogSink {
	return lazyValues{LogSink: s.LogSink.WithName(name), values: s.values}
}
