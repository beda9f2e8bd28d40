# Sourced by the scripts: make .venv and install the project into it.
# Usage: ensure_venv [extra]   (extra: "" or "test" or "bench")
ensure_venv() {
  local extra="${1:-}"
  local py="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  local spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp=".venv/.installed-${extra:-base}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install --disable-pip-version-check -q -e "$spec" 2>&1 \
      | grep -v -e "is ignored: it is neither a file nor a directory" || true
    .venv/bin/python -c "import secrecy_gate" || { echo "install failed" >&2; exit 1; }
    touch "$stamp"
  fi
}
