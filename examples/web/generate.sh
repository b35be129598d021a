#!/usr/bin/env bash
# npm run generate: writes gen/greeter_pb.js, the connect-es code of the
# greeter, from ../greeter/greeterpb with the buf and protoc-gen-es of
# node_modules. greeter.proto imports google/api/annotations.proto for its
# REST bindings, so it is compiled in a buf workspace beside the googleapis
# protos of a Go module (as scripts/generate.sh does), and the google.api.http
# options are left out of the image: the page needs no REST bindings, and
# gen/ then has no googleapis code to carry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
GOOGLEAPIS_MODULE=github.com/grpc-ecosystem/grpc-gateway
GOOGLEAPIS_MODULE_VERSION=v1.16.0
googleapis=$(cd / && GOFLAGS=-mod=mod go mod download -json "$GOOGLEAPIS_MODULE@$GOOGLEAPIS_MODULE_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/third_party/googleapis
if [[ ! -f "$googleapis/google/api/annotations.proto" ]]; then
  echo "generate.sh: no google/api/annotations.proto in $GOOGLEAPIS_MODULE@$GOOGLEAPIS_MODULE_VERSION" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$here/../greeter/greeterpb" "$work/src"
ln -s "$googleapis" "$work/googleapis"
printf 'version: v2\nmodules:\n  - path: src\n  - path: googleapis\n' >"$work/buf.yaml"
cd "$here"
buf generate "$work/src" --template buf.gen.yaml --exclude-type google.api.http
