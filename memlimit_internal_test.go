package lambdagrpc

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
		limit, ok := memoryLimit(func(k string) string { return tc.env[k] })
		if limit != tc.limit || ok != tc.ok {
			t.Errorf("memoryLimit(%v) = %d, %v; want %d, %v", tc.env, limit, ok, tc.limit, tc.ok)
		}
	}
}
