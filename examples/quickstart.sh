#!/usr/bin/env bash
# Register a sample plugin into a local registry folder: no GitHub, no token.
# Installs the package into a virtual environment first (.venv, or $VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
registry=${REGISTRY_DIR:-registry}
if [ ! -x "$venv/bin/registry-action" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e .
fi
"$venv/bin/registry-action" register \
  --registry-dir "$registry" \
  --registry-repository org/plugin-registry \
  --plugin-id calendar \
  --plugin-name "Calendar" \
  --version 1.4.2 \
  --description "Team calendar"
echo
echo "== $registry/registry.json"
cat "$registry/registry.json"
echo "== $registry/plugins/calendar.json"
cat "$registry/plugins/calendar.json"
