"""Cases 1–4: healthy, ocular synkinesis (with the injected-amount sweep), oral synkinesis,
weakness — all on warped clips of a real face photo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SYNKINESIS_AMOUNTS

SIDE_TOLERANCE_POINTS = 3.0
PERCENT = 100


def test_symmetric_healthy_protocol_raises_no_flag(healthy_clip: Path, analysed) -> None:
    report = analysed(healthy_clip)
    assert report.status == "ok"
    assert report.flags.ocular_synkinesis == []
    assert report.flags.oral_synkinesis == []
    assert report.flags.weakness == []
    assert report.needs_review is False
    # The smile narrows both eyes a little, as normal eyes do: measured, but not a sign.
    for side in ("right", "left"):
        assert report.metrics[f"eye_narrowing_smile_pct.{side}"] > 0
        assert report.metrics[f"eye_closure_pct.{side}"] > 50
        assert report.metrics[f"mouth_excursion_smile_pct.{side}"] > 5
    assert [p["name"] for p in report.phases] == [
        "rest",
        "eye_closure",
        "smile",
        "pucker",
        "brow_raise",
    ]


def test_right_eye_narrowing_flags_ocular_synkinesis_on_the_right_only(
    synkinesis_clips: dict[float, Path], analysed
) -> None:
    report = analysed(synkinesis_clips[max(SYNKINESIS_AMOUNTS)])
    assert report.flags.ocular_synkinesis == ["right"]
    assert report.flags.oral_synkinesis == []
    assert report.flags.weakness == []
    assert report.needs_review is True
    assert report.assessed_side == "right"
    assert report.metrics["ocular_synkinesis_score"] < PERCENT


def test_narrowing_rises_with_the_injected_amount_and_the_left_eye_stays_still(
    synkinesis_clips: dict[float, Path], analysed, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = {amount: analysed(path) for amount, path in synkinesis_clips.items()}
    zero = reports[0.0].metrics
    rows = []
    for phase in ("smile", "pucker"):
        right = [reports[a].metrics[f"eye_narrowing_{phase}_pct.right"] for a in SYNKINESIS_AMOUNTS]
        left = [reports[a].metrics[f"eye_narrowing_{phase}_pct.left"] for a in SYNKINESIS_AMOUNTS]
        assert all(b > a for a, b in zip(right[:-1], right[1:], strict=True)), (phase, right)
        # No injected narrowing leaks into the untouched eye: it reads as still, within
        # ±3 points of zero, in the smile and in the pucker, at every injected amount.
        assert all(abs(v) <= SIDE_TOLERANCE_POINTS for v in left), (phase, left)
        rows.append((phase, right, left))
    recovered = {
        phase: [
            round((r - right[0]) / (PERCENT * a), 2)
            for a, r in zip(SYNKINESIS_AMOUNTS[1:], right[1:], strict=True)
        ]
        for phase, right, _ in rows
    }
    with capsys.disabled():
        print(
            "\nrecovered fraction of injected eye narrowing (measured − measured at 0 %) / "
            "injected, right eye:"
        )
        for phase, right, left in rows:
            print(
                f"  {phase:6s} injected {[int(PERCENT * a) for a in SYNKINESIS_AMOUNTS]} % → "
                f"right {[round(v, 1) for v in right]}, left {[round(v, 1) for v in left]}; "
                f"recovered {recovered[phase]}"
            )
        closure = zero["eye_closure_pct.right"], zero["eye_closure_pct.left"]
        print(
            f"  rendered full eye closure reads as {closure[0]:.1f} % / {closure[1]:.1f} % "
            "(right/left)"
        )
    assert all(0 < f < 1 for fractions in recovered.values() for f in fractions), recovered


def test_left_mouth_corner_moving_during_eye_closure_is_oral_synkinesis(
    oral_clip: Path, analysed
) -> None:
    report = analysed(oral_clip)
    assert report.flags.oral_synkinesis == ["left"]
    assert report.flags.ocular_synkinesis == []
    assert report.flags.weakness == []
    metrics = report.metrics
    assert (
        metrics["mouth_excursion_closure_pct.left"] > metrics["mouth_excursion_closure_pct.right"]
    )
    assert report.needs_review is True
    assert "Left side: the mouth corner moves" in report.patient_message


def test_a_side_barely_moving_is_weakness_not_synkinesis(weak_clip: Path, analysed, config) -> None:
    report = analysed(weak_clip, affected_side="left")
    assert report.flags.weakness == ["left"]
    assert report.flags.ocular_synkinesis == []
    assert report.flags.oral_synkinesis == []
    assert report.needs_review is False
    metrics = report.metrics
    assert metrics["movement_ratio_smile_pct"] < 50
    assert metrics["movement_ratio_brow_pct"] < 50
    assert metrics["eye_closure_pct.left"] < metrics["eye_closure_pct.right"]
    # The weak eye does not narrow in the smile: its opening ratio stays within a grade point.
    grade_point = config.flags.ocular["pucker_asymmetry_min_pct"]
    assert metrics["ocular_synkinesis_score"] > PERCENT - grade_point
    assert metrics["eye_opening_ratio_smile_pct"] > PERCENT


def test_weakness_without_a_given_side_finds_the_weak_side(weak_clip: Path, analysed) -> None:
    report = analysed(weak_clip)
    assert report.flags.weakness == ["left"]
    assert report.flags.ocular_synkinesis == []


def test_report_is_json_serialisable_and_round_trips(
    synkinesis_clips: dict[float, Path], analysed, tmp_path: Path
) -> None:
    from coach.clips.report import ClipReport

    report = analysed(synkinesis_clips[max(SYNKINESIS_AMOUNTS)])
    data = json.loads(report.to_json())
    assert data["flags"]["ocular_synkinesis"] == ["right"]
    assert set(data["series"]["eye_aperture_pct"]) == {"right", "left"}
    assert len(data["series"]["times_s"]) == report.clip.frames_analysed
    assert ClipReport.from_dict(data).to_dict() == data
    out = tmp_path / "report.json"
    report.save_json(out)
    assert json.loads(out.read_text()) == data
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_plot_is_a_png_with_both_panels(healthy_clip: Path, analysed, tmp_path: Path) -> None:
    import matplotlib.image

    out = tmp_path / "plot.png"
    analysed(healthy_clip).save_plot(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(out)
    height, width = image.shape[:2]
    assert width > 600 and height > 400
    # Shaded phases and two coloured lines: far more than a blank figure's colours.
    colours = {tuple(px) for px in (image[::7, ::7, :3] * 255).astype(int).reshape(-1, 3)}
    assert len(colours) > 50
