"""Configuration, read once from environment variables.

Every knob of the product lives here. Defaults give the embedded setup: a
SQLite file under the data directory and a local SMTP server started by the
app itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """The product's configuration."""

    data_dir: Path
    database_url: str
    redis_url: str | None
    demo_mode: bool
    firm_name: str
    public_url: str
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_start_local: bool
    mail_from: str
    dropbox_host: str
    dropbox_port: int
    dropbox_address: str
    session_days: int
    time_zone: str


def load_settings() -> Settings:
    """Reads the settings from the environment.

    Returns:
        The settings in force for this process.
    """
    data_dir = Path(os.environ.get("FLO_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    database_url = os.environ.get("FLO_DATABASE_URL") or f"sqlite:///{data_dir / 'flo_comms.db'}"
    smtp_port = _int("FLO_SMTP_PORT", 8025)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=os.environ.get("FLO_REDIS_URL") or None,
        demo_mode=_flag("FLO_DEMO_MODE", False),
        firm_name=os.environ.get("FLO_FIRM_NAME", "Hale & Whitmore LLP"),
        public_url=os.environ.get("FLO_PUBLIC_URL", "http://localhost:3000").rstrip("/"),
        smtp_host=os.environ.get("FLO_SMTP_HOST", "127.0.0.1"),
        smtp_port=smtp_port,
        smtp_username=os.environ.get("FLO_SMTP_USERNAME") or None,
        smtp_password=os.environ.get("FLO_SMTP_PASSWORD") or None,
        smtp_starttls=_flag("FLO_SMTP_STARTTLS", False),
        smtp_start_local=_flag("FLO_SMTP_START_LOCAL", True),
        mail_from=os.environ.get("FLO_MAIL_FROM", "Recruiting <recruiting@halewhitmore.example>"),
        dropbox_host=os.environ.get("FLO_DROPBOX_HOST", "127.0.0.1"),
        dropbox_port=_int("FLO_DROPBOX_PORT", 8026),
        dropbox_address=os.environ.get("FLO_DROPBOX_ADDRESS", "log@flo-comms.example"),
        session_days=_int("FLO_SESSION_DAYS", 14),
        time_zone=os.environ.get("FLO_TIME_ZONE", "America/New_York"),
    )


settings = load_settings()
