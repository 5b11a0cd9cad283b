"""Loader for the reviewed content files (YAML) in this folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from coach.config import get_settings


@cache
def load_content(name: str, content_dir: Path | None = None) -> dict[str, Any]:
    """Load `<name>.yml` from the content folder (cached; content is read-only at run time)."""
    folder = content_dir or get_settings().content_dir
    with open(folder / f"{name}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)
