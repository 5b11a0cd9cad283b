"""Portal test fixtures: one clinic database, one portal server and one Chromium per session.

Access and unit tests use FastAPI's TestClient on their own fresh database (`fresh_world`);
page tests share the server and the browser (`portal_server`, `browser`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coach.config import get_settings
from coach.portal.app import create_app
from coach.portal.settings import portal_settings
from coach.storage.migrate import upgrade
from tests.portal.world import PASSWORD, World, build_world

SECRET = "portal-test-secret-key"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get(
        "PORTAL_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "portal",
    )
)
SERVER_START_TIMEOUT_S = 30
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def portal_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Secret key, media folder and home for the whole portal test session."""
    home = tmp_path_factory.mktemp("portal-home")
    saved = {k: os.environ.get(k) for k in ("COACH_SECRET_KEY", "MEDIA_DIR", "COACH_HOME")}
    os.environ.update(COACH_SECRET_KEY=SECRET, MEDIA_DIR=str(home / "media"), COACH_HOME=str(home))
    get_settings.cache_clear()
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _portal_settings(portal_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COACH_SECRET_KEY", SECRET)
    monkeypatch.setenv("MEDIA_DIR", str(portal_env / "media"))
    monkeypatch.setenv("COACH_HOME", str(portal_env))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory, portal_env: Path) -> World:
    """The clinic built once; tests get copies of its database file."""
    path = tmp_path_factory.mktemp("portal-template") / "portal.db"
    upgrade(f"sqlite:///{path}")
    return build_world(f"sqlite:///{path}")


@pytest.fixture
def fresh_world(tmp_path: Path, world_template: World) -> World:
    """A new copy of the clinic database for one test (tests that change state)."""
    source = Path(world_template.url.removeprefix("sqlite:///"))
    target = tmp_path / "portal.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # consistent copy (the template is in WAL mode)
    return World(f"sqlite:///{target}", dict(world_template.logins), dict(world_template.ids))


class Portal:
    """A TestClient on the portal with helpers to sign in and to post forms with the token."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.client = TestClient(
            create_app(world.url, portal_settings()), base_url="https://testserver"
        )

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        found = CSRF.search(page.text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def login(self, who: str, password: str = PASSWORD) -> Any:
        email = self.world.logins.get(who, who)
        token = self.csrf("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token, "next": ""},
            follow_redirects=False,
        )

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        token_from: str = "/account",
        **kwargs: Any,
    ) -> Any:
        token = self.csrf(token_from)
        return self.client.post(
            path, data={**(data or {}), "csrf_token": token}, follow_redirects=False, **kwargs
        )


@pytest.fixture
def portal(fresh_world: World) -> Portal:
    return Portal(fresh_world)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def shared_world(tmp_path_factory: pytest.TempPathFactory, portal_env: Path) -> World:
    url = f"sqlite:///{tmp_path_factory.mktemp('portal-db') / 'portal.db'}"
    upgrade(url)
    return build_world(url)


@contextmanager
def serve_portal(database_url: str) -> Iterator[str]:
    """The portal on `database_url` served by uvicorn on a free loopback port, in a thread of
    this process; its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        create_app(database_url, portal_settings()),
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="portal-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("portal test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def portal_server(shared_world: World) -> Iterator[str]:
    """The portal on the shared clinic, for the whole session."""
    with serve_portal(shared_world.url) as url:
        yield url


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download).

    Package scope, not session: while Playwright's sync API is open it keeps an asyncio loop
    running in this thread, so tests run after the portal's (`asyncio.run` in tests/escalation)
    would fail with "cannot be called from a running event loop". It closes with tests/portal.
    """
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where page screenshots are saved (kept after the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
