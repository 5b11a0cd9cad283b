"""The terminal chat's `/clip PATH`: stored like a channel upload, or a retake message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.clips.config import load_config
from coach.clips.errors import ClipRejected
from coach.clips.intake import clip_path
from coach.config import get_settings
from coach.terminal_chat import CLIP_UPLOADED_INTENT, clip_message, run_chat


def test_clip_message_names_the_stored_clip(tmp_path: Path, protocol_clip_files) -> None:
    message = clip_message(protocol_clip_files["healthy"], tmp_path)
    assert message.startswith(CLIP_UPLOADED_INTENT)
    clip_id = json.loads(message[len(CLIP_UPLOADED_INTENT) :])["clip_id"]
    stored = clip_path(clip_id, tmp_path)
    assert stored is not None
    assert stored.read_bytes() == protocol_clip_files["healthy"].read_bytes()


def test_a_renamed_document_is_refused_and_not_kept(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_bytes(b"%PDF-1.4 not a video" * 50)
    with pytest.raises(ClipRejected) as rejected:
        clip_message(fake, tmp_path / "media")
    assert rejected.value.code == "not_a_video"
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
    assert f"coach: {load_config().messages['retake']['empty']}" in out
    assert "could not be read" in out
    assert "could not be reached" not in out  # nothing was sent for either line
