#!/usr/bin/env bash
# Set up relsim in ./.venv: find a Python >= 3.12, create the virtual environment, install relsim
# (editable) with the extras named as arguments. Re-running it is quick: it reinstalls only when
# pyproject.toml or the extras change.
#   bash setup.sh          # the model and the relsim command
#   bash setup.sh test     # ... plus what the tests need
set -euo pipefail
cd "$(dirname "$0")"
extras=$(IFS=,; echo "$*")

is_new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local cand
  for cand in "${PYTHON:-}" python3.13 python3.12 python3; do
    if [[ -n $cand ]] && command -v "$cand" >/dev/null && is_new_enough "$cand"; then
      command -v "$cand"; return
    fi
  done
  if command -v pyenv >/dev/null; then  # e.g. a machine whose default python3 is 3.11
    for cand in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -rV); do
      cand="$(pyenv root)/versions/$cand/bin/python3"
      if is_new_enough "$cand"; then echo "$cand"; return; fi
    done
  fi
  echo "setup.sh: error: relsim needs Python >= 3.12; none found (set PYTHON=/path/to/python3.12)" >&2
  exit 2
}

if [[ ! -x .venv/bin/python ]] || ! is_new_enough .venv/bin/python; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
stamp=".venv/.relsim-installed"
want="$(cat pyproject.toml; echo "extras=$extras")"
if [[ ! -f $stamp ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  echo "setup.sh: installing relsim${extras:+[$extras]} into .venv ..." >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
  printf '%s' "$want" > "$stamp"
fi
