# Sourced by scripts/serve and scripts/test: finds Python 3.12+, makes .venv, installs the lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.14 python3.13 python3.12 python3 \
      "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if ! { [ -x .venv/bin/python ] && python_ok .venv/bin/python; }; then
  if ! PY=$(find_python); then
    echo "Handbook Review needs Python 3.12 or newer, and none was found." >&2
    echo "Install it (e.g. 'apt install python3.12' or from python.org), or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "Creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
fi

export UV_PYTHON="$PWD/.venv/bin/python" UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$PWD/.venv"
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
fi
# Exactly what uv.lock says, nothing more, nothing less.
.venv/bin/uv sync --frozen --quiet
# The interface languages: compiled from locale/*.po in Python (Babel), no GNU gettext needed.
.venv/bin/python manage.py catalogs compile >/dev/null
