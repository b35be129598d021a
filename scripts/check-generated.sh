#!/usr/bin/env bash
# Fails when the committed generated code differs from what generate.sh and
# conformance/generate.sh produce now.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/generate.sh
conformance/generate.sh >/dev/null
if ! git diff --exit-code -- '*.pb.go' '*.pb.gw.go'; then
  echo "check-generated: the generated code is stale: run make generate and commit the result" >&2
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- '*.pb.go' '*.pb.gw.go')" ]; then
  echo "check-generated: generated files are not committed:" >&2
  git ls-files --others --exclude-standard -- '*.pb.go' '*.pb.gw.go' >&2
  exit 1
fi
