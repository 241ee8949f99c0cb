#!/usr/bin/env bash
# Exits 0 when PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) both
# answer, so `make test` also runs the end-to-end suite on the scale-out setup.
PY=${1:-.venv/bin/python}
"$PY" - <<'PYEOF'
import socket, sys
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        sys.exit(1)
PYEOF
