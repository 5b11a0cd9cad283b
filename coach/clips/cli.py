"""`analyze-clip CLIP [--affected-side left|right] [--json out.json] [--plot out.png]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from coach.clips.analysis import analyze_clip
from coach.clips.config import ClipConfig, load_config
from coach.clips.errors import ClipRejected
from coach.clips.report import ClipReport
from coach.clips.signals import SIDES
from coach.clips.validation import validate_clip

EXIT_OK, EXIT_REJECTED = 0, 3
STDOUT = "-"
SUMMARY_METRICS = (
    "eye_narrowing_smile_pct",
    "eye_narrowing_pucker_pct",
    "mouth_excursion_closure_pct",
    "mouth_excursion_smile_pct",
    "brow_raise_pct",
)


class ProgressBar:
    """tqdm on stderr when it is a terminal; in a log (not a TTY) one line at the end instead
    of a redraw per step."""

    def __init__(self, stream: TextIO, width: int, label: str = "analysing") -> None:
        self.stream, self.label = stream, label
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())
        self._bar: tqdm | None = None
        self._width = width
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        """Advance to `done` of `total` frames."""
        if self.interactive:
            if self._bar is None:
                self._bar = tqdm(
                    total=total, desc=self.label, unit="frame", file=self.stream, ncols=self._width
                )
            self._bar.total = total
            self._bar.update(max(0, done - self._bar.n))
        self._done = done

    def close(self) -> None:
        """Finish the bar (or write the one summary line)."""
        if self._bar is not None:
            self._bar.close()
        elif self._done:
            self.stream.write(f"{self.label}: {self._done} frames decoded\n")
            self.stream.flush()


def build_parser() -> argparse.ArgumentParser:
    """Arguments of analyze-clip."""
    parser = argparse.ArgumentParser(
        prog="analyze-clip",
        description="Measure synkinesis signs in a protocol selfie clip "
        "(rest, gentle eye closure, smile, lip pucker, brow raise).",
    )
    parser.add_argument("clip", type=Path, help="video file (mp4, mov, webm, mkv, avi)")
    parser.add_argument("--affected-side", choices=SIDES, help="the subject's affected side")
    parser.add_argument(
        "--json", dest="json_path", help="write the JSON report here ('-' = stdout)"
    )
    parser.add_argument("--plot", type=Path, help="write the PNG plot here")
    parser.add_argument(
        "--key-frames", type=Path, help="write the key-frame PNG here (landmarks drawn)"
    )
    parser.add_argument("--baseline", type=Path, help="baseline JSON report to compare with")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="slow reference mode: every frame, full resolution, per-frame detection",
    )
    return parser


def summary(report: ClipReport) -> str:
    """Human-readable summary for the terminal."""
    lines = [f"status: {report.status}  ({report.clip.duration_s:.1f} s, {report.clip.mode})"]
    for name in SUMMARY_METRICS:
        values = "  ".join(f"{side} {_fmt(report.metrics.get(f'{name}.{side}'))}" for side in SIDES)
        lines.append(f"{name}: {values}")
    lines.append(f"ocular_synkinesis_score: {_fmt(report.metrics.get('ocular_synkinesis_score'))}")
    flags = {k: v for k, v in vars(report.flags).items() if v}
    lines.append(f"flags: {flags or 'none'}")
    if report.baseline is not None:
        crossed = [c.metric for c in report.baseline.crossed]
        lines.append(f"baseline crossings: {crossed or 'none'}")
    lines.append(f"message: {report.patient_message}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    """A metric for the terminal."""
    return "n/a" if value is None else f"{value:.1f}"


def _progress_for(clip: Path, config: ClipConfig) -> ProgressBar | None:
    """A progress bar on stderr when the clip is long enough to need one."""
    info = validate_clip(clip, config)
    if info.duration_s is None or info.duration_s >= config.cli.progress_min_s:
        return ProgressBar(sys.stderr, config.cli.progress_width)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the analysis; exit 0 with outputs written, 3 with a retake message if rejected."""
    args = build_parser().parse_args(argv)
    config = load_config()
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    bar = None
    try:
        bar = _progress_for(args.clip, config)
        report = analyze_clip(
            args.clip, args.affected_side, baseline, bar, reference=args.reference
        )
    except ClipRejected as rejected:
        if bar is not None:
            bar.close()
        print(f"clip rejected [{rejected.code}]: {rejected.message}", file=sys.stderr)
        return EXIT_REJECTED
    if bar is not None:
        bar.close()
    if args.json_path == STDOUT:
        print(report.to_json())
    else:
        if args.json_path:
            report.save_json(Path(args.json_path))
        print(summary(report))
    if args.plot:
        report.save_plot(args.plot)
    if args.key_frames:
        report.save_key_frames(args.key_frames)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
