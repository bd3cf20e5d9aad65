#!/usr/bin/env bash
# `make test-labelstudio`: the gold through a real Label Studio and back (tests/labelstudio/).
# Label Studio goes into its own venv (its pins never touch ours); the server runs on 127.0.0.1 with
# a throwaway data folder and is stopped on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

LS_VERSION=1.23.2  # the version the README's annotation section names; change both together
LS_VENV=.venv-labelstudio
PYTHON=${PYTHON:-python3}
PROJECT_PY=.venv/bin/python

if [ ! -f "$LS_VENV/.installed-$LS_VERSION" ]; then
  rm -rf "$LS_VENV"
  "$PYTHON" -m venv "$LS_VENV"
  "$LS_VENV/bin/pip" install --quiet --upgrade pip
  "$LS_VENV/bin/pip" install --quiet "label-studio==$LS_VERSION"
  touch "$LS_VENV/.installed-$LS_VERSION"
fi

DATA=$(mktemp -d "${TMPDIR:-/tmp}/arastance-labelstudio.XXXXXX")
PORT=$("$PROJECT_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$("$PROJECT_PY" -c 'import secrets; print(secrets.token_hex(20))')
PASSWORD=$("$PROJECT_PY" -c 'import secrets; print(secrets.token_urlsafe(16))')
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    # setsid made the server its own process group: this stops it and the workers it started.
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap stop_server EXIT
trap 'exit 130' INT TERM  # through EXIT, so an interrupted run stops the server too

LABEL_STUDIO_BASE_DATA_DIR="$DATA" LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
  setsid "$LS_VENV/bin/label-studio" start --no-browser --internal-host 127.0.0.1 --port "$PORT" \
  --username arastance-test@localhost.localdomain --password "$PASSWORD" --user-token "$TOKEN" \
  >"$DATA/server.log" 2>&1 &
SERVER_PID=$!

ARASTANCE_LABELSTUDIO_URL="http://127.0.0.1:$PORT" ARASTANCE_LABELSTUDIO_TOKEN="$TOKEN" \
  ARASTANCE_LABELSTUDIO_LOG="$DATA/server.log" HF_HUB_OFFLINE=1 \
  "$PROJECT_PY" -m pytest -q -p no:cacheprovider tests/labelstudio "$@"
