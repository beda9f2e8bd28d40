# Sourced by the scripts: make .venv and install the project into it.
# Usage: ensure_venv [extra]   (extra: "" or "test" or "bench")

_pip() {  # quiet on success, the whole log on failure
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip --disable-pip-version-check "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "pip $* failed" >&2
    return 1
  fi
  rm -f "$log"
}

ensure_venv() {
  local extra="${1:-}"
  local py="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $("$py" --version) …"
    "$py" -m venv .venv
  fi
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp=".venv/.installed-${extra:-base}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing secrecy-gate${extra:+ with [$extra]} into .venv …"
    _pip install -q --upgrade pip
    _pip install -q -e "$spec"
    touch "$stamp"
  fi
}
