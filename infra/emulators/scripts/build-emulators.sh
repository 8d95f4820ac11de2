#!/usr/bin/env bash
# The two local emulators, built into infra/emulators/.tools/bin (git-ignored) by build-go-tool.sh:
#   fake-gcs-server  — pinned release, installed with `go install`
#   pubsub-emulator  — ./pubsub-emulator, a thin command around pstest
set -euo pipefail

FAKE_GCS_VERSION=v1.56.1

scripts="$(dirname "${BASH_SOURCE[0]}")"
bash "$scripts/build-go-tool.sh" "$scripts/.." fake-gcs-server "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
bash "$scripts/build-go-tool.sh" "$scripts/.." pubsub-emulator
