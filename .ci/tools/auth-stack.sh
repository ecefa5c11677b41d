#!/usr/bin/env bash
# Installs, once, the real software the auth integration test (test/integration/) runs, and prints where it is.
#
#   Debian packages: slapd + ldap-utils (OpenLDAP), postgresql (metadata DB), openssl (test CA),
#                    gcc + libldap2-dev + libsasl2-dev (to build python-ldap, which PyPI ships as source only).
#   Python venv:     Airflow 3.3.2 + FAB/celery/postgres providers + python-ldap + authlib, every version pinned in
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
command -v "$python" >/dev/null 2>&1 || die "$python not found; set AIRFLOW_PYTHON to a Python >= 3.11"
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$python is Python $pyver; the FAB provider needs >= 3.11 (set AIRFLOW_PYTHON)"
req_hash="$(sha256sum "$requirements" | cut -c1-12)"
venv="${stack_dir}/venv-py${pyver}-${req_hash}"
if [ ! -f "${venv}/.complete" ]; then
  log "building ${venv} (one-off) ..."
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "${venv}/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$requirements" >&2 \
    || die "pip install -r ${requirements} failed (see above)"
  "${venv}/bin/python" -c 'import ldap, authlib, airflow.providers.fab, airflow.providers.celery' >&2 \
    || die "the venv does not import ldap, authlib and the Airflow providers"
  touch "${venv}/.complete"
  # Older venvs of this stack are garbage.
  for old in "${stack_dir}"/venv-*; do [ "$old" = "$venv" ] || rm -rf "$old"; done
fi

echo "AUTH_STACK_PYTHON=${venv}/bin/python"
echo "AUTH_STACK_AIRFLOW=${venv}/bin/airflow"
echo "SLAPD=/usr/sbin/slapd"
echo "SLAPADD=/usr/sbin/slapadd"
echo "PG_BIN=${pg_bin}"
echo "OPENSSL=$(command -v openssl)"
