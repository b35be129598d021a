#!/usr/bin/env bash
# Regenerates the Go code of every .proto under examples/ with buf and the
# pinned plugins, all installed from the Go module proxy into .tmp/bin: no
# system package (protoc) is needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

bin="$root/.tmp/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"
# install NAME VERSION PACKAGE: go install PACKAGE@VERSION into .tmp/bin
# unless the binary there already reports that version.
install() {
  if ! "$bin/$1" --version 2>/dev/null | grep -q "${2#v}"; then
    echo "generate.sh: installing $1 $2 into .tmp/bin" >&2
    GOBIN="$bin" go install "$3@$2"
  fi
}
install buf "$BUF_VERSION" github.com/bufbuild/buf/cmd/buf
install protoc-gen-go "$PROTOC_GEN_GO_VERSION" google.golang.org/protobuf/cmd/protoc-gen-go
install protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" google.golang.org/grpc/cmd/protoc-gen-go-grpc

# Each folder holding .proto files is a buf module of its own, so the files
# keep the names they are registered under ("greeter.proto").
find examples -name '*.proto' -printf '%h\n' | sort -u | while IFS= read -r dir; do
  buf generate "$dir" --template buf.gen.yaml -o "$dir"
done
