package protocol

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestEncodable checks Encodable against proto.Marshal: whatever it
// accepts, Marshal encodes; a bad string at any depth is refused.
func TestEncodable(t *testing.T) {
	const bad = "a\xffb"
	list := func(v *structpb.Value) *structpb.Value {
		return structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1), v}})
	}
	obj := func(k string, v *structpb.Value) *structpb.Value {
		return structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{k: v}})
	}
	for name, tc := range map[string]struct {
		m    proto.Message
		want bool
	}{
		"empty":          {&structpb.Struct{}, true},
		"string":         {wrapperspb.String("héllo"), true},
		"bad string":     {wrapperspb.String(bad), false},
		"nested":         {obj("k", list(obj("j", structpb.NewStringValue("ok")))), true},
		"bad map key":    {obj("k", list(obj(bad, structpb.NewNullValue()))), false},
		"bad map value":  {obj("k", obj("j", structpb.NewStringValue(bad))), false},
		"bad list value": {obj("k", list(structpb.NewStringValue(bad))), false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Encodable(tc.m); got != tc.want {
				t.Fatalf("Encodable = %v, want %v", got, tc.want)
			}
			if _, err := proto.Marshal(tc.m); (err == nil) != tc.want {
				t.Fatalf("proto.Marshal error %v, but Encodable = %v", err, tc.want)
			}
		})
	}
}
