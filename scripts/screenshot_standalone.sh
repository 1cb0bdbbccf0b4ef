#!/usr/bin/env bash
# Screenshot of the TMRVC Standalone (the plugin's editor) under Xvfb, with a tiny random-init model folder and
# its demo speaker loaded through the Standalone's saved state (so the status, speaker and latency lines show).
# Usage: scripts/screenshot_standalone.sh [BUILD_DIR (default build)] [OUT.png (default docs/plugin-screenshot.png)]
# Installs xvfb, xauth and imagemagick with apt-get when they are missing (only this script needs them).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
OUT="${2:-docs/plugin-screenshot.png}"
APP="$(ls "$BUILD_DIR"/tmrvc-plugin/TmrvcPlugin_artefacts/*/Standalone/TMRVC 2>/dev/null | head -n1 || true)"
[ -x "$APP" ] || { echo "no Standalone under $BUILD_DIR (configure with -DTMRVC_BUILD_PLUGIN=ON and build)" >&2; exit 1; }

need=()
command -v xvfb-run >/dev/null || need+=(xvfb xauth)
command -v import >/dev/null || need+=(imagemagick)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home/.config"
uv run --quiet tmrvc-export --random-init --size tiny --output-dir "$WORK/models" >/dev/null
# The Standalone keeps the plugin state in ~/.config/TMRVC.settings ("filterState", JUCE base64); a private
# HOME keeps the user's own settings untouched. ALSA's null device gives the Standalone an audio device to run.
uv run --quiet python - "$WORK" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "tests/python")
from plugin_support import juce_b64encode, plugin_state

work = Path(sys.argv[1])
state = plugin_state(work / "models", work / "models" / "demo.tmrvc_speaker", {"pitchShift": 3.0, "latencyQuality": 0.3})
(work / "home/.config/TMRVC.settings").write_text(
    '<?xml version="1.0" encoding="UTF-8"?>\n<PROPERTIES>\n'
    f'  <VALUE name="filterState" val="{juce_b64encode(state)}"/>\n</PROPERTIES>\n')
PY
cat > "$WORK/home/.asoundrc" <<'ASOUND'
pcm.!default { type null hint { show on description "Null device (screenshot)" } }
ASOUND

HOME="$WORK/home" xvfb-run -a -s "-screen 0 1000x640x24" bash -c "
  '$APP' >'$WORK/app.log' 2>&1 &
  pid=\$!
  sleep \${TMRVC_SCREENSHOT_WAIT:-8}
  import -window root '$WORK/root.png'
  kill \$pid
  wait \$pid 2>/dev/null || true"
mkdir -p "$(dirname "$OUT")"
convert "$WORK/root.png" -trim +repage "$OUT"
echo "wrote $OUT ($(identify -format '%wx%h' "$OUT"))"
