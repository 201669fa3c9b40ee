#!/usr/bin/env bash
# Builds the Android app with `flet build apk` (needs the Flutter and Android SDKs, which
# flet downloads on first use: run it on a machine with internet access).
#
# The phone bundles only the client: app/ and the pure domain/ package, with the client's
# dependencies (all pure Python or on Flet's mobile wheel index). QR codes are decoded
# with OpenCV on phones, since zxing-cpp has no mobile wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=build/android
rm -rf "$stage" && mkdir -p "$stage/src"
cp -r app domain "$stage/src/"
cp -r app/assets "$stage/src/assets"
cat > "$stage/src/main.py" <<'PY'
from app.main import main

main()
PY
cat > "$stage/pyproject.toml" <<'TOML'
[project]
name = "rounds"
version = "0.1.0"
dependencies = [
    "flet==1.0.5",
    "flet-camera==1.0.5",
    "flet-geolocator==1.0.5",
    "httpx>=0.27",
    "sqlite-utils>=4.2",
    "pillow>=10",
    "cryptography>=42",
    "opencv-python",
]

[tool.flet]
org = "org.rounds"
product = "Rounds"

[tool.flet.app]
path = "src"

[tool.flet.android.permission]
"android.permission.CAMERA" = true
"android.permission.INTERNET" = true
"android.permission.ACCESS_FINE_LOCATION" = true
TOML
find "$stage/src" -name __pycache__ -prune -exec rm -rf {} +
cd "$stage" && "${FLET:-flet}" build apk "$@"
