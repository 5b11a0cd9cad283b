"""The quarantine for received videos: cap while streaming, container from the bytes, allowed
sources only."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.channels.memory import OfferedButtons, RecentIds, join_bodies, render_buttons
from coach.media.incoming import (
    IncomingWriter,
    MediaRejected,
    incoming_path,
    is_safe_relative_path,
    source_allowed,
)

MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
WEBM_HEADER = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01webm"


def _leftovers(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(("header", "suffix"), [(MP4_HEADER, ".mp4"), (WEBM_HEADER, ".webm")])
def test_a_video_is_kept_under_its_content_id(tmp_path: Path, header: bytes, suffix: str) -> None:
    writer = IncomingWriter(10_000, tmp_path)
    for chunk in (header[:5], header[5:], b"\x00" * 500):
        writer.write(chunk)
    clip_id = writer.finish()
    stored = incoming_path(clip_id, tmp_path)
    assert stored is not None and stored.suffix == suffix
    assert stored.read_bytes() == header + b"\x00" * 500
    assert _leftovers(tmp_path) == [stored]


def test_the_cap_holds_while_streaming_and_nothing_is_left(tmp_path: Path) -> None:
    writer = IncomingWriter(1000, tmp_path)
    writer.write(MP4_HEADER)
    with pytest.raises(MediaRejected) as rejected:
        for _ in range(100):
            writer.write(b"\x00" * 100)
    assert rejected.value.code == "too_large"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("data", "code"), [(b"", "empty"), (b"%PDF-1.7 a document" * 10, "not_a_video")]
)
def test_empty_and_non_video_files_are_refused(tmp_path: Path, data: bytes, code: str) -> None:
    writer = IncomingWriter(10_000, tmp_path)
    if data:
        writer.write(data)
    with pytest.raises(MediaRejected) as rejected:
        writer.finish()
    assert rejected.value.code == code
    assert _leftovers(tmp_path) == []


def test_only_ids_are_looked_up(tmp_path: Path) -> None:
    assert incoming_path("../../etc/passwd", tmp_path) is None
    assert incoming_path("A" * 64, tmp_path) is None


HOSTS = ("api.twilio.com", "*.twiliocdn.com", "127.0.0.1:8123")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", True),
        ("https://mms.twiliocdn.com/AC1/abc", True),
        ("http://api.twilio.com/x", False),  # plain HTTP only on loopback
        ("https://evil.example/clip.mp4", False),
        ("https://api.twilio.com.evil.example/x", False),
        ("https://eviltwiliocdn.com/x", False),
        ("https://user:pw@api.twilio.com/x", False),
        ("http://127.0.0.1:8123/cdn/ME1", True),
        ("http://127.0.0.1:9999/cdn/ME1", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_media_comes_only_from_the_providers_hosts(url: str, allowed: bool) -> None:
    assert source_allowed(url, HOSTS) is allowed


def test_provider_file_paths_cannot_leave_their_folder() -> None:
    assert is_safe_relative_path("videos/file_3.mp4")
    for bad in ("../secret", "videos/../../x", "/etc/passwd", "http://x/y", ""):
        assert not is_safe_relative_path(bad)


def test_a_replayed_id_is_seen_once_until_it_expires() -> None:
    recent = RecentIds(ttl_s=10, max_items=3)
    assert recent.first_time("SM1", now=0)
    assert not recent.first_time("SM1", now=5)
    assert recent.first_time("SM1", now=11)


def test_buttons_as_text_and_their_answers() -> None:
    buttons = [{"title": "I agree", "payload": "/agree"}, {"title": "No, thanks", "payload": "/no"}]
    text = render_buttons("Do you agree?", buttons)
    assert "1 - I agree" in text and "2 - No, thanks" in text
    scale = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
    assert render_buttons("How often?", scale).endswith("(Reply 1, 2, 3, 4 or 5.)")
    offered = OfferedButtons()
    offered.offer("sms:+1", buttons)
    assert offered.answer("sms:+1", "2") == "/no"
    assert offered.answer("sms:+1", "i agree!") == "/agree"
    assert offered.answer("sms:+1", "3") == "3"
    assert offered.answer("sms:+2", "1") == "1"  # someone else's buttons
    offered.offer("sms:+1", None)
    assert offered.answer("sms:+1", "1") == "1"  # the latest message had no buttons


def test_a_turn_goes_out_in_as_few_messages_as_the_limit_allows() -> None:
    assert join_bodies(["Thanks.", "How are you?"], 1600) == ["Thanks.\n\nHow are you?"]
    long = "x" * 25
    assert join_bodies(["ab", long], 10) == ["ab", "x" * 10, "x" * 10, "x" * 5]
    assert all(len(body) <= 10 for body in join_bodies(["abc", "defg", long], 10))
    assert "".join(join_bodies([long], 10)) == long
