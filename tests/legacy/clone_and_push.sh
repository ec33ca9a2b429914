#!/usr/bin/env bash
# The "register in the plugin registry" step plugin repositories ran before registry-action,
# kept as it was so that tests can produce the registries it left behind. Two changes keep it
# off the network: the registry checkout is a local git repository given as $1 (the original
# ran `git clone https://x-access-token:${REGISTRY_TOKEN}@github.com/org/plugin-registry.git`
# and `cd plugin-registry`), and the final `git push` is left out.
#
# Each plugin's workflow carried its own copy, with its manifest typed into a quoted heredoc:
# the quotes stop every expansion, so "$(date ...)" lands in the file as it is written here.
#
# Usage: clone_and_push.sh REGISTRY_CHECKOUT PLUGIN   (PLUGIN: Calendar2 or Weather-App)
set -euo pipefail
cd "$1"
PLUGIN_ID=$2
mkdir -p plugins

case "$PLUGIN_ID" in
Calendar2)
cat > "plugins/$PLUGIN_ID.json" << 'EOF'
{
  "id": "Calendar2",
  "name": "Calendar2",
  "version": "1.1.0",
  "description": "Team calendar",
  "ui": {
    "remoteEntry": "https://calendar2-ui.pages.dev/assets/remoteEntry.js",
    "expose": "./PluginApp"
  },
  "server": {
    "routeBase": "/api/integrations/calendar2",
    "deploymentUrl": "https://calendar2.fly.dev",
    "healthCheck": "/api/health"
  },
  "manifestUrl": "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/Calendar2.json",
  "lastUpdated": "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
}
EOF
;;
Weather-App)
cat > "plugins/$PLUGIN_ID.json" << 'EOF'
{
  "id": "Weather-App",
  "name": "Weather-App",
  "version": "0.3.1",
  "description": "Forecasts for every office",
  "ui": {
    "remoteEntry": "https://weather-app-ui.pages.dev/assets/remoteEntry.js",
    "expose": "./PluginApp"
  },
  "server": {
    "routeBase": "/api/integrations/weather-app",
    "deploymentUrl": "https://weather-app.fly.dev",
    "healthCheck": "/api/health"
  },
  "manifestUrl": "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/Weather-App.json",
  "lastUpdated": "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
}
EOF
;;
*)
echo "no workflow step for $PLUGIN_ID" >&2
exit 2
;;
esac

"${PYTHON:-python3}" - "$PLUGIN_ID" << 'PY'
import json
import sys
from datetime import datetime

plugin_id = sys.argv[1]
with open(f"plugins/{plugin_id}.json") as f:
    manifest = json.load(f)
try:
    with open("registry.json") as f:
        registry = json.load(f)
except Exception:
    registry = {"version": "1.0.0", "plugins": []}
entry = {key: manifest[key] for key in ("id", "name", "version", "manifestUrl")}
registry["plugins"] = [p for p in registry["plugins"] if p["id"] != plugin_id] + [entry]
registry["lastUpdated"] = datetime.utcnow().isoformat() + 'Z'
with open("registry.json", "w") as f:
    json.dump(registry, f, indent=2)
PY

git add -A
git commit -q -m "Register $PLUGIN_ID"
