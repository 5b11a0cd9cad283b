"""Weakness on the recorded unaffected side (a mirrored selfie or new weakness) or on both sides
is escalated as CLINICAL.md says — see a doctor today, therapist urgent — never reassured."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from coach.clips.config import ClipConfig
from coach.clips.report import ClipReport
from coach.clips.service import record_clip_analysis
from coach.storage.db import transaction
from coach.storage.models import Escalation, Notification, Patient

from . import clip_factory as cf
from .conftest import FPS, HEALTHY_SMILE_NARROWING

WEAK_GAIN = 0.1
BOTH_SIDES_CLOSURE = 0.4  # eye closure and smile on both sides at 30–40 % of the starting clip
BOTH_SIDES_SMILE = 0.3
ORAL_LEFT = (0.04, 0.06)
SEE_A_DOCTOR = "see a doctor today"
REASSURANCE = "expected during recovery"


def _render(
    path: Path, protocol: cf.Protocol, mirrored: bool = False, source: str = "jesse"
) -> Path:
    face = cf.face_image(480, 480, source)
    frames = cf.frames(face, protocol, FPS, frame_filter=cf.mirror if mirrored else None)
    return cf.write_clip(path, frames, FPS)


@pytest.fixture(scope="module")
def left_weak_clips(clip_dir: Path) -> dict[str, Path]:
    """Left side weak with left oral synkinesis, as recorded and as a mirroring camera saves it."""
    protocol = cf.protocol(
        side_gain=(1.0, WEAK_GAIN),
        smile_eye=(HEALTHY_SMILE_NARROWING, 0.0),
        closure_corner={"left": ORAL_LEFT},
    )
    return {
        "plain": _render(clip_dir / "left_weak_oral.mp4", protocol),
        "mirrored": _render(clip_dir / "left_weak_oral_mirrored.mp4", protocol, mirrored=True),
    }


@pytest.fixture(scope="module")
def both_sides_clips(clip_dir: Path) -> dict[str, Path]:
    """A healthy starting clip, then a clip where both sides move far less."""
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    return {
        "baseline": _render(
            clip_dir / "astronaut_start.mp4", cf.protocol(smile_eye=narrowing), source="astronaut"
        ),
        "both_weak": _render(
            clip_dir / "astronaut_both_weak.mp4",
            cf.protocol(
                closure=(BOTH_SIDES_CLOSURE, BOTH_SIDES_CLOSURE),
                smile_corner=(0.10 * BOTH_SIDES_SMILE, 0.06 * BOTH_SIDES_SMILE),
                smile_eye=narrowing,
            ),
            source="astronaut",
        ),
    }


def test_weak_affected_side_is_reassured_and_flagged_on_its_side(
    left_weak_clips: dict[str, Path], analysed, config: ClipConfig
) -> None:
    report = analysed(left_weak_clips["plain"], affected_side="left")
    assert report.flags.weakness == ["left"]
    assert report.side_check.status == "consistent"
    assert report.red_flag is None
    assert report.flags.oral_synkinesis == ["left"]
    assert "Left side: the mouth corner moves" in report.patient_message
    assert SEE_A_DOCTOR not in report.patient_message


def test_mirrored_clip_contradicting_the_affected_side_asks_for_review(
    left_weak_clips: dict[str, Path], analysed
) -> None:
    report = analysed(left_weak_clips["mirrored"], affected_side="left")
    assert report.flags.weakness == ["right"]  # as the video shows it
    assert report.side_check.status == "opposite"
    assert report.red_flag == "other_cause"
    # The synkinesis is reported, but not on a side it may not be on.
    assert report.flags.oral_synkinesis == [] and report.flags.ocular_synkinesis == []
    assert report.side_check.unconfirmed_flags["oral_synkinesis"] == ["right"]
    assert report.needs_review is True
    assert SEE_A_DOCTOR in report.patient_message and "mirrored" in report.patient_message
    assert REASSURANCE not in report.patient_message
    assert "mirrored selfie video" in report.side_check.note


def test_both_sides_weaker_than_the_starting_clip_is_a_red_flag(
    both_sides_clips: dict[str, Path], analysed
) -> None:
    baseline = analysed(both_sides_clips["baseline"], affected_side="left")
    assert baseline.flags.weakness == [] and baseline.red_flag is None
    from coach.clips.analysis import analyze_clip

    report = analyze_clip(both_sides_clips["both_weak"], "left", baseline=baseline.to_dict())
    assert report.side_check.status == "both"
    assert {"eye_closure", "smile"} <= set(report.side_check.both_weak_movements)
    assert report.red_flag == "other_cause"
    assert SEE_A_DOCTOR in report.patient_message
    assert REASSURANCE not in report.patient_message


def test_red_flag_clip_raises_an_urgent_other_cause_escalation_once(
    clinic, left_weak_clips: dict[str, Path], analysed
) -> None:
    report = analysed(left_weak_clips["mirrored"], affected_side="left").to_dict()
    for _ in range(2):  # the same clip twice: one escalation
        with transaction(clinic.url) as session:
            patient = session.get(Patient, clinic.patient_id)
            record_clip_analysis(session, patient, "c" * 64, report)
    with transaction(clinic.url) as session:
        escalations = session.scalars(select(Escalation).order_by(Escalation.id)).all()
        kinds = sorted((e.kind, e.level) for e in escalations)
        assert ("other_cause", "urgent") in kinds
        assert len([k for k in kinds if k[0] == "other_cause"]) == 1
        red = next(e for e in escalations if e.kind == "other_cause")
        assert "mirrored selfie video" in red.evidence["clip_findings"]
        channels = {
            n.channel
            for n in session.scalars(
                select(Notification).where(Notification.escalation_id == red.id)
            )
        }
        assert "email" in channels and "sms" in channels  # urgent reaches the therapist's phone


def test_report_with_side_check_round_trips(left_weak_clips: dict[str, Path], analysed) -> None:
    data = analysed(left_weak_clips["mirrored"], affected_side="left").to_dict()
    assert data["side_check"]["status"] == "opposite" and data["red_flag"] == "other_cause"
    assert ClipReport.from_dict(data).to_dict() == data
