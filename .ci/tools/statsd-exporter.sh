#!/usr/bin/env bash
# Prints the path of the pinned Prometheus statsd_exporter, building it once with Go (see go-install.sh). The version
# is the tag of the chart's default image (quay.io/prometheus/statsd-exporter, DefaultImages.STATSD_EXPORTER), so the
# metrics integration test runs the exporter the chart deploys.
#   STATSD_EXPORTER_VERSION   pinned version (default v0.28.0)
set -euo pipefail
exec bash "$(dirname "$0")/go-install.sh" statsd_exporter github.com/prometheus/statsd_exporter "${STATSD_EXPORTER_VERSION:-v0.28.0}"
