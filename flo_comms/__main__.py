"""Command line: `python -m flo_comms migrate | seed --demo [--if-empty]`.

The database is the configured one (`FLO_DATABASE_URL`, or the SQLite file
under `FLO_DATA_DIR`). Exit status: 0 when done, 2 on a usage or domain
error (the message goes to stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alembic import command
from alembic.config import Config

from flo_comms.db import get_engine, session_scope
from flo_comms.errors import DomainError
from flo_comms.services.defaults import ensure_defaults
from flo_comms.services.demo import has_members, seed_demo
from flo_comms.settings import PROJECT_ROOT, settings

EXIT_OK = 0
EXIT_ERROR = 2


def migrate() -> None:
    """Upgrades the schema to the latest Alembic revision, then adds the default configuration."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    # ConfigParser treats "%" as interpolation; a URL-encoded password has them.
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")
    with session_scope(get_engine()) as session:
        ensure_defaults(session=session)


def seed(*, demo: bool, if_empty: bool) -> str:
    """Migrates, then seeds; returns what happened, in words."""
    if not demo:
        raise DomainError("Nothing to seed: use --demo to add the demo data.")
    migrate()
    with session_scope(get_engine()) as session:
        if if_empty and has_members(session=session):
            return "The database already has members; left it alone."
        report = seed_demo(session=session)
    return report.summary()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flo_comms", description="Manage the flo-comms database."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "migrate", help="upgrade the schema to the latest revision and add the default statuses"
    )
    seed_parser = commands.add_parser("seed", help="migrate, then add data")
    seed_parser.add_argument(
        "--demo", action="store_true", help="add the demo cast, jobs, events and communications"
    )
    seed_parser.add_argument(
        "--if-empty",
        action="store_true",
        help="only when the database has no members yet; otherwise leave it alone",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "migrate":
            migrate()
            print("Database is up to date.")
        else:
            print(seed(demo=args.demo, if_empty=args.if_empty))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
