"""Chart specifications for the patient page, drawn in the browser by Chart.js (vendored).

The server decides everything a chart shows (series, bands, colours, axis ranges); the page's
small script (`static/portal.js`) only hands each spec to Chart.js. Every chart also has a data
table under it, so the numbers are readable without the picture.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from statistics import mean
from typing import Any

from coach.content import load_content
from coach.notify.render import as_utc
from coach.portal.patient_record import PatientRecord

SIDE_COLOURS = {"right": "#1f6fb2", "left": "#d9822b"}
SAQ_COLOUR, MOOD_COLOUR, ADHERENCE_COLOUR, MINUTES_COLOUR = (
    "#5b3fa8",
    "#2a8a5e",
    "#1f6fb2",
    "#9aa7b5",
)
CHANGE_COLOUR, BAND_COLOUR = "#c62828", "rgba(91,63,168,0.12)"
CLIP_METRICS = (  # (flat metric prefix, chart title, y-axis label)
    ("eye_narrowing_pucker_pct", "Eye narrowing in pucker", "% of own rest opening"),
    ("eye_narrowing_smile_pct", "Eye narrowing in smile", "% of own rest opening"),
    ("mouth_excursion_closure_pct", "Mouth corner in eye closure", "% of inter-canthal width"),
)
SIDES = ("right", "left")
ROUND = 1
AXIS_HEADROOM, AXIS_STEP = 5, 10  # SAQ axis: up to the next ten above the data and the band


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def saq_chart(record: PatientRecord) -> dict[str, Any] | None:
    """SAQ scores over time with the real-change band around the first score."""
    if not record.saqs:
        return None
    clinical = load_content("clinical")["saq"]
    points = float(clinical["real_change_points"])
    labels = [as_utc(s.answered_at).date().isoformat() for s in record.saqs]
    scores = [round(s.score, ROUND) for s in record.saqs]
    first = scores[0]
    top = max([*scores, first + points]) + AXIS_HEADROOM
    marked = [bool(s.real_change) for s in record.saqs]
    return {
        "id": "chart-saq",
        "title": f"SAQ (20 = no synkinesis, 100 = worst); band = first score ± {points:g} points",
        "type": "line",
        "labels": labels,
        "y": {"min": 20, "max": min(100, AXIS_STEP * -(-top // AXIS_STEP)), "title": "SAQ score"},
        "datasets": [
            {
                "label": f"first score + {points:g}",
                "data": [min(100.0, first + points)] * len(labels),
                "color": "rgba(0,0,0,0)",
                "fill": "+1",
                "fillColor": BAND_COLOUR,
                "points": False,
            },
            {
                "label": f"first score − {points:g}",
                "data": [max(20.0, first - points)] * len(labels),
                "color": "rgba(0,0,0,0)",
                "points": False,
            },
            {
                "label": "SAQ score",
                "data": scores,
                "color": SAQ_COLOUR,
                "pointColors": [CHANGE_COLOUR if m else SAQ_COLOUR for m in marked],
                "pointRadius": [6 if m else 3 for m in marked],
            },
        ],
        "table": {
            "columns": ["Date", "Score", "Change", f"Real change (≥ {points:g})"],
            "rows": [
                [
                    label,
                    score,
                    "" if s.change_from_previous is None else f"{s.change_from_previous:+.1f}",
                    "yes" if m else "",
                ]
                for label, score, s, m in zip(labels, scores, record.saqs, marked, strict=True)
            ],
        },
    }


def _weekly(record: PatientRecord) -> dict[date, list[Any]]:
    weeks: dict[date, list[Any]] = defaultdict(list)
    for row in record.checkins:
        weeks[_week_start(as_utc(row.completed_at).date())].append(row)
    return dict(sorted(weeks.items()))


def adherence_chart(record: PatientRecord) -> dict[str, Any] | None:
    """Per week: days with at least one exercise session (%) and minutes practised."""
    weeks = _weekly(record)
    if not weeks:
        return None
    labels = [w.isoformat() for w in weeks]
    days = [sum(1 for r in rows if (r.sessions_done or 0) > 0) for rows in weeks.values()]
    pct = [round(100 * min(d, 7) / 7) for d in days]
    minutes = [sum(r.minutes_practised or 0 for r in rows) for rows in weeks.values()]
    return {
        "id": "chart-adherence",
        "title": "Adherence per week: days with exercise (%) and minutes practised",
        "type": "bar",
        "labels": labels,
        "y": {"min": 0, "max": 100, "title": "% of days"},
        "y2": {"min": 0, "title": "minutes"},
        "datasets": [
            {"label": "days with exercise (%)", "data": pct, "color": ADHERENCE_COLOUR},
            {
                "label": "minutes practised",
                "data": minutes,
                "color": MINUTES_COLOUR,
                "kind": "line",
                "axis": "y2",
            },
        ],
        "table": {
            "columns": ["Week of", "Days with exercise", "Minutes"],
            "rows": [[lab, d, m] for lab, d, m in zip(labels, days, minutes, strict=True)],
        },
    }


def mood_chart(record: PatientRecord) -> dict[str, Any] | None:
    """Weekly mean mood (0–10) with the reviewed low-mood line."""
    weeks = _weekly(record)
    means = {
        w: round(mean(r.mood for r in rows if r.mood is not None), ROUND)
        for w, rows in weeks.items()
        if any(r.mood is not None for r in rows)
    }
    if not means:
        return None
    mood = load_content("clinical")["mood"]
    labels = [w.isoformat() for w in means]
    return {
        "id": "chart-mood",
        "title": f"Mood per week (mean, 0–10); dashed line = low mood (≤ {mood['low_threshold']})",
        "type": "line",
        "labels": labels,
        "y": {"min": mood["scale_min"], "max": mood["scale_max"], "title": "mood"},
        "datasets": [
            {"label": "mean mood", "data": list(means.values()), "color": MOOD_COLOUR},
            {
                "label": "low mood",
                "data": [mood["low_threshold"]] * len(labels),
                "color": CHANGE_COLOUR,
                "dashed": True,
                "points": False,
            },
        ],
        "table": {
            "columns": ["Week of", "Mean mood"],
            "rows": [[lab, m] for lab, m in zip(labels, means.values(), strict=True)],
        },
    }


def clip_charts(record: PatientRecord) -> list[dict[str, Any]]:
    """Per clip metric: right and left side over time, each side's baseline as a dashed line."""
    clips = [c for c in record.clips if c.status == "ok" and (c.report or {}).get("metrics")]
    if not clips:
        return []
    baseline = next((c for c in clips if c.is_baseline), None)
    labels = [as_utc(c.created_at).date().isoformat() for c in clips]
    charts = []
    for name, title, unit in CLIP_METRICS:
        datasets: list[dict[str, Any]] = []
        rows = []
        for side in SIDES:
            key = f"{name}.{side}"
            values = [c.report["metrics"].get(key) for c in clips]
            datasets.append(
                {"label": f"{side} (subject's)", "data": values, "color": SIDE_COLOURS[side]}
            )
            base = baseline.report["metrics"].get(key) if baseline else None
            if base is not None:
                datasets.append(
                    {
                        "label": f"{side} baseline",
                        "data": [base] * len(labels),
                        "color": SIDE_COLOURS[side],
                        "dashed": True,
                        "points": False,
                    }
                )
        for index, clip in enumerate(clips):
            metrics = clip.report["metrics"]
            rows.append(
                [labels[index]]
                + [metrics.get(f"{name}.{side}") for side in SIDES]
                + ["baseline" if clip.is_baseline else ""]
            )
        charts.append(
            {
                "id": f"chart-clip-{name}",
                "title": f"{title} — right and left vs baseline (dashed)",
                "type": "line",
                "labels": labels,
                "y": {"title": unit},
                "datasets": datasets,
                "table": {"columns": ["Clip date", "Right", "Left", ""], "rows": rows},
            }
        )
    return charts


def patient_charts(record: PatientRecord) -> list[dict[str, Any]]:
    """Every chart of the patient page that has data, in reading order."""
    charts = [saq_chart(record), adherence_chart(record), mood_chart(record)]
    return [c for c in charts if c is not None] + clip_charts(record)
