#!/usr/bin/env bash
# Regenerates the Go code of every .proto under examples/ and of the REST
# test service (internal/resttest/librarypb) with buf and the pinned plugins,
# all installed from the Go module proxy into .tmp/bin: no system package
# (protoc) is needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
PROTOC_GEN_GRPC_GATEWAY_VERSION=v2.33.0
# The googleapis protos (google/api/annotations.proto, http.proto,
# httpbody.proto) come from the third_party folder of this Go module, so
# that no schema registry is needed. They are only read, never committed.
GOOGLEAPIS_MODULE=github.com/grpc-ecosystem/grpc-gateway
GOOGLEAPIS_MODULE_VERSION=v1.16.0

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
install protoc-gen-grpc-gateway "$PROTOC_GEN_GRPC_GATEWAY_VERSION" github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway

# Run go from outside any module so the download is not tied to a go.mod.
googleapis=$(cd / && GOFLAGS=-mod=mod go mod download -json "$GOOGLEAPIS_MODULE@$GOOGLEAPIS_MODULE_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/third_party/googleapis
if [[ ! -f "$googleapis/google/api/annotations.proto" ]]; then
  echo "generate.sh: no google/api/annotations.proto in $GOOGLEAPIS_MODULE@$GOOGLEAPIS_MODULE_VERSION" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# generate DIR TEMPLATE: generates the code of the .proto files in DIR beside
# them. DIR is a buf module of its own, so its files keep the names they are
# registered under ("greeter.proto"); it sits in a buf workspace beside the
# googleapis protos, so that it can import them.
generate() {
  rm -rf "${work:?}"/*
  ln -s "$root/$1" "$work/src"
  ln -s "$googleapis" "$work/googleapis"
  printf 'version: v2\nmodules:\n  - path: src\n  - path: googleapis\n' >"$work/buf.yaml"
  (cd "$work" && buf generate src --template "$root/$2" -o "$root/$1")
}

find examples -name '*.proto' -printf '%h\n' | sort -u | while IFS= read -r dir; do
  generate "$dir" buf.gen.yaml
done
# Only the REST test service gets grpc-gateway's generated mux: it is the
# reference that lambdagrpc's REST protocol is compared with.
generate internal/resttest/librarypb internal/resttest/buf.gen.yaml
