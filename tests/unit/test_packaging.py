"""The wheel a clinic deploys: it builds, carries its data files (content, migrations), declares
the runtime dependencies pinned as tested (and no test tools), and works outside the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from coach.config import REPO_DIR

BUILD_TIMEOUT_S = 300
TEST_TOOLS = ("pytest", "pytest-asyncio", "ruff")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a clean copy of the sources (the worktree stays untouched)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(REPO_DIR / "pyproject.toml", source)
    shutil.copytree(
        REPO_DIR / "coach", source / "coach", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert built.returncode == 0, built.stderr
    [found] = out.glob("synkinesis_coach-*.whl")
    return found


def _requirements(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    pins = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.\-]+)==([^\s;]+)", metadata, re.M)
    loose = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert len(pins) == len(loose), "every runtime dependency is pinned"
    return dict(pins)


def test_wheel_carries_content_and_migrations(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = {
        "coach/content/clinical.yml",
        "coach/content/red_flags.yml",
        "coach/content/notifications.yml",
        "coach/storage/migrations/env.py",
        "coach/storage/migrations/script.py.mako",
    }
    assert expected <= names
    shipped = {n.rsplit("/", 1)[1] for n in names if "/migrations/versions/" in n}
    in_repo = {p.name for p in (REPO_DIR / "coach/storage/migrations/versions").glob("*.py")}
    assert shipped == in_repo


def test_runtime_dependencies_are_pinned_as_tested_without_test_tools(wheel: Path) -> None:
    pins = _requirements(wheel)
    assert {"SQLAlchemy", "alembic", "APScheduler", "rasa-sdk", "httpx", "mediapipe"} <= set(pins)
    assert not set(TEST_TOOLS) & {name.lower() for name in pins}
    tested = dict(
        line.split("==", 1)
        for line in (REPO_DIR / "requirements/app.txt").read_text().splitlines()
        if "==" in line
    )
    for name, pinned in pins.items():
        assert tested.get(name) == pinned, (
            f"{name}: wheel {pinned}, requirements {tested.get(name)}"
        )
        assert version(name) == pinned  # and it is what this environment runs


def test_installed_wheel_migrates_and_runs_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert installed.returncode == 0, installed.stderr
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(target),
        "COACH_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deployed.db'}",
        "COACH_SECRET_KEY": "packaging-test",
    }
    script = (
        "import coach, sys\n"
        f"assert coach.__file__.startswith({str(target)!r}), coach.__file__\n"
        "from coach.cli import main\n"
        "assert main(['db', 'upgrade']) == 0\n"
        "from coach.triage.red_flags import detect_red_flags\n"
        "assert detect_red_flags('my face dropped and my speech is slurred')\n"
        "from coach.content import load_content\n"
        "assert load_content('notifications')['templates']\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert ran.returncode == 0, ran.stderr
    assert "latest schema" in ran.stdout
    console = subprocess.run(
        [str(target / "bin" / "coach"), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert console.returncode == 0 and "escalations" in console.stdout, console.stderr
