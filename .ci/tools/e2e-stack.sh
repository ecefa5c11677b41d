#!/usr/bin/env bash
# Installs, once, what the end-to-end tier (test/e2e/, `npm run test:e2e`) runs, and prints where it is.
#
#   Debian packages: bubblewrap (the pod sandboxes), redis-server (the Redis pod's redis-server and redis-cli),
#                    util-linux (setpriv, nsenter), and through .ci/tools/auth-stack.sh postgresql and the
#                    Airflow 3.3.2 venv (with the celery, postgres, fab and standard providers).
#
# Idempotent; apt-get runs only for missing packages, as root (CI) or through passwordless sudo. Logs go to stderr;
# stdout carries only KEY=VALUE lines: E2E_PYTHON, E2E_AIRFLOW, E2E_VENV, E2E_PYTHON_HOME, PG_BIN, REDIS_SERVER,
# REDIS_CLI, BWRAP, SETPRIV, NSENTER.
#
# The tier runs every pod as a bubblewrap sandbox (mount, PID, IPC and UTS namespaces) and switches to the pod's
# UID/GID with setpriv, so it needs root (or an environment where bwrap may create those namespaces as root):
# this script checks that a sandbox can be created and says why not otherwise.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
packages=(bubblewrap redis-server util-linux)

log() { echo "e2e-stack: $*" >&2; }
die() { echo "e2e-stack: error: $*" >&2; exit 1; }

# redis-server's own service is never started here (no init system in CI); the test runs the Redis pod's command.
bash "${here}/apt-install.sh" e2e-stack "${packages[@]}"

# PostgreSQL and the Airflow venv: the integration tier's script.
stack="$(bash "${here}/auth-stack.sh")" || die "bash .ci/tools/auth-stack.sh failed (see above)"
kv() { printf '%s\n' "$stack" | sed -n "s/^$1=//p"; }
python="$(kv AUTH_STACK_PYTHON)"
venv="$(dirname "$(dirname "$python")")"
python_home="$("$python" -c 'import sys; print(sys.base_prefix)')"

for tool in bwrap setpriv nsenter redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found after installing ${packages[*]}"
done
[ "$(id -u)" = 0 ] || die "the end-to-end tier runs pods as their own UIDs (setpriv inside bubblewrap): run it as root"

# Can bubblewrap create the namespaces the pods need?
if ! err="$(bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-ipc --unshare-uts --hostname e2e-check \
    --die-with-parent -- setpriv --reuid 50000 --regid 0 --clear-groups --inh-caps=-all --bounding-set=-all true 2>&1)"; then
  die "bubblewrap cannot create a sandbox here (mount, PID, IPC and UTS namespaces, then setpriv to UID 50000): ${err}
  (in a container, run it privileged or with CAP_SYS_ADMIN and an unconfined seccomp/AppArmor profile)"
fi

echo "E2E_PYTHON=${python}"
echo "E2E_AIRFLOW=$(kv AUTH_STACK_AIRFLOW)"
echo "E2E_VENV=${venv}"
echo "E2E_PYTHON_HOME=${python_home}"
echo "PG_BIN=$(kv PG_BIN)"
echo "REDIS_SERVER=$(command -v redis-server)"
echo "REDIS_CLI=$(command -v redis-cli)"
echo "BWRAP=$(command -v bwrap)"
echo "SETPRIV=$(command -v setpriv)"
echo "NSENTER=$(command -v nsenter)"
