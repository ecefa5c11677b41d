#!/usr/bin/env bash
# Prints the path of the pinned trivy, building it once with Go (see go-install.sh).
#   TRIVY_VERSION   pinned version (default v0.74.0)
#
# Built as trivy's goreleaser.yml builds its releases: GOEXPERIMENT=jsonv2 (trivy needs encoding/json/v2) and the
# version stamped into pkg/version/app.ver, so `trivy --version` names it. About 5 minutes on 2 cores, once.
# Only `trivy config` (misconfiguration checks) is used here, offline: the checks embedded in the binary
# (--skip-check-update), no vulnerability DB (config scans never need one); see test/validate/scanners.ts.
set -euo pipefail
version="${TRIVY_VERSION:-v0.74.0}"
export GOEXPERIMENT="${GOEXPERIMENT:+${GOEXPERIMENT},}jsonv2"
export GO_INSTALL_LDFLAGS="-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${version#v}"
exec bash "$(dirname "$0")/go-install.sh" trivy github.com/aquasecurity/trivy/cmd/trivy "$version"
