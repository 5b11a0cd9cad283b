"""Real Rasa server and action server processes on loopback, once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml

from coach.config import REPO_DIR
from coach.storage.migrate import upgrade
from tests.e2e.stack import MODEL, RasaStack, coach_env, free_port


def domain_text(response: str) -> str:
    """The first text variant of a domain response."""
    for path in (REPO_DIR / "domain").glob("*.yml"):
        responses = yaml.safe_load(path.read_text()).get("responses") or {}
        if response in responses:
            return responses[response][0]["text"]
    raise KeyError(response)


@dataclass
class CoachServers(RasaStack):
    """The coach's stack plus the database it writes to."""

    database_url: str = ""


@pytest.fixture(scope="session")
def coach_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoachServers]:
    if not MODEL.exists():
        pytest.fail("models/coach.tar.gz is missing: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'coach.db'}"
    upgrade(database_url)
    actions_port = free_port()
    servers = CoachServers(
        workdir=workdir,
        env=coach_env(workdir, database_url, actions_port),
        actions_port=actions_port,
        database_url=database_url,
    )
    try:
        servers.start_actions()
        servers.start_rasa()
        yield servers
    finally:
        servers.stop()
