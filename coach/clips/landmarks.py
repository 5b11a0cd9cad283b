"""Tracks the face in a decoded clip with MediaPipe Face Mesh (refined landmarks).

Frames come upright with their real timestamps from decode.py (PyAV). For each analysed frame
the face is also kept as a small JPEG crop: key frames and the glasses check read them later.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.decode import iter_frames
from coach.clips.errors import Code, reject
from coach.clips.validation import VideoInfo

N_LANDMARKS = 478  # 468 mesh points + 10 iris points with refine_landmarks=True
LUMA_RGB = np.array([0.299, 0.587, 0.114])  # Rec. 601 luma weights, RGB order
PRE_SHRINK_BELOW = 0.5  # face crops shrunk more than this are first decimated to twice the size

REFERENCE, FAST = "reference", "fast"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TrackPlan:
    """Which frames are analysed (one per `period_s`; 0 = every frame) and at what size."""

    period_s: float
    scale: float
    static_image_mode: bool
    mode: str


class FrameSampler:
    """Keeps the first frame of each `period_s` slot of presentation time (all if 0)."""

    SLOT_EPSILON = 1e-6  # a timestamp exactly on a slot boundary opens the new slot

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self._last_slot = -1

    def take(self, t: float) -> bool:
        """Whether the frame at time t (s from the first frame) is analysed."""
        if self.period_s <= 0:
            return True
        slot = math.floor(t / self.period_s + self.SLOT_EPSILON)
        if slot > self._last_slot:
            self._last_slot = slot
            return True
        return False


@dataclass(frozen=True)
class FaceCrop:
    """A square crop around the face of one analysed frame, JPEG-encoded (RGB inside)."""

    jpeg: bytes
    x0: float
    y0: float
    scale: float  # crop pixels per analysed-frame pixel

    def rgb(self) -> np.ndarray:
        """The crop as an RGB array."""
        bgr = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def to_crop(self, points_xy: np.ndarray) -> np.ndarray:
        """Analysed-frame pixel coordinates mapped into the crop."""
        return (points_xy - np.array([self.x0, self.y0])) * self.scale


@dataclass
class FaceTrack:
    """Per analysed frame: time, landmarks of the main face (pixels), face count, luminance."""

    times: np.ndarray
    points: np.ndarray
    face_counts: np.ndarray
    luminance: np.ndarray
    frames_decoded: int
    duration_s: float
    frame_size: tuple[int, int]
    plan: TrackPlan
    crops: list[FaceCrop | None]
    rotation_deg: int = 0
    mirrored_by_metadata: bool = False

    @property
    def found(self) -> np.ndarray:
        """Mask of frames where a face was found."""
        return self.face_counts > 0


def plan_tracking(info: VideoInfo, config: ClipConfig, reference: bool) -> TrackPlan:
    """Every frame at full size in static-image mode (reference), or sampled and downscaled."""
    if reference:
        return TrackPlan(period_s=0.0, scale=1.0, static_image_mode=True, mode=REFERENCE)
    period = 1.0 / config.sampling.target_fps
    scale = min(1.0, config.sampling.max_side_px / max(info.width, info.height))
    return TrackPlan(period, scale, static_image_mode=not config.mesh.tracking, mode=FAST)


def new_face_mesh(config: ClipConfig, static_image_mode: bool) -> Any:
    """A Face Mesh with refined landmarks; the model comes from the mediapipe wheel."""
    from mediapipe.python.solutions import face_mesh

    return face_mesh.FaceMesh(
        static_image_mode=static_image_mode,
        max_num_faces=config.mesh.max_num_faces,
        refine_landmarks=True,
        min_detection_confidence=config.mesh.min_detection_confidence,
        min_tracking_confidence=config.mesh.min_tracking_confidence,
    )


def mesh_input(frame_rgb: np.ndarray, scale: float) -> np.ndarray:
    """The RGB image Face Mesh sees: downscaled if asked."""
    if scale < 1.0:
        height, width = frame_rgb.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        frame_rgb = cv2.resize(frame_rgb, size, interpolation=cv2.INTER_AREA)
    return frame_rgb


def main_face(faces: list[Any], width: int, height: int) -> np.ndarray:
    """Landmarks (478×3, pixels; z in x units) of the largest face found."""
    best, best_area = None, -1.0
    for face in faces:
        pts = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float32)
        area = float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1]))
        if area > best_area:
            best, best_area = pts, area
    if best is None:
        raise ValueError("no face landmarks given")
    best[:, 0] *= width
    best[:, 1] *= height
    best[:, 2] *= width
    return best


def frame_luminance(frame_rgb: np.ndarray, stride: int) -> float:
    """Mean luma (0-255) from every `stride`-th pixel row and column."""
    height, width = frame_rgb.shape[:2]
    size = (max(1, width // stride), max(1, height // stride))
    sparse = cv2.resize(frame_rgb, size, interpolation=cv2.INTER_NEAREST)
    return float(np.dot(cv2.mean(sparse)[:3], LUMA_RGB))


def face_crop(rgb: np.ndarray, points: np.ndarray, config: ClipConfig) -> FaceCrop | None:
    """A square JPEG crop around the landmarks (margin and size from the config)."""
    cfg = config.key_frames
    low, high = np.nanmin(points[:, :2], axis=0), np.nanmax(points[:, :2], axis=0)
    centre = (low + high) / 2
    half = max(1.0, float(np.max(high - low)) * cfg.crop_margin / 2)
    height, width = rgb.shape[:2]
    x0, y0 = int(max(0, centre[0] - half)), int(max(0, centre[1] - half))
    x1, y1 = int(min(width, centre[0] + half)), int(min(height, centre[1] + half))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    scale = cfg.crop_px / max(x1 - x0, y1 - y0)
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    crop = rgb[y0:y1, x0:x1]
    if scale < PRE_SHRINK_BELOW:  # area-averaging a big crop is slow: halve it cheaply first
        half = (max(1, 2 * size[0]), max(1, 2 * size[1]))
        crop = cv2.resize(crop, half, interpolation=cv2.INTER_NEAREST)
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, cfg.jpeg_quality]
    )
    return FaceCrop(jpeg.tobytes(), float(x0), float(y0), scale) if ok else None


def track_face(
    capture: Any,
    info: VideoInfo,
    config: ClipConfig,
    plan: TrackPlan,
    progress: Progress | None = None,
) -> FaceTrack:
    """Decode the clip, run Face Mesh on the planned frames, collect landmarks, light, crops."""
    limits = config.limits
    nominal_fps = info.fps or limits.max_fps
    max_frames = math.ceil(limits.max_duration_s * nominal_fps) + 1
    expected = info.frame_count or max_frames
    sampler = FrameSampler(plan.period_s)
    times, points, counts, luma, crops = [], [], [], [], []
    size = (info.width, info.height)
    index, t = 0, 0.0
    rotation, mirrored = 0, False
    with new_face_mesh(config, plan.static_image_mode) as mesh:
        for decoded in iter_frames(capture, nominal_fps):
            t = decoded.time_s
            if index >= max_frames or t > limits.max_duration_s:
                raise reject(config.messages["retake"], Code.TOO_LONG, seconds=round(t, 2))
            index += 1
            if not sampler.take(t):
                continue
            frame = decoded.rgb()
            rotation, mirrored = decoded.orientation.degrees, decoded.orientation.mirrored
            rgb = mesh_input(frame, plan.scale)
            size = (rgb.shape[1], rgb.shape[0])
            faces = mesh.process(rgb).multi_face_landmarks or []
            face = main_face(faces, *size) if faces else None
            times.append(t)
            counts.append(len(faces))
            luma.append(frame_luminance(frame, config.sampling.luminance_stride_px))
            points.append(face)
            crops.append(face_crop(rgb, face, config) if face is not None else None)
            if progress is not None:
                progress(min(index, expected), expected)
    if progress is not None:
        progress(expected, expected)
    stacked = np.full((len(points), N_LANDMARKS, 3), np.nan, dtype=np.float32)
    for i, pts in enumerate(points):
        if pts is not None:
            stacked[i] = pts
    interval = t / (index - 1) if index > 1 else 1.0 / nominal_fps
    return FaceTrack(
        times=np.asarray(times, dtype=np.float64),
        points=stacked,
        face_counts=np.asarray(counts, dtype=np.int16),
        luminance=np.asarray(luma, dtype=np.float64),
        frames_decoded=index,
        duration_s=t + interval if index else 0.0,
        frame_size=size,
        plan=plan,
        crops=crops,
        rotation_deg=rotation,
        mirrored_by_metadata=mirrored,
    )
