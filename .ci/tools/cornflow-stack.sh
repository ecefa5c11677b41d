#!/usr/bin/env bash
# Installs, once, the Cornflow side of the Cornflow integration test (test/integration/cornflow.test.ts), and prints
# where it is. slapd, PostgreSQL, openssl and the Airflow 3.3.2 venv come from .ci/tools/auth-stack.sh (run first).
#
#   Debian packages: gcc + libpq-dev (psycopg2, pinned by cornflow, is built from source), redis-server (the Redis
#                    Deployment's redis-server and redis-cli, for the CeleryExecutor scenario; as in e2e-stack.sh, its
#                    own service is never started: the test runs the rendered command).
#   Server venv:     cornflow 1.3.9 and every dependency pinned in test/integration/requirements-cornflow.txt,
#                    installed with --no-deps (the list is the complete resolved set).
#   Client dir:      cornflow-client 1.3.9 + the packages of test/integration/requirements-cornflow-client.txt,
#                    installed with --no-deps --target into a directory put on PYTHONPATH of the Airflow processes
#                    only (the Airflow venv is not modified).
#
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow); everything lives in <cache>/cornflow-stack/
#   CORNFLOW_PYTHON       Python >= 3.11 that creates the venv (default python3; must match the Airflow venv's
#                         minor version for the client directory's compiled packages)
#
# Idempotent: a venv/directory built from the same requirements file is reused (keyed by its hash). Logs go to
# stderr; stdout carries only KEY=VALUE lines: CORNFLOW_PYTHON, CORNFLOW_GUNICORN, CORNFLOW_CLIENT_PATH, REDIS_SERVER,
# REDIS_CLI.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
server_req="${here}/../../test/integration/requirements-cornflow.txt"
client_req="${here}/../../test/integration/requirements-cornflow-client.txt"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
stack_dir="${cache_root}/cornflow-stack"
python="${CORNFLOW_PYTHON:-python3}"
packages=(gcc libpq-dev redis-server)
pip_flags=(--quiet --disable-pip-version-check --no-cache-dir --no-deps)

log() { echo "cornflow-stack: $*" >&2; }
die() { echo "cornflow-stack: error: $*" >&2; exit 1; }
# shellcheck source=pinned-venv.sh
. "${here}/pinned-venv.sh"

mkdir -p "$stack_dir"
exec 9>"${stack_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# 1. Debian packages.
bash "${here}/apt-install.sh" cornflow-stack "${packages[@]}"

for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found after installing ${packages[*]}"
done

pyver="$(python_version "$python" CORNFLOW_PYTHON)"

# 2. The Cornflow server venv.
server="${stack_dir}/server-py${pyver}-$(sha256sum "$server_req" | cut -c1-12)"
pinned_venv "$python" "$server" "$server_req" 'cornflow.app, cornflow_client, ldap3, psycopg2, gevent' --no-deps

# 3. cornflow-client for the Airflow processes (a --target directory, not a venv).
client="${stack_dir}/airflow-client-py${pyver}-$(sha256sum "$client_req" | cut -c1-12)"
if [ ! -f "${client}/.complete" ]; then
  log "building ${client} (one-off) ..."
  rm -rf "$client"
  "${server}/bin/pip" install "${pip_flags[@]}" --target "${client}/site" -r "$client_req" >&2 \
    || die "pip install --target -r ${client_req} failed (see above)"
  rm -rf "${client}/site/bin"
  touch "${client}/.complete"
  for old in "${stack_dir}"/airflow-client-*; do [ "$old" = "$client" ] || rm -rf "$old"; done
fi

echo "CORNFLOW_PYTHON=${server}/bin/python"
echo "CORNFLOW_GUNICORN=${server}/bin/gunicorn"
echo "CORNFLOW_CLIENT_PATH=${client}/site"
echo "REDIS_SERVER=$(command -v redis-server)"
echo "REDIS_CLI=$(command -v redis-cli)"
