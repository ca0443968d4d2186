#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter, or explains what to install and fails.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
candidates=(python3.13 python3.12)
for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions"/3.13* "${PYENV_ROOT:-$HOME/.pyenv}/versions"/3.12*; do
  [ -x "$root/bin/python" ] && candidates+=("$root/bin/python")
done
candidates+=(python3 python)
for c in "${candidates[@]}"; do
  if path=$(command -v "$c" 2>/dev/null) && ok "$path"; then echo "$path"; exit 0; fi
done
echo "fahrplan: no Python >= 3.12 found: install Python 3.12 or 3.13 (e.g. \`pyenv install 3.13\`)." >&2
exit 1
