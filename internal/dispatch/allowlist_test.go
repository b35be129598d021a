package dispatch

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
)

// TestAllowListIsComplete fails when the grpc-go in go.mod has a field that
// is not on the allow-lists, or the lists name one it lacks: after an
// upgrade, review each new field (must the direct path honour it?) before
// listing it, and delete those that went.
func TestAllowListIsComplete(t *testing.T) {
	sv := reflect.ValueOf(grpc.NewServer()).Elem()
	for _, c := range []struct {
		t    reflect.Type
		list []listed
	}{{sv.Type(), serverFields}, {sv.FieldByName("opts").Type(), optionFields}} {
		seen := map[string]bool{}
		for i := range c.t.NumField() {
			f := c.t.Field(i)
			seen[f.Name] = true
			i := slices.IndexFunc(c.list, func(l listed) bool { return l.name == f.Name })
			if i < 0 {
				t.Errorf("%s.%s (%s) is not on the allow-list: review what it does and whether the direct path must honour it", c.t, f.Name, f.Type)
			} else if want := c.list[i].typ; want != f.Type.String() {
				t.Errorf("%s.%s is now a %s, listed as %s: review the change", c.t, f.Name, f.Type, want)
			}
		}
		for _, l := range c.list {
			if !seen[l.name] {
				t.Errorf("%s has no field %s any more: take it off the allow-list", c.t, l.name)
			}
		}
	}
	if why := checkShape(grpc.NewServer()); why != "" {
		t.Errorf("checkShape = %q for go.mod's grpc-go", why)
	}
}

// TestUnlistedFieldRefused: a struct with one field more than the list is
// refused, naming the field.
func TestUnlistedFieldRefused(t *testing.T) {
	type server struct {
		opts    int    //nolint:unused // only its type is read
		newFeat func() //nolint:unused // only its type is read
	}
	list := []listed{{"opts", "int"}}
	why := unlisted(reflect.TypeFor[server](), list)
	if !strings.Contains(why, "newFeat func()") {
		t.Fatalf("unlisted = %q, want it to name newFeat", why)
	}
	list = append(list, listed{"newFeat", "func()"})
	if why := unlisted(reflect.TypeFor[server](), list); why != "" {
		t.Fatalf("unlisted = %q with every field listed", why)
	}
	list[0].typ = "int64"
	if why := unlisted(reflect.TypeFor[server](), list); !strings.Contains(why, "opts int") {
		t.Fatalf("unlisted = %q for a retyped field", why)
	}
}
