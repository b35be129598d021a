#!/usr/bin/env bash
# Regenerates the Go code of every .proto under examples/ with pinned
# plugins (installed into .tmp/bin) and Debian's protoc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

bin="$root/.tmp/bin"
mkdir -p "$bin"
export PATH="$bin:$PATH"
if ! protoc-gen-go --version 2>/dev/null | grep -q "${PROTOC_GEN_GO_VERSION}"; then
  GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO_VERSION}"
fi
if ! protoc-gen-go-grpc --version 2>/dev/null | grep -q "${PROTOC_GEN_GO_GRPC_VERSION#v}"; then
  GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"
fi
if ! command -v protoc >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q protobuf-compiler >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q protobuf-compiler >/dev/null; }
  else
    echo "generate.sh: protoc is missing: apt-get install protobuf-compiler" >&2
    exit 1
  fi
fi

find examples -name '*.proto' -print0 | while IFS= read -r -d '' proto; do
  dir=$(dirname "$proto")
  protoc -I "$dir" --go_out="$dir" --go_opt=paths=source_relative \
    --go-grpc_out="$dir" --go-grpc_opt=paths=source_relative "$proto"
done
