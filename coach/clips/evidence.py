"""A clip report summarised as escalation evidence a therapist can read in an email."""

from __future__ import annotations

from typing import Any

from coach.content import load_content

RIGHT_LEFT = ("right", "left")
DECIMALS = 1


def _number(value: Any, missing: str) -> str:
    return missing if value is None else f"{value:.{DECIMALS}f}"


def _findings(flags: dict[str, list[str]], wording: dict[str, Any]) -> str:
    found = [
        f"{label} ({', '.join(flags[name])})"
        for name, label in wording["findings"].items()
        if flags.get(name)
    ]
    return "; ".join(found) or wording["none"]


def _metrics(metrics: dict[str, Any], wording: dict[str, Any]) -> str:
    parts = []
    for name, label in wording["metrics"]:
        if name in metrics:
            shown = _number(metrics[name], wording["no_value"])
        else:
            shown = " / ".join(
                _number(metrics.get(f"{name}.{side}"), wording["no_value"]) for side in RIGHT_LEFT
            )
        parts.append(f"{label} {shown}")
    return "; ".join(parts)


def _baseline(report: dict[str, Any], is_baseline: bool, wording: dict[str, Any]) -> str:
    crossed = (report.get("baseline") or {}).get("crossed") or []
    if crossed:
        return "; ".join(
            wording["change"].format(
                metric=c["metric"],
                baseline=_number(c["baseline"], wording["no_value"]),
                current=_number(c["current"], wording["no_value"]),
            )
            for c in crossed
        )
    return wording["baseline_first"] if is_baseline else wording["baseline_unchanged"]


def clip_evidence(report: dict[str, Any], analysis_id: int, is_baseline: bool) -> dict[str, Any]:
    """Readable findings, key metrics and baseline change, plus the analysis row to open."""
    wording = load_content("notifications")["clip_evidence"]
    findings = _findings(report.get("flags") or {}, wording)
    note = (report.get("side_check") or {}).get("note")
    if note:
        findings = f"{note} {findings}" if findings != wording["none"] else note
    return {
        "source": wording["source"],
        "clip_findings": findings,
        "clip_metrics": _metrics(report.get("metrics") or {}, wording),
        "clip_baseline": _baseline(report, is_baseline, wording),
        "clip_analysis_id": analysis_id,
    }
