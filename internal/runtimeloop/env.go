package runtimeloop

import "strconv"

// Concurrency returns how many invocations the environment runs at once:
// AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances), or 1.
func Concurrency(getenv func(string) string) int {
	if n, err := strconv.Atoi(getenv("AWS_LAMBDA_MAX_CONCURRENCY")); err == nil && n > 1 {
		return n
	}
	return 1
}

// MemoryLimit returns the soft memory limit for the Go runtime on Lambda:
// nine tenths of the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
// in MB), so that the collector works harder as a large call nears the
// limit instead of the function being stopped for exceeding it. A
// GOMEMLIMIT of the program's own wins.
func MemoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 || mb > 1<<20 {
		return 0, false
	}
	return mb << 20 / 10 * 9, true
}
