#!/usr/bin/env bash
# Prints the path of the pinned CNCF distribution registry (an OCI registry), building it once with Go (see
# go-install.sh). test/artifact starts it on loopback with filesystem storage in a temporary directory.
#   OCI_REGISTRY_VERSION   pinned version (default v3.1.2)
set -euo pipefail
exec bash "$(dirname "$0")/go-install.sh" registry github.com/distribution/distribution/v3/cmd/registry "${OCI_REGISTRY_VERSION:-v3.1.2}"
