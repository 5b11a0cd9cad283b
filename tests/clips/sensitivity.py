"""The sensitivity table: detection per sign against injected amplitude, false positives on
healthy and weakness-only clips, per face and clip type, and the healthy noise floor per metric.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from coach.clips.config import ClipConfig

SIGNS = ("ocular_synkinesis", "oral_synkinesis", "weakness")
SYNKINESIS = ("ocular_synkinesis", "oral_synkinesis")
NOISE_METRICS = (
    "eye_asymmetry_smile_pct",
    "eye_asymmetry_pucker_pct",
    "oral_asymmetry_closure_pct",
    "mouth_excursion_closure_pct.right",
    "mouth_excursion_closure_pct.left",
    "eye_narrowing_pucker_pct.right",
    "eye_narrowing_pucker_pct.left",
)
RESULTS_DIR = Path(__file__).resolve().parents[2] / "results" / "clips"
NOISE_PERCENTILE = 95


def comparable_movements(report: dict[str, Any], config: ClipConfig) -> int:
    """How many movements could be compared side against side (weakness needs enough)."""
    strong_min = config.flags.weakness["min_strong_side"]
    count = 0
    for amplitude, minimum in strong_min.items():
        values = [report["metrics"].get(f"{amplitude}.{side}") for side in ("right", "left")]
        count += all(v is not None for v in values) and max(values) >= minimum
    return count


def outcome(result: dict[str, Any], config: ClipConfig | None = None) -> str:
    """detected / missed / not_measurable / rejected / error for a sign clip; for a clip
    without a synkinesis sign: clean / false_positive (or rejected / error)."""
    if "error" in result:
        return "error"
    if "rejected" in result:
        return "rejected"
    case, report = result["case"], result["fast"]
    sign, side = case["sign"], case["side"]
    flags = report["flags"]
    if sign in SIGNS:
        quality = report["quality"]
        if sign == "ocular_synkinesis" and not all(quality["eyes_measurable"].values()):
            return "not_measurable"  # side against side needs both eyes
        if sign == "oral_synkinesis" and not quality["mouth_measurable"]:
            return "not_measurable"
        if (
            sign == "weakness"
            and config is not None
            and side not in flags[sign]
            and comparable_movements(report, config) < config.flags.weakness["min_movements"]
        ):
            return "not_measurable"  # too few movements seen on both sides to compare
        return "detected" if side in flags[sign] else "missed"
    return "false_positive" if any(flags[s] for s in SIGNS) else "clean"


def synkinesis_false_positive(result: dict[str, Any]) -> bool | None:
    """Whether a healthy or weakness-only clip got a synkinesis flag (None: not analysed)."""
    if "fast" not in result:
        return None
    flags = result["fast"]["flags"]
    return any(flags[s] for s in SYNKINESIS)


def claimed(case: dict[str, Any], config: ClipConfig) -> bool:
    """Whether a sign clip's amplitude is one the thresholds claim to catch."""
    amplitude = config.sensitivity.claimed_amplitude[case["sign"]]
    if case["sign"] == "weakness":
        return case["amplitude"] <= amplitude + 1e-9
    return case["amplitude"] >= amplitude - 1e-9


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def build_table(results: list[dict[str, Any]], config: ClipConfig) -> dict[str, Any]:
    """Every figure of the table, as plain data."""
    by_amplitude: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    claimed_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_face: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_format: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    false_positive: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    noise: dict[str, list[float]] = defaultdict(list)
    glasses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for result in results:
        case = result["case"]
        result_outcome = outcome(result, config)
        groups = (per_face[case["face"]], per_format[case["format"]])
        if "fast" in result:
            glasses[case["face"]]["clips"] += 1
            glasses[case["face"]]["glasses"] += bool(result["fast"]["quality"]["glasses"])
        if case["sign"] in SIGNS:
            amplitude = f"{int(round(100 * case['amplitude']))}%"
            by_amplitude[case["sign"]][amplitude][result_outcome] += 1
            if claimed(case, config) and result_outcome != "not_measurable":
                claimed_counts[case["sign"]]["clips"] += 1
                claimed_counts[case["sign"]]["detected"] += result_outcome == "detected"
                for group in groups:
                    group["claimed_clips"] += 1
                    group["claimed_detected"] += result_outcome == "detected"
        if case["sign"] in ("healthy", "weakness"):
            fp = synkinesis_false_positive(result)
            kind = case["sign"]
            false_positive[kind]["clips"] += 1
            false_positive[kind]["false_positive"] += bool(fp)
            for group in groups:
                group["fp_clips"] += 1
                group["fp"] += bool(fp)
            if case["sign"] == "healthy" and "fast" in result:
                flags = result["fast"]["flags"]
                false_positive["healthy_weakness"]["clips"] += 1
                false_positive["healthy_weakness"]["false_positive"] += bool(flags["weakness"])
                for name in NOISE_METRICS:
                    value = result["fast"]["metrics"].get(name)
                    if value is not None:
                        noise[name].append(abs(value))
        for group in groups:
            group["clips"] += 1
            group["rejected"] += result_outcome in ("rejected", "error")
    return {
        "detection_by_amplitude": {s: dict(v) for s, v in by_amplitude.items()},
        "detection_at_claimed": {
            s: {**v, "rate": _rate(v["detected"], v["clips"])} for s, v in claimed_counts.items()
        },
        "false_positives": {
            k: {**v, "rate": _rate(v["false_positive"], v["clips"])}
            for k, v in false_positive.items()
        },
        "per_face": {k: _group(v) for k, v in per_face.items()},
        "per_clip_type": {k: _group(v) for k, v in per_format.items()},
        "healthy_noise_floor": {
            name: {
                f"p{NOISE_PERCENTILE}": round(float(np.percentile(vals, NOISE_PERCENTILE)), 2),
                "max": round(float(np.max(vals)), 2),
                "clips": len(vals),
            }
            for name, vals in noise.items()
            if vals
        },
        "glasses_recognised": {k: dict(v) for k, v in glasses.items()},
        "claimed_amplitude": dict(config.sensitivity.claimed_amplitude),
        "thresholds": {
            "ocular": dict(config.flags.ocular),
            "oral": dict(config.flags.oral),
            "weakness_ratio_max": config.flags.weakness["ratio_max"],
        },
        "clips": len(results),
    }


def _group(counts: dict[str, int]) -> dict[str, Any]:
    """One face's or clip type's line."""
    return {
        "clips": counts["clips"],
        "rejected": counts["rejected"],
        "detection_at_claimed": _rate(counts["claimed_detected"], counts["claimed_clips"]),
        "claimed_clips": counts["claimed_clips"],
        "false_positive_rate": _rate(counts["fp"], counts["fp_clips"]),
        "fp_clips": counts["fp_clips"],
    }


def _fmt(value: Any) -> str:
    return (
        "–"
        if value is None
        else (f"{100 * value:.0f} %" if isinstance(value, float) else str(value))
    )


def to_markdown(table: dict[str, Any]) -> str:
    """The table as Markdown for people."""
    lines = ["# Clip analysis sensitivity (written by tests/clips/test_clip_sensitivity.py)", ""]
    lines.append(f"{table['clips']} clips; claimed amplitudes: {table['claimed_amplitude']}")
    lines += ["", "## Detection by injected amplitude", "", "| sign | amplitude | outcomes |"]
    lines.append("|---|---|---|")
    for sign, amplitudes in sorted(table["detection_by_amplitude"].items()):
        for amplitude, counts in sorted(amplitudes.items(), key=lambda kv: int(kv[0][:-1])):
            lines.append(f"| {sign} | {amplitude} | {dict(counts)} |")
    lines += ["", "## At the claimed amplitudes", "", "| sign | detected / clips | rate |"]
    lines.append("|---|---|---|")
    for sign, row in sorted(table["detection_at_claimed"].items()):
        lines.append(f"| {sign} | {row['detected']} / {row['clips']} | {_fmt(row['rate'])} |")
    lines += ["", "## False positives", "", "| clips | flagged / clips | rate |", "|---|---|---|"]
    for kind, row in sorted(table["false_positives"].items()):
        lines.append(f"| {kind} | {row['false_positive']} / {row['clips']} | {_fmt(row['rate'])} |")
    for title, key in (("Per face", "per_face"), ("Per clip type", "per_clip_type")):
        lines += ["", f"## {title}", "", "| | clips | refused | detection at claimed | FP rate |"]
        lines.append("|---|---|---|---|---|")
        for name, row in sorted(table[key].items()):
            lines.append(
                f"| {name} | {row['clips']} | {row['rejected']} | "
                f"{_fmt(row['detection_at_claimed'])} ({row['claimed_clips']}) | "
                f"{_fmt(row['false_positive_rate'])} ({row['fp_clips']}) |"
            )
    lines += ["", "## Healthy noise floor (absolute values)", "", "| metric | p95 | max | clips |"]
    lines.append("|---|---|---|---|")
    for name, row in sorted(table["healthy_noise_floor"].items()):
        lines.append(f"| {name} | {row['p95']} | {row['max']} | {row['clips']} |")
    lines += ["", "## Glasses recognised from the image", "", "| face | clips with glasses |"]
    lines.append("|---|---|")
    for face, row in sorted(table["glasses_recognised"].items()):
        lines.append(f"| {face} | {row['glasses']} / {row['clips']} |")
    return "\n".join(lines) + "\n"


def write_table(table: dict[str, Any], folder: Path = RESULTS_DIR) -> Path:
    """Write sensitivity.json and sensitivity.md; returns the Markdown path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sensitivity.json").write_text(json.dumps(table, indent=2) + "\n")
    path = folder / "sensitivity.md"
    path.write_text(to_markdown(table))
    return path
