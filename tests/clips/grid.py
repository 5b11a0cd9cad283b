"""The sensitivity grid: real faces × signs × amplitudes × weak sides × phone formats.

Every case is a clip made from one of five real photographs (clip_factory.FACE_SOURCES) with a
known sign injected on a known side, written in one of the formats phones and messaging apps
produce, with hand tremor, sometimes head sway and uneven light. `run_case` makes the clip and
analyses it (fast pipeline, and the reference mode when asked) in a worker process; the test
session runs the grid once, two processes at a time.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import clip_factory as cf

FACES = ("astronaut", "einstein", "takeo", "jesse", "lenna")
GLASSES_FACES = ("takeo",)
OLDER_FACES = ("einstein", "takeo")
HEALTHY_SMILE_NARROWING = 0.2  # normal eyes narrow ~22 % in a smile, alike on both sides
SMILE_CORNER = (0.10, 0.06)  # outward, up (ICW) at the peak of a smile
SYNKINESIS_SIDE_GAIN = 0.7  # half the synkinesis clips also move a little less on that side
SWAY = {"translation_icw": 0.04, "roll_deg": 1.5, "period_s": 3.0}
# The cue card asks to hold each movement about two seconds; people hold a little less.
TIMING = {
    "rest": 1.2,
    "gap": 0.3,
    "tail": 0.5,
    "holds": {"eye_closure": 1.5, "smile": 1.5, "pucker": 1.5, "brow_raise": 1.5},
}


@dataclass(frozen=True)
class Format:
    """How a clip is written: size (display), frame rate, codec/container, phone quirks."""

    name: str
    width: int
    height: int
    fps: float
    writer: str  # "cv2:<fourcc>" or "av:<codec>"
    suffix: str
    bitrate: int | None = None
    variable_rate: bool = False
    sideways: bool = False


FORMATS = (
    Format("mp4v 480x480 30fps", 480, 480, 30, "cv2:mp4v", ".mp4"),
    Format("WhatsApp H.264 480x848 30fps", 480, 848, 30, "av:libx264", ".mp4", bitrate=700_000),
    Format(
        "iPhone HEVC .mov 720x1280 sideways", 720, 1280, 30, "av:libx265", ".mov", sideways=True
    ),
    Format("Telegram round note 384x384", 384, 384, 30, "av:libx264", ".mp4", bitrate=500_000),
    Format("MJPG .avi 640x360 25fps", 640, 360, 25, "cv2:MJPG", ".avi"),
    Format("VFR H.264 540x960 ~30fps", 540, 960, 30, "av:libx264", ".mp4", variable_rate=True),
    Format("VP8 .webm 360x640 24fps", 360, 640, 24, "av:libvpx", ".webm"),
    Format("H.264 720x720 60fps", 720, 720, 60, "av:libx264", ".mp4"),
    Format("Android H.264 360x640 sideways", 360, 640, 30, "av:libx264", ".mp4", sideways=True),
)
# One 1080p portrait clip per face is enough (rendering 1080p frames is the slow part).
PORTRAIT_1080 = Format("H.264 1080x1920 portrait 30fps", 1080, 1920, 30, "av:libx264", ".mp4")
FORMATS_BY_NAME = {f.name: f for f in (*FORMATS, PORTRAIT_1080)}

# Amplitudes (0–60 %): eye narrowing as a share of the lid aperture; oral corner movement as a
# share of a smile's corner excursion; weakness as how much the weak side moves (gain).
OCULAR = (0.2, 0.4, 0.6)
ORAL = (0.3, 0.6, 0.6)  # twice at the claimed amplitude: enough clips to count a rate
WEAK_GAINS = (0.05, 0.25, 0.45)


@dataclass(frozen=True)
class Case:
    """One grid clip: face, sign, amplitude, side, format and conditions."""

    key: str
    face: str
    sign: str  # healthy, weakness, ocular_synkinesis, oral_synkinesis
    amplitude: float
    side: str | None
    format: str
    sway: bool
    light: tuple[float, float]
    seed: int
    reference: bool = False

    @property
    def affected_side(self) -> str | None:
        """The side the patient's record names (the injected side), None for healthy."""
        return self.side


def _protocol(case: Case) -> cf.Protocol:
    """The protocol with the case's sign injected."""
    right = case.side == "right"
    smile_eye = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    gain = (1.0, 1.0)
    if case.sign == "weakness":
        gain = (case.amplitude, 1.0) if right else (1.0, case.amplitude)
        smile_eye = (0.0, HEALTHY_SMILE_NARROWING) if right else (HEALTHY_SMILE_NARROWING, 0.0)
        return cf.protocol(side_gain=gain, smile_eye=smile_eye, **TIMING)
    if case.sign in ("ocular_synkinesis", "oral_synkinesis") and case.seed % 2:
        gain = (SYNKINESIS_SIDE_GAIN, 1.0) if right else (1.0, SYNKINESIS_SIDE_GAIN)
    if case.sign == "ocular_synkinesis":
        extra = HEALTHY_SMILE_NARROWING + case.amplitude
        smile_eye = (extra, HEALTHY_SMILE_NARROWING) if right else (HEALTHY_SMILE_NARROWING, extra)
        pucker = (case.amplitude, 0.0) if right else (0.0, case.amplitude)
        return cf.protocol(side_gain=gain, smile_eye=smile_eye, pucker_eye=pucker, **TIMING)
    if case.sign == "oral_synkinesis":
        corner = (case.amplitude * SMILE_CORNER[0], case.amplitude * SMILE_CORNER[1])
        return cf.protocol(
            side_gain=gain, smile_eye=smile_eye, closure_corner={case.side: corner}, **TIMING
        )
    return cf.protocol(smile_eye=smile_eye, **TIMING)


def build_cases() -> list[Case]:
    """The grid: per face, healthy ×2, weakness ×3, ocular ×3, oral ×3 (sides alternate)."""
    cases = []
    formats = itertools.cycle(FORMATS)
    sides = itertools.cycle(("right", "left"))
    lights = itertools.cycle(((1.0, 0.0), (0.75, 0.25), (1.15, 0.0), (0.9, -0.2)))
    seed = 0
    for face in FACES:
        plan = [("healthy", 0.0), ("healthy", 0.0)]
        plan += [("weakness", g) for g in WEAK_GAINS]
        plan += [("ocular_synkinesis", a) for a in OCULAR]
        plan += [("oral_synkinesis", a) for a in ORAL]
        for sign, amplitude in plan:
            seed += 1
            # one 1080p portrait clip in the grid (rendering 1080p frames is the slow part)
            first_weakness = (face, sign, amplitude) == (FACES[0], "weakness", WEAK_GAINS[1])
            fmt = PORTRAIT_1080 if first_weakness else next(formats)
            side = None if sign == "healthy" else next(sides)
            cases.append(
                Case(
                    key=f"{face}-{sign}-{int(100 * amplitude)}-{side or 'none'}-{seed}",
                    face=face,
                    sign=sign,
                    amplitude=amplitude,
                    side=side,
                    format=fmt.name,
                    sway=seed % 3 == 0,
                    light=next(lights),
                    seed=seed,
                )
            )
    return cases


def render_cost(case: Case) -> float:
    """Pixels a second the case renders and encodes (twice the analysis in reference mode)."""
    fmt = FORMATS_BY_NAME[case.format]
    return fmt.width * fmt.height * fmt.fps * (2 if case.reference else 1)


def write_case(case: Case, folder: Path) -> Path:
    """Render and write the case's clip."""
    fmt = FORMATS_BY_NAME[case.format]
    base = cf.face_image(fmt.width, fmt.height, case.face)
    face = cf.FaceImage(rgb=cf.lighting(*case.light)(base.rgb, 0.0, 0), landmarks=base.landmarks)
    times = cf.variable_times(fmt.fps, seed=case.seed) if fmt.variable_rate else None
    sway = cf.head_motion(icw=face.icw, **SWAY) if case.sway else None
    frames = cf.frames(
        face, _protocol(case), fmt.fps, frame_filter=sway, seed=case.seed, times=times
    )
    path = folder / f"{case.key}{fmt.suffix}"
    kind, codec = fmt.writer.split(":")
    if kind == "cv2":
        return cf.write_clip(path, frames, fmt.fps, codec)
    return cf.write_av(
        path,
        frames,
        fmt.fps,
        codec=codec,
        bitrate=fmt.bitrate,
        times=times,
        stored_sideways=fmt.sideways,
    )


def run_case(case: Case, folder: str) -> dict[str, Any]:
    """Worker: make the clip, analyse it (and in reference mode if asked); plain dicts back."""
    from coach.clips.analysis import analyze_clip
    from coach.clips.errors import ClipRejected

    out: dict[str, Any] = {"case": asdict(case)}
    try:
        path = write_case(case, Path(folder))
        out["path"] = str(path)
        out["fast"] = analyze_clip(path, case.affected_side).to_dict()
        if case.reference:
            out["reference"] = analyze_clip(path, case.affected_side, reference=True).to_dict()
    except ClipRejected as rejected:
        out["rejected"] = rejected.to_dict()
    except Exception:  # a broken case must show in the table, not kill the pool
        out["error"] = traceback.format_exc()
    return out


REFERENCE_FORMATS = ("mp4v 480x480 30fps", "Telegram round note 384x384", "MJPG .avi 640x360 25fps")


def with_reference_subset(cases: list[Case]) -> list[Case]:
    """The same cases, one per face (a small format, a synkinesis clip where there is one)
    also analysed in the slow reference mode, for the ±3 point agreement check."""
    chosen: dict[str, int] = {}
    for index, case in enumerate(cases):
        if case.format in REFERENCE_FORMATS and case.face not in chosen:
            chosen[case.face] = index
    picked = set(chosen.values())
    return [
        Case(**{**asdict(case), "reference": True}) if i in picked else case
        for i, case in enumerate(cases)
    ]


def other_side(side: str) -> str:
    """The opposite side."""
    return "left" if side == "right" else "right"
