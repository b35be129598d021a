#!/usr/bin/env bash
# Regenerates internal/gen/conformancev1 from the connectrpc conformance
# protos.
#
# The buf.build/gen/go SDK for these protos is not reachable from the Go
# proxy, and the conformance module keeps its own generated code under
# internal/, so we generate our own copy from the .proto files that ship in
# the conformance module (the same version that go.mod pins as a tool).
#
# buf compiles the protos (no protoc or other system package is needed);
# it and the Go plugins are pinned below and installed from the Go module
# proxy into <repo>/.tmp/bin, so that whatever happens to be on PATH cannot
# change the output.
set -euo pipefail

CONFORMANCE_VERSION=v1.0.7
BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin="$root/.tmp/bin"
mkdir -p "$bin"

# Install the plugins only when the pinned version is not already there, so
# that reruns are fast and work offline.
install_plugin() { # name module version
	local name=$1 module=$2 version=$3
	if [[ ! -x "$bin/$name" ]] || ! "$bin/$name" --version 2>/dev/null | grep -q "${version#v}"; then
		GOBIN="$bin" GOFLAGS=-mod=mod go install "$module@$version"
	fi
}
install_plugin buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION"
install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

# Run go from outside any module so the download is not tied to a go.mod.
src=$(cd / && GOFLAGS=-mod=mod go mod download -json "connectrpc.com/conformance@$CONFORMANCE_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z "$src" || ! -d "$src/proto" ]]; then
	echo "generate.sh: could not find connectrpc.com/conformance@$CONFORMANCE_VERSION in the module cache" >&2
	exit 1
fi

# The protos have no go_package option, so map every file to our package
# with M options.
module=github.com/lambdagrpc/lambdagrpc/conformance
pkg=$module/internal/gen/conformancev1
opts="      - module=$module"
for f in "$src"/proto/connectrpc/conformance/v1/*.proto; do
	rel=${f#"$src/proto/"}
	opts="$opts
      - M$rel=$pkg;conformancev1"
done
template=$(mktemp --suffix=.yaml)
trap 'rm -f "$template"' EXIT
cat >"$template" <<YAML
version: v2
plugins:
  - local: $bin/protoc-gen-go
    out: .
    opt:
$opts
  - local: $bin/protoc-gen-go-grpc
    out: .
    opt:
$opts
YAML

out="$here/internal/gen/conformancev1"
rm -rf "$out"
mkdir -p "$out"
# module= strips the module prefix from the import path, so the files land
# in internal/gen/conformancev1 directly.
"$bin/buf" generate "$src/proto" --template "$template" -o "$here"

echo "generated $(ls "$out" | wc -l) files in ${out#"$root/"}"
