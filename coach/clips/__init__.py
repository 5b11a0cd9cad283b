"""Selfie clip analysis: per-side synkinesis signs from a guided protocol clip (no Rasa here).

Entry point: `analyze_clip(path, affected_side=None, baseline=None, progress=None)` returns a
`ClipReport` or raises `ClipRejected` (stable `code` + patient retake `message`).

Modules, in pipeline order: validation (bytes, container, stream), decode (PyAV: upright frames,
real timestamps), landmarks (Face Mesh, face crops), signals (aligned per-side measurements),
quality (gates), phases (movements from whichever side moves), glasses, metrics (side against
side), sides (weak side vs the recorded affected side: red flags), baseline, messages,
keyframes and plot (therapist PNGs), report (JSON keys documented there).
"""

from coach.clips.analysis import analyze_clip
from coach.clips.baseline import BaselineComparison, compare_with_baseline
from coach.clips.config import ClipConfig, load_config
from coach.clips.errors import ClipRejected, Code
from coach.clips.report import ClipReport
from coach.clips.validation import VideoInfo, validate_clip

__all__ = [
    "BaselineComparison",
    "ClipConfig",
    "ClipRejected",
    "ClipReport",
    "Code",
    "VideoInfo",
    "analyze_clip",
    "compare_with_baseline",
    "load_config",
    "validate_clip",
]
