#!/usr/bin/env bash
# grpc-drift.sh: run the tests that depend on grpc-go's internals against
# grpc-go's latest release, in a copy of the module, and print which
# dispatch path engaged. A release that changes what the direct path reads
# fails here the day it is out, not in a user's function.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
(cd "$root" && git ls-files --cached --others --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$tmp"
cd "$tmp"
go get google.golang.org/grpc@latest
go mod tidy
echo "grpc-go: $(go list -m -f '{{.Version}}' google.golang.org/grpc) (go.mod of the repository: $(cd "$root" && go list -m -f '{{.Version}}' google.golang.org/grpc))"
go test -race -count=1 ./internal/dispatch ./internal/protocol .
go test -race -count=1 -skip TestDirect . -servehttp
go test -count=1 -run '^TestDispatchPath$' -v . | grep 'dispatch path:'
