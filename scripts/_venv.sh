# Shared by scripts/run and scripts/test: create .venv with Python 3.11+ and install
# the project (again only when pyproject.toml changed).
ensure_venv() {
  local extras="$1"
  local py=${PYTHON:-}
  if [[ -z "$py" ]]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
      if command -v "$candidate" >/dev/null 2>&1 && \
         "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        py=$candidate; break
      fi
    done
  fi
  if [[ -z "$py" ]]; then
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
    exit 1
  fi
  if [[ ! -x .venv/bin/python ]]; then
    echo "creating .venv with $py" >&2
    "$py" -m venv .venv
  fi
  local stamp=".venv/.installed${extras}"
  if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "installing dependencies into .venv (first run takes a minute)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    touch "$stamp"
  fi
}
