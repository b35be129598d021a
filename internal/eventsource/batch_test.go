package eventsource

import (
	"slices"
	"testing"
)

func TestGroupItems(t *testing.T) {
	for _, tc := range []struct {
		groups        []string
		order, starts []int
	}{
		{[]string{"", "", ""}, []int{0, 1, 2}, []int{0, 1, 2, 3}},
		{[]string{"a", "b", "a", "", "b", "a"}, []int{0, 2, 5, 1, 4, 3}, []int{0, 3, 5, 6}},
		{[]string{"", "a", "", "a"}, []int{0, 1, 3, 2}, []int{0, 1, 3, 4}},
		{[]string{"x", "x"}, []int{0, 1}, []int{0, 2}},
	} {
		items := make([]item, len(tc.groups))
		for i, g := range tc.groups {
			items[i].group = g
		}
		order, starts := groupItems(items)
		if !slices.Equal(order, tc.order) || !slices.Equal(starts, tc.starts) {
			t.Errorf("groupItems(%q) = %v, %v; want %v, %v", tc.groups, order, starts, tc.order, tc.starts)
		}
	}
}
