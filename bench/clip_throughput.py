"""Clip analysis throughput on 1080×1920 portrait H.264 protocol clips (30 fps and 60 fps, 10 s,
stored sideways with a rotation flag as phones record), versus the decode + mesh floor.

Run: .venv/bin/python bench/clip_throughput.py   →   bench/results/clip_throughput.json

Each measurement runs in a fresh process pinned to one CPU core, one after another:
- full: `analyze_clip()` end to end (validation, decode, Face Mesh, gates, phases, metrics,
  report; no plot), in its default fast mode.
- floor: a bare loop over the same frames the full pipeline reads: PyAV decodes every frame,
  the sampled ones (the pipeline's own timestamp sampler picks them) are converted to RGB and
  turned upright (and downscaled if the pipeline does), Face Mesh with the same settings.
  Nothing else.
- naive floor: the same bare loop over every frame at full size (what the pipeline would cost
  without frame sampling) — for context only.
- reference: `analyze_clip(reference=True)` — every frame, full size, per-frame detection —
  to check the fast pipeline's metrics against it on this clip, and the shortcuts the shipped
  config leaves off (tracking mode, downscaling) for the record.
Wall time is the median (and best) of the repeats, full / floor / naive runs interleaved so
that the shared machine's changing load falls on all of them alike; peak
memory is the process's peak resident set size during the measurement (VmHWM, reset just
before) and the peak of Python-level allocations (tracemalloc, in a separate untimed run).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results" / "clip_throughput.json"
WIDTH, HEIGHT, SECONDS = 1080, 1920, 10.0
CLIP_FPS = (30.0, 60.0)
GOAL_REALTIME = 4.0
REPEATS = 5
GOAL_RATIO_TO_FLOOR = 1.25
ACCURACY_POINTS = 3.0
MIB = 1024 * 1024
KIB = 1024
# Shortcuts the shipped config leaves off; measured against the reference for the record.
SHORTCUTS: dict[str, dict[str, dict[str, Any]]] = {
    "tracking_mode": {"mesh": {"tracking": True}},
    "downscale_to_960": {"sampling": {"max_side_px": 960}},
    "downscale_to_640": {"sampling": {"max_side_px": 640}},
    "sample_at_10fps": {"sampling": {"target_fps": 10}},
    "sample_at_5fps": {"sampling": {"target_fps": 5}},
}
# Right eye narrows during smile and pucker (synkinesis); the left is left alone.
BENCH_SYNKINESIS = {"smile_eye": (0.3, 0.0), "pucker_eye": (0.3, 0.0)}


def _config_for(kind: str) -> Any:
    """The shipped config, or a variant with one more speed shortcut switched on."""
    from dataclasses import replace

    from coach.clips.config import load_config

    config = load_config()
    for section, values in SHORTCUTS.get(kind, {}).items():
        config = replace(config, **{section: replace(getattr(config, section), **values)})
    return config


def _pin_one_core() -> int:
    """Run this process on one CPU core (the lowest one it may use)."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def _bare_loop(clip: str, every_frame: bool) -> int:
    """PyAV decode + Face Mesh over the frames the pipeline reads; returns meshed frames."""
    import cv2

    from coach.clips.config import load_config
    from coach.clips.decode import iter_frames, open_video
    from coach.clips.landmarks import FrameSampler, new_face_mesh, plan_tracking
    from coach.clips.validation import validate_clip

    config = load_config()
    info = validate_clip(Path(clip), config)
    plan = plan_tracking(info, config, reference=False)
    period, scale = (0.0, 1.0) if every_frame else (plan.period_s, plan.scale)
    container = open_video(Path(clip))
    sampler = FrameSampler(period)
    meshed = 0
    with new_face_mesh(config, plan.static_image_mode) as mesh:
        for decoded in iter_frames(container, info.fps or 30.0):
            if not sampler.take(decoded.time_s):
                continue
            frame = decoded.rgb()
            if scale < 1.0:
                frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            mesh.process(frame)
            meshed += 1
    container.close()
    return meshed


def measure(kind: str, clip: str, trace: bool) -> dict[str, Any]:
    """Child process: one timed measurement of `kind` (full, floor, naive_floor, reference, or
    a shortcut variant)."""
    cpu = _pin_one_core()
    import cv2  # noqa: F401  (imports are not part of the measured time)
    import mediapipe  # noqa: F401

    from coach.clips.analysis import analyze_clip

    if trace:
        tracemalloc.start()
    _reset_peak_rss()
    rss_before = _status_kib("VmRSS")
    start, cpu_start = time.perf_counter(), time.process_time()
    detail: dict[str, Any] = {}
    if kind in ("full", "reference", *SHORTCUTS):
        report = analyze_clip(clip, reference=kind == "reference", config=_config_for(kind))
        detail = {
            "frames_analysed": report.clip.frames_analysed,
            "frames_decoded": report.clip.frames_decoded,
            "analysis_size": [report.clip.analysis_width, report.clip.analysis_height],
            "metrics": report.metrics,
            "flags": report.to_dict()["flags"],
        }
    else:
        detail = {"frames_analysed": _bare_loop(clip, every_frame=kind == "naive_floor")}
    wall, cpu_time = time.perf_counter() - start, time.process_time() - cpu_start
    result = {
        "wall_s": wall,
        "cpu_s": cpu_time,
        "cpu": cpu,
        "rss_before_mib": rss_before / KIB,
        "peak_rss_mib": _status_kib("VmHWM") / KIB,
        **detail,
    }
    if trace:
        result["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    return result


def _in_child(kind: str, clip: Path, trace: bool = False) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, kind, str(clip), trace).result()


def _interleaved(kinds: tuple[str, ...], clip: Path) -> dict[str, dict[str, Any]]:
    """REPEATS rounds of one run of each kind in turn (load on a shared machine drifts; this
    way it drifts alike for all), then one traced run of each; summaries per kind."""
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for _ in range(REPEATS):
        for kind in kinds:
            runs[kind].append(_in_child(kind, clip))
    return {kind: _summary(runs[kind], _in_child(kind, clip, trace=True)) for kind in kinds}


def _summary(runs: list[dict[str, Any]], memory: dict[str, Any]) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    return {
        "wall_s_median": round(statistics.median(walls), 3),
        "wall_s_min": round(min(walls), 3),
        "wall_s_runs": [round(w, 3) for w in walls],
        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 3),
        "frames_meshed": runs[0]["frames_analysed"],
        "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
        "rss_after_imports_mib": round(statistics.median(r["rss_before_mib"] for r in runs), 1),
        "tracemalloc_peak_mib": round(memory["tracemalloc_peak_mib"], 2),
        "_last": runs[-1],
    }


def _max_metric_gap(fast: dict[str, Any], reference: dict[str, Any]) -> tuple[str | None, float]:
    gaps = {
        name: abs(value - reference[name])
        for name, value in fast.items()
        if value is not None and reference.get(name) is not None
    }
    worst = max(gaps, key=gaps.get) if gaps else None  # type: ignore[arg-type]
    return worst, round(gaps[worst], 2) if worst else 0.0


def _make_clip(folder: Path, fps: float) -> Path:
    """A phone-like portrait clip: H.264, stored sideways with a rotation flag."""
    from tests.clips.clip_factory import face_image, frames, protocol, write_av

    face = face_image(WIDTH, HEIGHT, "astronaut")
    rendered = frames(
        face, protocol(rest=1.5, gap=0.4, tail=0.4, **BENCH_SYNKINESIS), fps, duration=SECONDS
    )
    return write_av(
        folder / f"bench_1080x1920_{int(fps)}fps.mp4",
        rendered,
        fps,
        codec="libx264",
        stored_sideways=True,
    )


def _clip_results(clip: Path, fps: float, with_reference: bool) -> dict[str, Any]:
    """Every measurement on one clip."""
    measured = _interleaved(("full", "floor", "naive_floor"), clip)
    full, floor, naive = (measured[k] for k in ("full", "floor", "naive_floor"))
    ratio = full["wall_s_median"] / floor["wall_s_median"]
    ratio_min = full["wall_s_min"] / floor["wall_s_min"]
    realtime = SECONDS / full["wall_s_median"]
    cpu_ratio = full["cpu_s_median"] / floor["cpu_s_median"]
    results: dict[str, Any] = {
        "clip": {
            "width": WIDTH,
            "height": HEIGHT,
            "fps": fps,
            "seconds": SECONDS,
            "codec": "h264 (libx264), stored 1920x1080 with a 90° display rotation",
            "content": "astronaut protocol, right-eye synkinesis 30 %",
        },
        "pipeline": {
            "frames_decoded": full["_last"]["frames_decoded"],
            "frames_meshed": full["frames_meshed"],
            "analysis_size": full["_last"]["analysis_size"],
        },
        "full_analysis": {k: v for k, v in full.items() if k != "_last"},
        "floor": {k: v for k, v in floor.items() if k != "_last"},
        "naive_floor_every_frame": {k: v for k, v in naive.items() if k != "_last"},
        "ratio_full_to_floor": round(ratio, 3),
        "ratio_full_to_floor_best_runs": round(ratio_min, 3),
        "realtime_factor": round(realtime, 2),
        "floor_realtime_factor": round(SECONDS / floor["wall_s_median"], 2),
        # CPU seconds (all threads of the pinned process): what the work costs on one core,
        # whatever else the shared machine runs meanwhile (wall time includes waiting for it).
        "ratio_full_to_floor_cpu": round(cpu_ratio, 3),
        "realtime_factor_cpu": round(SECONDS / full["cpu_s_median"], 2),
        "floor_realtime_factor_cpu": round(SECONDS / floor["cpu_s_median"], 2),
        "goals": {
            "full_le_1.25x_floor": ratio <= GOAL_RATIO_TO_FLOOR,
            "realtime_ge_4x_one_core": realtime >= GOAL_REALTIME,
        },
    }
    if with_reference:
        reference = _in_child("reference", clip)
        worst, gap = _max_metric_gap(full["_last"]["metrics"], reference["metrics"])
        results["reference_mode"] = {
            "wall_s": round(reference["wall_s"], 3),
            "frames_meshed": reference["frames_analysed"],
        }
        results["accuracy_vs_reference"] = {
            "max_abs_gap_points": gap,
            "metric": worst,
            "flags_fast": full["_last"]["flags"],
            "flags_reference": reference["flags"],
        }
        results["goals"]["metrics_within_3_points_of_reference"] = gap <= ACCURACY_POINTS
        shortcuts = {}
        for kind in SHORTCUTS:
            variant = _in_child(kind, clip)
            name, variant_gap = _max_metric_gap(variant["metrics"], reference["metrics"])
            shortcuts[kind] = {
                "wall_s": round(variant["wall_s"], 3),
                "max_abs_gap_points": variant_gap,
                "metric": name,
                "within_3_points": variant_gap <= ACCURACY_POINTS,
            }
        results["shortcuts_left_off_vs_reference"] = shortcuts
    return results


def main() -> int:
    """Build the clips, run every measurement, write and print the results."""
    clips = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="clip-bench-") as tmp:
        folder = Path(tmp)
        for fps in CLIP_FPS:
            clip = _make_clip(folder, fps)
            clips[f"portrait_1080x1920_{int(fps)}fps"] = _clip_results(
                clip, fps, with_reference=fps == CLIP_FPS[0]
            )
    results = {
        **clips,
        "meaning": {
            "full_analysis": "analyze_clip() end to end in fast mode, one process pinned to one "
            "core; wall_s excludes Python/mediapipe imports, includes Face Mesh model load",
            "floor": "bare loop: PyAV decode of every frame, RGB + upright + Face Mesh of the "
            "sampled frames the pipeline uses (same Face Mesh settings); nothing else",
            "naive_floor_every_frame": "the same bare loop over every frame at full size",
            "reference_mode": "analyze_clip(reference=True): every frame, full size, "
            "per-frame detection (static_image_mode)",
            "peak_rss_mib": "peak resident memory of the process during the measurement "
            "(includes the ~imports baseline shown as rss_after_imports_mib)",
            "tracemalloc_peak_mib": "peak Python-level allocations (numpy included) during "
            "the measurement, from a separate untimed run",
        },
        "machine": {
            "cpus_online": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1_5_15_min_before": [round(v, 2) for v in load_before],
            "load_average_1_5_15_min_after": [round(v, 2) for v in os.getloadavg()],
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"\nwritten to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
