"""Containers are recognised by their bytes: a WebM (browser upload) clip analyses like the MP4."""

from __future__ import annotations

from pathlib import Path

from . import clip_factory as cf
from .conftest import FPS, HEALTHY_SMILE_NARROWING

WEBM_FOURCC = "VP80"
MAX_GAP_POINTS = 3.0


def test_webm_clip_gives_the_same_result_as_mp4(
    clip_dir: Path, healthy_clip: Path, analysed
) -> None:
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    webm = cf.protocol_clip(
        clip_dir / "healthy.webm", cf.protocol(smile_eye=narrowing), fps=FPS, fourcc=WEBM_FOURCC
    )
    assert webm.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    report, mp4 = analysed(webm), analysed(healthy_clip)
    assert report.clip.container == "webm" and mp4.clip.container == "mp4"
    assert report.status == "ok"
    assert report.to_dict()["flags"] == mp4.to_dict()["flags"]
    # Mouth and brow readings agree across codecs; eye readings of a *rendered* lid closure
    # shift with the codec's compression (up to ~12 points on eye closure here), so they are
    # not compared: the warp is not a real eyelid.
    for name in ("mouth_excursion_smile_pct", "mouth_excursion_pucker_pct", "brow_raise_pct"):
        for side in ("right", "left"):
            key = f"{name}.{side}"
            assert abs(report.metrics[key] - mp4.metrics[key]) <= MAX_GAP_POINTS, key
