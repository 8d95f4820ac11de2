#!/usr/bin/env bash
# Builds the two local emulators into infra/emulators/.tools/bin (git-ignored):
#   fake-gcs-server  — pinned release, installed with `go install`
#   pubsub-emulator  — ./pubsub-emulator, a thin command around pstest
# Each is skipped when its stamp says it is already built from the same inputs.
set -euo pipefail

FAKE_GCS_VERSION=v1.56.1

ws="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$ws/.tools/bin"
stamps="$ws/.tools/stamps"

if ! command -v go >/dev/null 2>&1; then
  if [[ -x "$bin/fake-gcs-server" && -x "$bin/pubsub-emulator" ]]; then
    echo "emulators: Go not found; using the emulators already built in $bin"
    exit 0
  fi
  echo "emulators: Go (1.26 or newer) is needed to build fake-gcs-server and the Pub/Sub emulator; install it or use docker compose up" >&2
  exit 1
fi

mkdir -p "$bin" "$stamps"

# fake-gcs-server: skip when the binary exists and its embedded module version is the pinned one.
fake_stamp="$stamps/fake-gcs-server"
fake_version="$(go version -m "$bin/fake-gcs-server" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/fsouza/fake-gcs-server" { print $3 }' || true)"
if [[ "$fake_version" == "$FAKE_GCS_VERSION" && "$(cat "$fake_stamp" 2>/dev/null)" == "$FAKE_GCS_VERSION" ]]; then
  echo "emulators: fake-gcs-server $FAKE_GCS_VERSION already built"
else
  echo "emulators: building fake-gcs-server $FAKE_GCS_VERSION"
  GOBIN="$bin" go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  echo "$FAKE_GCS_VERSION" >"$fake_stamp"
fi

# pubsub-emulator: skip when its sources and the Go version are unchanged.
ps_stamp="$stamps/pubsub-emulator"
ps_inputs="$(cd "$ws/pubsub-emulator" && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [[ -x "$bin/pubsub-emulator" && "$(cat "$ps_stamp" 2>/dev/null)" == "$ps_inputs" ]]; then
  echo "emulators: pubsub-emulator already built"
else
  echo "emulators: building pubsub-emulator"
  (cd "$ws/pubsub-emulator" && go build -trimpath -o "$bin/pubsub-emulator" .)
  echo "$ps_inputs" >"$ps_stamp"
fi
