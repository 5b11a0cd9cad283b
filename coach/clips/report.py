"""The clip report: a JSON-serialisable dataclass, written atomically; PNG plot via plot.py.

JSON keys (`ClipReport.to_dict()`, schema_version 2), read by the portal and the triage:
- `status`: "ok" or "partial" (some metrics left out, see `quality.warnings`).
- `clip`: container, codec, stored and analysed size, fps, duration, frames, `rotation_deg`
  (turned upright from the container's display matrix), `mirrored_by_metadata`, `mode`.
- `affected_side` (recorded, may be null), `assessed_side` (side the ocular score is for).
- `quality`: what each gate measured (face share, light, pose, motion, eye jitter, `glasses`
  and its `glasses_score`, `eyes_measurable` per side, `warnings` codes).
- `phases`: [{name, start_s, end_s}] for rest, eye_closure, smile, pucker, brow_raise.
- `metrics`: flat `name.side` and whole-face values in percent (see metrics.py), null when
  not measurable; side-against-side values `eye_asymmetry_{smile,pucker}_pct` (> 0: right
  narrows more) and `oral_asymmetry_closure_pct`, each with its standard error `*_se_pct`
  from the clip's own jitter at rest (a flag needs 3 SE as well as its threshold).
- `flags`: sides with `ocular_synkinesis`, `oral_synkinesis`, `weakness`, and
  `weak_movements` {side: [movement, ...]}.
- `side_check`: weak side against the recorded affected side (sides.py): `status`
  (consistent, no_weakness, affected_side_unknown, opposite, both), `weak_sides`,
  `unconfirmed_flags` (synkinesis not attributed to a side when opposite), `red_flag`, `note`.
- `red_flag`: "other_cause" when the clip must be escalated (see a doctor today), else null.
- `baseline`: {compared, crossed: [{metric, baseline, current, change, direction, min_change}]}.
- `needs_review`, `patient_message`.
- `key_frames`: [{phase, frame_index, time_s}]: the frames drawn in the key-frame PNG.
- `series`: per analysed frame `times_s`, `eye_aperture_pct` and `mouth_excursion_pct` per side.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coach.clips.baseline import BaselineChange, BaselineComparison
from coach.clips.metrics import Flags
from coach.clips.quality import QualityReport
from coach.clips.sides import SideCheck

SCHEMA_VERSION = 2
DECIMALS = 2
STATUS_OK, STATUS_PARTIAL = "ok", "partial"


@dataclass
class ClipInfo:
    """The clip and how it was analysed."""

    container: str
    size_bytes: int
    width: int
    height: int
    fps: float
    duration_s: float
    frames_decoded: int
    frames_analysed: int
    analysis_width: int
    analysis_height: int
    analysis_fps: float
    mode: str
    codec: str = ""
    rotation_deg: int = 0
    mirrored_by_metadata: bool = False


@dataclass
class Series:
    """Per analysed frame: eye opening (% of own rest) and mouth-corner excursion (% ICW)."""

    times_s: list[float] = field(default_factory=list)
    eye_aperture_pct: dict[str, list[float | None]] = field(default_factory=dict)
    mouth_excursion_pct: dict[str, list[float | None]] = field(default_factory=dict)


@dataclass
class ClipReport:
    """Everything the analysis found; `to_dict()` is what gets stored."""

    status: str
    clip: ClipInfo
    affected_side: str | None
    assessed_side: str | None
    quality: QualityReport
    phases: list[dict[str, Any]]
    metrics: dict[str, float | None]
    flags: Flags
    baseline: BaselineComparison | None
    needs_review: bool
    patient_message: str
    series: Series
    side_check: SideCheck | None = None
    red_flag: str | None = None
    key_frames: list[dict[str, Any]] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        self.key_frames_png: bytes | None = None  # rendered by the analysis, not serialised

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (floats rounded, NaN as null)."""
        data = asdict(self)
        data["baseline"] = self.baseline.to_dict() if self.baseline is not None else None
        return _clean(data)

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def save_json(self, path: Path) -> None:
        """Write the JSON report atomically (never half-written)."""
        write_atomic(Path(path), self.to_json().encode("utf-8"))

    def save_plot(self, path: Path) -> None:
        """Write the PNG plot atomically (matplotlib is imported only here)."""
        from coach.clips.plot import render_png

        write_atomic(Path(path), render_png(self.to_dict()))

    def save_key_frames(self, path: Path) -> bool:
        """Write the key-frame PNG (one face per phase, landmarks drawn); False if none."""
        if not self.key_frames_png:
            return False
        write_atomic(Path(path), self.key_frames_png)
        return True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipReport:
        """Rebuild a report from `to_dict()` output (e.g. a stored analysis)."""
        baseline = data.get("baseline")
        side_check = data.get("side_check")
        return cls(
            status=data["status"],
            clip=ClipInfo(**data["clip"]),
            affected_side=data.get("affected_side"),
            assessed_side=data.get("assessed_side"),
            quality=QualityReport(**data["quality"]),
            phases=list(data["phases"]),
            metrics=dict(data["metrics"]),
            flags=Flags(**data["flags"]),
            baseline=None
            if baseline is None
            else BaselineComparison(
                compared=list(baseline["compared"]),
                crossed=[BaselineChange(**c) for c in baseline["crossed"]],
            ),
            needs_review=bool(data["needs_review"]),
            patient_message=data["patient_message"],
            series=Series(**data["series"]),
            side_check=SideCheck(**side_check) if side_check else None,
            red_flag=data.get("red_flag"),
            key_frames=list(data.get("key_frames") or []),
            schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
        )


def _clean(value: Any) -> Any:
    """Round floats, turn NaN/inf into None, recurse into containers."""
    if isinstance(value, float):
        return round(value, DECIMALS) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a new temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "xb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
