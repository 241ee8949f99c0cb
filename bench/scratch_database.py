"""The benchmarks' database: a temporary SQLite file, or a schema of its own on PostgreSQL.

    with scratch_database(args.database_url, schema=args.schema,
                          prefix="timeline-bench-", keep=args.keep) as url:
        engine = make_engine(url)

On PostgreSQL the schema is dropped and created afresh first, and every
connection of the URL it yields uses it (`search_path`); nothing outside it
is touched. Both are removed at the end unless `keep`.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flo_comms.db import make_engine


def _in_schema(url: str, schema: str) -> str:
    parsed = sa.make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@contextmanager
def scratch_database(url: str | None, *, schema: str, prefix: str, keep: bool) -> Iterator[str]:
    """Yields the URL to build on: `url`'s own schema `schema`, or a temp SQLite file (None).

    Raises:
        SystemExit: `url` is neither SQLite nor PostgreSQL.
    """
    backend = sa.make_url(url).get_backend_name() if url else "sqlite"
    if backend not in ("sqlite", "postgresql"):
        raise SystemExit("Use a SQLite or PostgreSQL URL.")
    if backend == "sqlite" and url:
        yield url  # a file of the caller's: theirs to keep or remove
        return
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        try:
            yield f"sqlite:///{folder}/bench.db"
        finally:
            if keep:
                print(f"Database kept at {folder}/bench.db")
            else:
                for path in folder.iterdir():
                    path.unlink()
                folder.rmdir()
        return
    admin = make_engine(url)
    drop = f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(drop)
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield _in_schema(url, schema)
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.exec_driver_sql(drop)
        admin.dispose()
