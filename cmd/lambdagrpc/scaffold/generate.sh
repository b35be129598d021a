#!/usr/bin/env bash
# Regenerates gen/ from proto/ with buf and the pinned plugins, installed
# with go install into .tmp/bin (or $TOOLS_BIN) on first use: no protoc is
# needed.
set -euo pipefail
cd "$(dirname "$0")"

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

bin="${TOOLS_BIN:-$PWD/.tmp/bin}"
mkdir -p "$bin"
export PATH="$bin:$PATH"
# install NAME VERSION PACKAGE: go install PACKAGE@VERSION into $bin
# unless the binary there already reports that version.
install() {
  if ! "$bin/$1" --version 2>/dev/null | grep -q "${2#v}"; then
    echo "generate.sh: installing $1 $2 into $bin" >&2
    GOBIN="$bin" go install "$3@$2"
  fi
}
install buf "$BUF_VERSION" github.com/bufbuild/buf/cmd/buf
install protoc-gen-go "$PROTOC_GEN_GO_VERSION" google.golang.org/protobuf/cmd/protoc-gen-go
install protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" google.golang.org/grpc/cmd/protoc-gen-go-grpc

buf lint
buf generate
