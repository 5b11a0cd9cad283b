"""Fixtures shared by the unit tests."""

import shutil
from pathlib import Path

import pytest

from coach.config import get_settings
from coach.triage.red_flag_net import CONFIG_FILE


def content_with_net_settings(folder: Path, **settings: object) -> Path:
    """A copy of the content folder (at `folder`) with the red-flag net's settings changed."""
    shutil.copytree(get_settings().content_dir, folder)
    path = folder / CONFIG_FILE
    lines = path.read_text().split("\n")
    for key, value in settings.items():
        lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in lines]
    path.write_text("\n".join(lines))
    return folder


@pytest.fixture(scope="session")
def rules_only_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content folder with the trained net switched off: the rules alone."""
    return content_with_net_settings(
        tmp_path_factory.mktemp("rules_only") / "content", enabled="false"
    )
