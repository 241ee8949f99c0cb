#!/usr/bin/env bash
# Prints the PostgreSQL URL for the data-layer tests when a server answers on
# 127.0.0.1:5432, and nothing otherwise. FLO_TEST_POSTGRES_URL, if set, wins.
if [ -n "${FLO_TEST_POSTGRES_URL:-}" ]; then
  echo "$FLO_TEST_POSTGRES_URL"
  exit 0
fi
PY=${1:-.venv/bin/python}
"$PY" - <<'PYEOF'
import socket
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
except OSError:
    pass
else:
    print("postgresql+psycopg://postgres@127.0.0.1:5432/test")
PYEOF
