"""The terminal chat's `/clip PATH`: handed over like a channel upload, or a retake message."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.clips.config import load_config
from coach.clips.errors import ClipRejected
from coach.config import get_settings
from coach.media.incoming import incoming_path
from coach.terminal_chat import run_chat, stage_clip


def test_a_clip_is_quarantined_under_its_content_id(tmp_path: Path, protocol_clip_files) -> None:
    clip_id = stage_clip(protocol_clip_files["healthy"], tmp_path)
    staged = incoming_path(clip_id, tmp_path)
    assert staged is not None and staged.suffix == ".mp4"
    assert staged.read_bytes() == protocol_clip_files["healthy"].read_bytes()


def test_a_renamed_document_is_refused_and_not_kept(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"%PDF-1.4 not a video" * 50)
    with pytest.raises(ClipRejected) as rejected:
        stage_clip(fake, tmp_path / "media")
    assert rejected.value.code == "not_a_video"
    assert rejected.value.message == load_config().messages["retake"]["not_a_video"].strip()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_chat_prints_the_retake_message_without_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    get_settings.cache_clear()
    lines = iter([f"/clip {empty}", f"/clip {tmp_path / 'missing.mp4'}", "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    try:
        assert run_chat("demo-patient", "http://127.0.0.1:9") == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert f"coach: {load_config().messages['retake']['empty'].strip()}" in out
    assert "could not be read" in out
    assert "could not be reached" not in out  # nothing was sent for either line
