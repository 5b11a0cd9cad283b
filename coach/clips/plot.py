"""PNG plot for the therapist: per-side eye opening and mouth-corner excursion, phases shaded."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FIGURE_SIZE_IN = (9.0, 5.5)
DPI = 110
SIDE_STYLE = {"right": {"color": "tab:blue"}, "left": {"color": "tab:orange"}}
PHASE_COLOURS = {
    "rest": "#e8e8e8",
    "eye_closure": "#cfe3ff",
    "smile": "#ffe3b8",
    "pucker": "#e4d4f5",
    "brow_raise": "#d4f0d4",
}
PHASE_LABELS = {
    "rest": "rest",
    "eye_closure": "eye closure",
    "smile": "smile",
    "pucker": "pucker",
    "brow_raise": "brow raise",
}
SHADE_ALPHA = 0.8


def _shade(axes: Any, phases: list[dict[str, Any]], label: bool) -> None:
    """Shade (and optionally name) each protocol phase."""
    for phase in phases:
        name = phase["name"]
        axes.axvspan(
            phase["start_s"],
            phase["end_s"],
            color=PHASE_COLOURS.get(name, "#eeeeee"),
            alpha=SHADE_ALPHA,
            lw=0,
            zorder=0,
        )
        if label:
            axes.text(
                (phase["start_s"] + phase["end_s"]) / 2,
                1.02,
                PHASE_LABELS.get(name, name),
                transform=axes.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
            )


def render_png(report: dict[str, Any]) -> bytes:
    """The plot of a report dict (`ClipReport.to_dict()`) as PNG bytes."""
    series, phases = report["series"], report["phases"]
    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI)
    FigureCanvasAgg(figure)
    eye_axes, mouth_axes = figure.subplots(2, 1, sharex=True)
    times = series["times_s"]
    panels = (
        (eye_axes, "eye_aperture_pct", "eye opening\n(% of own rest)"),
        (mouth_axes, "mouth_excursion_pct", "mouth corner\nexcursion (% ICW)"),
    )
    for index, (axes, key, ylabel) in enumerate(panels):
        _shade(axes, phases, label=index == 0)
        for side, values in series[key].items():
            points = [(t, v) for t, v in zip(times, values, strict=True) if v is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, label=f"{side} (subject's)", lw=1.6, **SIDE_STYLE.get(side, {}))
        axes.set_ylabel(ylabel)
        axes.grid(alpha=0.3)
    eye_axes.legend(loc="lower left", fontsize=8)
    mouth_axes.set_xlabel("time (s)")
    flags = report["flags"]
    summary = ", ".join(f"{k.replace('_', ' ')}: {'/'.join(v)}" for k, v in flags.items() if v)
    score = report["metrics"].get("ocular_synkinesis_score")
    title = f"Clip analysis — ocular synkinesis score {score if score is not None else 'n/a'}"
    figure.suptitle(f"{title}\n{summary or 'no flags'}", fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
