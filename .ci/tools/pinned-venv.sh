# Sourced by the stack scripts (auth-stack.sh, cornflow-stack.sh): the checks and the venv build they share. The
# sourcing script defines log() and die() first.

# python_version PYTHON OVERRIDE_VAR: prints PYTHON's major.minor; dies unless it exists and is >= 3.11 (the FAB
# provider and Cornflow need it), naming the variable that picks another interpreter.
python_version() {
  local python="$1" override="$2" version
  command -v "$python" >/dev/null 2>&1 || die "$python not found; set ${override} to a Python >= 3.11"
  version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$python is Python ${version}; use >= 3.11 (set ${override})"
  echo "$version"
}

# pinned_venv PYTHON DIR REQUIREMENTS IMPORTS [PIP_FLAGS...]: builds the venv DIR once from the pinned REQUIREMENTS
# (DIR/.complete marks a finished build), checks that `import IMPORTS` works, and removes the older venvs beside it
# (DIR's name up to its last '-' is their common prefix; the suffix is the requirements' hash). With --no-deps among
# the flags the file is the complete resolved set, so `pip check` must pass too.
pinned_venv() {
  local python="$1" dir="$2" requirements="$3" imports="$4"
  shift 4
  [ -f "${dir}/.complete" ] && return 0
  log "building ${dir} (one-off) ..."
  rm -rf "$dir"
  "$python" -m venv "$dir" >&2
  "${dir}/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$@" -r "$requirements" >&2 \
    || die "pip install -r ${requirements} failed (see above)"
  case " $* " in
    *" --no-deps "*) "${dir}/bin/pip" check >&2 || die "the pinned set in ${requirements} is inconsistent (pip check above)" ;;
  esac
  "${dir}/bin/python" -c "import ${imports}" >&2 || die "the venv ${dir} does not import ${imports}"
  touch "${dir}/.complete"
  local old
  for old in "${dir%-*}"-*; do [ "$old" = "$dir" ] || rm -rf "$old"; done
}
