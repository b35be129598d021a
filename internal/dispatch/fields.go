package dispatch

import (
	"reflect"
	"sync/atomic"
	"unsafe"

	"google.golang.org/grpc"
)

// Reading grpc.Server's unexported fields: each accessor checks the field's
// name and type and returns nil if they differ, so a grpc-go release that
// changes one costs the direct path, never memory safety.

// field returns a pointer to the unexported field name of v if it has type T.
func field[T any](v reflect.Value, name string) *T {
	return (*T)(fieldAddr(v, name, reflect.TypeFor[T]()))
}

// fieldAddr returns the address of the field name of v if it has type t,
// else nil. (field's body, in one copy for every T.)
func fieldAddr(v reflect.Value, name string, t reflect.Type) unsafe.Pointer {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Type() != t || !f.CanAddr() {
		return nil
	}
	return unsafe.Pointer(f.UnsafeAddr())
}

// mapField returns a pointer to the map-typed unexported field name of v.
func mapField(v reflect.Value, name string) *unsafe.Pointer {
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.Map || !f.CanAddr() {
		return nil
	}
	return (*unsafe.Pointer)(unsafe.Pointer(f.UnsafeAddr()))
}

// serviceInfo mirrors grpc-go's per-service table; servicesField checks
// that the layouts agree field by field before it reads one.
type serviceInfo struct {
	serviceImpl any
	streams     map[string]*grpc.StreamDesc
	mdata       any //nolint:unused // the layout must match grpc-go's
}

// servicesField returns a pointer to s.services if its type has the layout
// of serviceInfo.
func servicesField(sv reflect.Value) *map[string]*serviceInfo {
	f := sv.FieldByName("services")
	if !f.IsValid() || !f.CanAddr() {
		return nil
	}
	t := f.Type()
	if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.Pointer {
		return nil
	}
	real, mirror := t.Elem().Elem(), reflect.TypeFor[serviceInfo]()
	if real.Kind() != reflect.Struct || real.NumField() != mirror.NumField() || real.Size() != mirror.Size() {
		return nil
	}
	for i := range mirror.NumField() {
		a, b := real.Field(i), mirror.Field(i)
		if a.Name != b.Name || a.Type != b.Type || a.Offset != b.Offset {
			return nil
		}
	}
	return (*map[string]*serviceInfo)(unsafe.Pointer(f.UnsafeAddr()))
}

// callMetrics points at the server's channelz call counters.
type callMetrics struct {
	started, succeeded, failed, lastStarted *atomic.Int64
}

// channelzMetrics finds the server's channelz call counters; nil if their
// shape changed (the calls are then not counted there).
func channelzMetrics(sv reflect.Value) *callMetrics {
	cz := sv.FieldByName("channelz")
	if !cz.IsValid() || cz.Kind() != reflect.Pointer || cz.IsNil() {
		return nil
	}
	m := cz.Elem().FieldByName("ServerMetrics")
	if !m.IsValid() {
		return nil
	}
	m = reflect.NewAt(m.Type(), unsafe.Pointer(m.UnsafeAddr())).Elem()
	c := &callMetrics{
		started:     field[atomic.Int64](m, "CallsStarted"),
		succeeded:   field[atomic.Int64](m, "CallsSucceeded"),
		failed:      field[atomic.Int64](m, "CallsFailed"),
		lastStarted: field[atomic.Int64](m, "LastCallStartedTimestamp"),
	}
	if c.started == nil || c.succeeded == nil || c.failed == nil || c.lastStarted == nil {
		return nil
	}
	return c
}
