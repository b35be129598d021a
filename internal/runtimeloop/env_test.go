package runtimeloop

import "testing"

func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		limit int64
		ok    bool
	}{
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 128 << 20 / 10 * 9, true},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 10240 << 20 / 10 * 9, true},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "GOMEMLIMIT": "off"}, 0, false},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 0, false},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "-5"}, 0, false},
		{map[string]string{}, 0, false},
	} {
		limit, ok := MemoryLimit(func(k string) string { return tc.env[k] })
		if limit != tc.limit || ok != tc.ok {
			t.Errorf("MemoryLimit(%v) = %d, %v; want %d, %v", tc.env, limit, ok, tc.limit, tc.ok)
		}
	}
}

func TestConcurrency(t *testing.T) {
	for env, want := range map[string]int{"": 1, "1": 1, "8": 8, "0": 1, "-3": 1, "many": 1} {
		if got := Concurrency(func(string) string { return env }); got != want {
			t.Errorf("Concurrency with AWS_LAMBDA_MAX_CONCURRENCY=%q = %d, want %d", env, got, want)
		}
	}
}
