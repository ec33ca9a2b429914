#!/usr/bin/env bash
# Install the CLI the way docs/adopting.md tells users to, without a clone: build the wheel, put
# it in a fresh virtualenv of its own, and run the console script from there on a registry folder
# it made. Catches what an editable install hides: a module or a schema left out of the wheel.
#
#   bash .ci/package.sh
#
# Needs the project's virtualenv ($VENV, default .venv) for pip, and PyPI for the build backend
# and the dependencies.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${VENV:-$root/.venv}/bin/python"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# From a copy of what the image is built from too (.dockerignore): built in place, setuptools
# would leave build/ in the checkout, and a module removed from src/ would stay in the next wheel.
mkdir "$tmp/src"
tar -C "$root" --exclude=__pycache__ --exclude='*.egg-info' -c pyproject.toml README.md src |
    tar -C "$tmp/src" -x
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$tmp/dist" "$tmp/src"
wheels=("$tmp"/dist/registry_action-*.whl)
[[ -f "${wheels[0]}" ]] || { echo "no wheel built" >&2; exit 1; }
echo "built ${wheels[0]##*/}"

"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheels[0]}"
cli="$tmp/venv/bin/registry-action"

"$cli" --help >/dev/null
"$cli" register --registry-dir "$tmp/registry" --registry-repository org/plugin-registry \
    --plugin-id calendar --version 1.4.2
"$cli" validate --registry-dir "$tmp/registry"
