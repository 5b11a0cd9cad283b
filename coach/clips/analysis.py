"""The one entry point: validate, track, gate, segment, measure and report a selfie clip."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from coach.clips.baseline import compare_with_baseline
from coach.clips.config import ClipConfig, load_config
from coach.clips.keyframes import pick_key_frames, render_sheet
from coach.clips.landmarks import FaceTrack, Progress, plan_tracking, track_face
from coach.clips.messages import needs_review, patient_message
from coach.clips.metrics import PERCENT, compute_flags, compute_metrics
from coach.clips.phases import ProtocolPhases, segment_protocol
from coach.clips.quality import (
    QualityReport,
    check_eyes,
    check_glasses,
    check_head,
    check_light_and_faces,
    check_mouth,
)
from coach.clips.report import STATUS_OK, STATUS_PARTIAL, ClipInfo, ClipReport, Series
from coach.clips.sides import check_sides
from coach.clips.signals import SIDES, FaceSignals, compute_signals
from coach.clips.validation import VideoInfo, check_decoded, check_file, check_stream, open_capture


def _series(signals: FaceSignals, phases: ProtocolPhases, quality: QualityReport) -> Series:
    """Eye opening (% of own rest) and mouth-corner excursion (% ICW) per analysed frame."""
    rest = phases.rest.hold
    series = Series(times_s=[float(t) for t in signals.times])
    for side in SIDES:
        aperture = signals.aperture[side]
        opening = PERCENT * aperture / np.nanmedian(aperture[rest])
        if not quality.eyes_measurable[side]:
            opening = np.full_like(opening, np.nan)
        corner = signals.corner[side]
        excursion = PERCENT * np.hypot(*(corner - np.nanmedian(corner[rest], axis=0)).T)
        series.eye_aperture_pct[side] = [float(v) if np.isfinite(v) else None for v in opening]
        series.mouth_excursion_pct[side] = [float(v) if np.isfinite(v) else None for v in excursion]
    return series


def _clip_info(info: VideoInfo, track: FaceTrack) -> ClipInfo:
    """The clip facts and analysis settings for the report."""
    return ClipInfo(
        container=info.container,
        size_bytes=info.size_bytes,
        width=info.width,
        height=info.height,
        fps=info.fps if info.fps is not None else track.frames_decoded / track.duration_s,
        duration_s=track.duration_s,
        frames_decoded=track.frames_decoded,
        frames_analysed=len(track.times),
        analysis_width=track.frame_size[0],
        analysis_height=track.frame_size[1],
        analysis_fps=len(track.times) / track.duration_s,
        mode=track.plan.mode,
        codec=info.codec,
        rotation_deg=track.rotation_deg,
        mirrored_by_metadata=track.mirrored_by_metadata,
    )


def analyze_clip(
    path: str | Path,
    affected_side: str | None = None,
    baseline: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    *,
    reference: bool = False,
    config: ClipConfig | None = None,
) -> ClipReport:
    """Analyse one protocol clip; raises ClipRejected (code + retake message) if unusable.

    `affected_side` is the subject's 'left' or 'right' (None: the worse side is assessed);
    `baseline` is the patient's baseline metrics (a stored report dict or its `metrics`);
    `progress(frames_done, frames_total)` is called while decoding; `reference=True` runs
    every frame at full resolution in static-image mode (slow; for accuracy checks).
    Writes nothing; picklable top-level function for process pools.
    """
    if affected_side not in (None, *SIDES):
        raise ValueError(f"affected_side must be one of {SIDES} or None, not {affected_side!r}")
    config = config or load_config()
    path = Path(path)
    size, container = check_file(path, config)
    capture = open_capture(path, config)
    try:
        info = check_stream(capture, size, container, config)
        track = track_face(capture, info, config, plan_tracking(info, config, reference), progress)
    finally:
        capture.close()
    check_decoded(info, track.frames_decoded, track.duration_s, config)
    quality = QualityReport()
    check_light_and_faces(track, config, quality)
    signals = compute_signals(track)
    check_head(signals, config, quality)
    phases = segment_protocol(signals, config)
    quality.warnings += [f"{name}_not_seen" for name in phases.missed]
    check_glasses(track, phases, config, quality)
    check_eyes(signals, phases, config, quality)
    check_mouth(signals, phases, config, quality)
    metrics = compute_metrics(signals, phases, quality, affected_side, config)
    flags = compute_flags(metrics, config)
    flat = metrics.flat()
    comparison = compare_with_baseline(flat, baseline, config) if baseline is not None else None
    sides = check_sides(flags, flat, affected_side, baseline, track.mirrored_by_metadata, config)
    key_frames = pick_key_frames(track, phases)
    report = ClipReport(
        status=STATUS_PARTIAL if quality.warnings else STATUS_OK,
        clip=_clip_info(info, track),
        affected_side=affected_side,
        assessed_side=metrics.assessed_side,
        quality=quality,
        phases=[segment.to_dict() for segment in phases.ordered()],
        metrics=flat,
        flags=flags,
        baseline=comparison,
        needs_review=needs_review(flags, comparison, sides),
        patient_message=patient_message(flags, comparison, quality, sides, config),
        series=_series(signals, phases, quality),
        side_check=sides,
        red_flag=sides.red_flag,
        key_frames=[key.to_dict() for key in key_frames],
    )
    report.key_frames_png = render_sheet(track, key_frames, config)
    return report
