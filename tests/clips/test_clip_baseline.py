"""Baseline comparison: which metrics crossed the configured thresholds since the first clip."""

from __future__ import annotations

from pathlib import Path

from coach.clips.analysis import analyze_clip
from coach.clips.baseline import compare_with_baseline
from coach.clips.config import ClipConfig

from .conftest import SYNKINESIS_AMOUNTS


def test_only_metrics_past_their_threshold_in_their_direction_cross(config: ClipConfig) -> None:
    rule = config.baseline.per_side["eye_narrowing_pucker_pct"]
    step = rule["min_change"]
    baseline = {
        "eye_narrowing_pucker_pct.right": 1.0,
        "eye_narrowing_pucker_pct.left": 1.0,
        "ocular_synkinesis_score": 98.0,
        "mouth_excursion_closure_pct.left": None,
    }
    current = {
        "eye_narrowing_pucker_pct.right": 1.0 + step,  # crossed (== threshold)
        "eye_narrowing_pucker_pct.left": 1.0 + step - 0.5,  # just under
        "ocular_synkinesis_score": 98.0 + 50,  # better, not worse
        "mouth_excursion_closure_pct.left": 40.0,
    }  # no baseline value
    result = compare_with_baseline(current, {"metrics": baseline}, config)
    assert [c.metric for c in result.crossed] == ["eye_narrowing_pucker_pct.right"]
    assert result.crossed[0].change == step
    assert "mouth_excursion_closure_pct.left" not in result.compared
    score_rule = config.baseline.overall["ocular_synkinesis_score"]
    worse = {"ocular_synkinesis_score": 98.0 - score_rule["min_change"]}
    crossed = compare_with_baseline(worse, baseline, config).crossed
    assert [(c.metric, c.direction) for c in crossed] == [("ocular_synkinesis_score", "decrease")]


def test_new_synkinesis_crosses_the_patients_baseline(
    synkinesis_clips: dict[float, Path], analysed, config: ClipConfig
) -> None:
    baseline = analysed(synkinesis_clips[0.0]).to_dict()
    report = analyze_clip(synkinesis_clips[max(SYNKINESIS_AMOUNTS)], baseline=baseline)
    assert report.baseline is not None
    crossed = {c.metric for c in report.baseline.crossed}
    assert "eye_narrowing_pucker_pct.right" in crossed
    assert not any(name.endswith(".left") for name in crossed)
    assert report.needs_review is True
    assert config.messages["signs"]["baseline"] in report.patient_message


def test_same_clip_against_itself_crosses_nothing(
    healthy_clip: Path, analysed, config: ClipConfig
) -> None:
    first = analysed(healthy_clip)
    report = analyze_clip(healthy_clip, baseline=first.metrics)
    assert report.baseline is not None
    assert report.baseline.crossed == []
    assert len(report.baseline.compared) == 7
    assert report.needs_review is False
    assert config.messages["result"]["no_change"].strip() in report.patient_message
    assert config.messages["result"]["baseline_set"].strip() not in report.patient_message
