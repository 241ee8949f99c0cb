"""End-to-end harness: the real app, built and served once per test session.

The app runs as `reflex run --env prod --single-port` against a fresh SQLite
database seeded with the demo data, exactly as `make run` serves it. Tests
drive it with Playwright in Chromium; any browser console error fails the
test that caused it.

With `FLO_E2E_SCALE_OUT=1` the same suite runs against the scale-out setup
instead: a fresh PostgreSQL database (dropped afterwards), Reflex state in
Redis, and three backend worker processes. `make test` runs both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import ConsoleMessage, Error, Page, expect, sync_playwright

from flo_comms.settings import PROJECT_ROOT

BUILD_TIMEOUT_S = 600
# Two cores run Chromium, the test and (scaling out) three app workers: give
# each expectation a little longer than Playwright's 5 s before it fails.
expect.set_options(timeout=15_000)
BUN_DIR = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class AppServer:
    """A running app: where it answers and which database it uses."""

    url: str
    database_url: str
    log_path: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited while starting:\n{log_path.read_text()[-4000:]}")
        try:
            with (
                urllib.request.urlopen(f"{url}/ping", timeout=2) as ping,
                urllib.request.urlopen(f"{url}/sign-in", timeout=5) as page,
            ):
                if ping.status == 200 and page.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(
        f"the app did not start in {BUILD_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}"
    )


SCALE_OUT = os.environ.get("FLO_E2E_SCALE_OUT", "") == "1"
POSTGRES_ADMIN_URL = os.environ.get(
    "FLO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FLO_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@contextmanager
def _database(data_dir: Path) -> Iterator[str]:
    """A fresh database for the app: a SQLite file, or a PostgreSQL database when scaling out."""
    if not SCALE_OUT:
        yield f"sqlite:///{data_dir / 'e2e.db'}"
        return
    name = f"flo_e2e_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.make_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield (
            sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """Builds and serves the app once for the whole test session."""
    data_dir = tmp_path_factory.mktemp("flo-data")
    with _database(data_dir) as database_url:
        yield from _serve(data_dir, database_url)


def _serve(data_dir: Path, database_url: str) -> Iterator[AppServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FLO_DATA_DIR": str(data_dir),
        "FLO_DATABASE_URL": database_url,
        "FLO_DEMO_MODE": "1",
        "FLO_PUBLIC_URL": url,
        "FLO_SMTP_PORT": str(_free_port()),
        "FLO_DROPBOX_PORT": str(_free_port()),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": os.pathsep.join([str(BUN_DIR), os.environ["PATH"]]),
    }
    if SCALE_OUT:
        env["FLO_REDIS_URL"] = REDIS_URL
        env["GRANIAN_WORKERS"] = "3"
    subprocess.run(
        [sys.executable, "-m", "flo_comms", "seed", "--demo"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log_path = data_dir / "app.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "reflex"),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--backend-host",
                "127.0.0.1",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url, process, log_path)
        yield AppServer(url=url, database_url=database_url, log_path=log_path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _chromium_launch_args() -> dict:
    """Playwright's own Chromium where it is installed, else Debian's."""
    with sync_playwright() as p:
        if Path(p.chromium.executable_path).exists():
            return {"args": CHROMIUM_FLAGS}
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return {"executable_path": candidate, "args": CHROMIUM_FLAGS}
    raise RuntimeError("no Chromium: run ./scripts/install-browser.sh")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launches whichever Chromium this machine has (see scripts/install-browser.sh)."""
    return {**browser_type_launch_args, **_chromium_launch_args()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window in a fixed time zone, so dates read the same everywhere."""
    return {
        **browser_context_args,
        "viewport": {"width": 1400, "height": 900},
        "timezone_id": "America/New_York",
        "locale": "en-US",
    }


@pytest.fixture(scope="session")
def base_url(app_server: AppServer) -> str:
    """Where `page.goto("/...")` goes."""
    return app_server.url


@pytest.fixture(autouse=True)
def _fail_on_console_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    if "page" not in request.fixturenames:
        yield
        return
    page: Page = request.getfixturevalue("page")
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(error: Error) -> None:
        errors.append(f"page error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    yield
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where tests leave screenshots to look at (artifacts/screenshots)."""
    path = PROJECT_ROOT / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sign_in_as(page: Page, name: str, *, path: str = "/candidates") -> None:
    """Signs in with demo mode's one-click button and waits for `path`."""
    page.goto(f"/sign-in?next={path}")
    page.get_by_role("button", name=f"Sign in as {name}").click()
    expect(page.get_by_role("button", name="Account menu")).to_contain_text(name)
