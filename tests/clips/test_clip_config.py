"""The thresholds file loads strictly and has a message for every code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.clips.config import ConfigError, content_path, load_config
from coach.clips.errors import Code


def test_every_code_has_a_retake_message() -> None:
    config = load_config()
    assert {c.value for c in Code} <= set(config.messages["retake"])
    assert all(len(config.retake_message(c.value)) > 20 for c in Code)


def test_unknown_or_missing_keys_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(content_path().read_text())
    data["quality"]["min_luminanse"] = data["quality"].pop("min_luminance")
    broken = tmp_path / "clip_thresholds.yml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="min_lumin"):
        load_config(broken)


def test_content_dir_environment_variable_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path))
    assert content_path() == tmp_path / "clip_thresholds.yml"


def test_baseline_rules_need_a_direction(tmp_path: Path) -> None:
    data = yaml.safe_load(content_path().read_text())
    data["baseline"]["overall"]["ocular_synkinesis_score"]["direction"] = "sideways"
    broken = tmp_path / "clip_thresholds.yml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="ocular_synkinesis_score"):
        load_config(broken)
