#!/usr/bin/env bash
# Builds one Go tool into a workspace's git-ignored .tools/bin, skipped when its stamp in .tools/stamps says it is
# already built from the same inputs. The one way Go-built tools are made here (each workspace's `tools` script):
#   build-go-tool.sh WORKSPACE TOOL                  the Go program in WORKSPACE/TOOL (stamp: its sources + Go version)
#   build-go-tool.sh WORKSPACE TOOL MODULE@VERSION   a pinned release, with go install (stamp: the version, also read
#                                                    back from the binary)
# Without a usable Go it keeps a tool already built; otherwise it stops with preflight.mjs's one line.
set -euo pipefail

ws="$(cd "$1" && pwd)"
tool="$2"
release="${3:-}"
bin="$ws/.tools/bin"
stamp="$ws/.tools/stamps/$tool"
preflight="$(dirname "${BASH_SOURCE[0]}")/preflight.mjs"

if ! problem="$(node "$preflight" build "$tool" 2>&1)"; then
  if [[ -x "$bin/$tool" ]]; then
    echo "$tool: no usable Go; keeping the one already built in $bin"
    exit 0
  fi
  echo "$problem" >&2
  exit 1
fi

mkdir -p "$bin" "$(dirname "$stamp")"
if [[ -n "$release" ]]; then
  module="${release%@*}"
  version="${release##*@}"
  inputs="$version"
  built="$(go version -m "$bin/$tool" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }' || true)"
  [[ "$built" == "$version" ]] || built=""
else
  inputs="$(cd "$ws/$tool" && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
  built="$([[ -x "$bin/$tool" ]] && echo yes || true)"
fi

if [[ -n "$built" && "$(cat "$stamp" 2>/dev/null)" == "$inputs" ]]; then
  echo "$tool: already built"
  exit 0
fi
echo "$tool: building${release:+ $release}"
if [[ -n "$release" ]]; then
  GOBIN="$bin" go install "$release"
else
  (cd "$ws/$tool" && go build -trimpath -o "$bin/$tool" .)
fi
echo "$inputs" >"$stamp"
