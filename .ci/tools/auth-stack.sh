#!/usr/bin/env bash
# Installs, once, the real software the auth integration test (test/integration/) runs, and prints where it is.
#
#   Debian packages: slapd + ldap-utils (OpenLDAP), postgresql (metadata DB), openssl (test CA),
#                    gcc + libldap2-dev + libsasl2-dev (to build python-ldap, which PyPI ships as source only).
#   Python venv:     Airflow 3.3.2 + FAB/celery/postgres providers + python-ldap + authlib + statsd, every version pinned in
#                    test/integration/requirements.txt (Airflow's constraints file is not reachable from CI).
#
#   CDK8S_AIRFLOW_CACHE   cache root (default $HOME/.cache/cdk8s-airflow); the venv lives in <cache>/auth-stack/
#   AIRFLOW_PYTHON        Python >= 3.11 that creates the venv (default python3; the FAB provider needs 3.11+)
#
# Idempotent: installed packages and a venv built from the same requirements are reused. apt-get runs only for
# missing packages, as root (CI) or through passwordless sudo. Logs go to stderr; stdout carries only KEY=VALUE
# lines: AUTH_STACK_PYTHON, AUTH_STACK_AIRFLOW, SLAPD, SLAPADD, PG_BIN, OPENSSL.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
requirements="${here}/../../test/integration/requirements.txt"
cache_root="${CDK8S_AIRFLOW_CACHE:-${HOME:-/tmp}/.cache/cdk8s-airflow}"
stack_dir="${cache_root}/auth-stack"
python="${AIRFLOW_PYTHON:-python3}"
packages=(slapd ldap-utils postgresql openssl gcc libldap2-dev libsasl2-dev)

log() { echo "auth-stack: $*" >&2; }
die() { echo "auth-stack: error: $*" >&2; exit 1; }
# shellcheck source=pinned-venv.sh
. "${here}/pinned-venv.sh"

mkdir -p "$stack_dir"
exec 9>"${stack_dir}/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# 1. Debian packages.
# slapd's own configuration and service are never used: the test writes its own slapd.conf and port.
bash "${here}/apt-install.sh" auth-stack "${packages[@]}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "${pg_bin}/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
[ -x /usr/sbin/slapd ] || die "/usr/sbin/slapd not found after installing slapd"

# 2. The Airflow venv, rebuilt when the requirements change.
pyver="$(python_version "$python" AIRFLOW_PYTHON)"
venv="${stack_dir}/venv-py${pyver}-$(sha256sum "$requirements" | cut -c1-12)"
pinned_venv "$python" "$venv" "$requirements" 'ldap, authlib, statsd, airflow.providers.fab, airflow.providers.celery'

echo "AUTH_STACK_PYTHON=${venv}/bin/python"
echo "AUTH_STACK_AIRFLOW=${venv}/bin/airflow"
echo "SLAPD=/usr/sbin/slapd"
echo "SLAPADD=/usr/sbin/slapadd"
echo "PG_BIN=${pg_bin}"
echo "OPENSSL=$(command -v openssl)"
