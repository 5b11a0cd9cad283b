"""Uploads are capped, sniffed and validated before anything is kept."""

from pathlib import Path

import pytest

from coach.clips.config import load_config
from coach.clips.errors import ClipRejected
from coach.clips.intake import clip_path, store_clip, store_clip_file


def _kept(media: Path) -> list[Path]:
    return [p for p in (media / "clips").rglob("*") if p.is_file()]


def test_good_clip_is_kept_content_addressed(tmp_path, protocol_clip_files) -> None:
    stored = store_clip_file(protocol_clip_files["healthy"], tmp_path)
    again = store_clip_file(protocol_clip_files["healthy"], tmp_path)
    assert stored == again and len(stored.clip_id) == 64
    assert stored.path == tmp_path / "clips" / stored.clip_id[:2] / f"{stored.clip_id}.mp4"
    assert clip_path(stored.clip_id, tmp_path) == stored.path
    assert _kept(tmp_path) == [stored.path]


@pytest.mark.parametrize(
    ("chunks", "code"),
    [
        ([b""], "empty"),
        ([b"%PDF-1.4 this is not a video at all" * 10], "not_a_video"),
        ([b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000], "corrupt"),
    ],
    ids=["zero-bytes", "renamed-non-video", "corrupt-mp4"],
)
def test_bad_upload_is_rejected_and_nothing_kept(tmp_path, chunks, code) -> None:
    with pytest.raises(ClipRejected) as rejected:
        store_clip(iter(chunks), tmp_path)
    assert rejected.value.code == code
    assert rejected.value.message
    assert _kept(tmp_path) == []


def test_oversized_upload_stops_reading_at_the_cap(tmp_path) -> None:
    cap = load_config().limits.max_bytes
    chunk = b"\x00" * (1 << 20)
    sent = 0

    def endless():
        nonlocal sent
        while True:
            sent += len(chunk)
            yield chunk

    with pytest.raises(ClipRejected) as rejected:
        store_clip(endless(), tmp_path)
    assert rejected.value.code == "too_large"
    assert sent <= cap + len(chunk)
    assert _kept(tmp_path) == []


def test_clip_ids_are_never_paths(tmp_path) -> None:
    assert clip_path("../../etc/passwd", tmp_path) is None
    assert clip_path("a" * 64, tmp_path) is None
