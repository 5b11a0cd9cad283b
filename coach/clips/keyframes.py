"""The therapist's key frame per phase: the face at the middle of each hold, landmarks drawn."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.landmarks import FaceCrop, FaceTrack
from coach.clips.phases import ProtocolPhases
from coach.clips.signals import BROW, LID_PAIRS, MOUTH_CORNER

# What is drawn (subject's sides): lids, mouth corners, brows; colours are RGB.
SIDE_COLOURS = {"right": (31, 119, 180), "left": (255, 127, 14)}
LABEL_COLOUR = (255, 255, 255)
LABEL_SHADOW = (0, 0, 0)
LABEL_SCALE = 0.45
LABEL_MARGIN_PX = 14
LABEL_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class KeyFrame:
    """One phase's key frame: which analysed frame and when."""

    phase: str
    frame_index: int
    time_s: float

    def to_dict(self) -> dict[str, float | int | str]:
        """JSON form."""
        return {"phase": self.phase, "frame_index": self.frame_index, "time_s": self.time_s}


def pick_key_frames(track: FaceTrack, phases: ProtocolPhases) -> list[KeyFrame]:
    """The analysed frame in the middle of each phase's hold that has a face crop."""
    picked = []
    for segment in phases.ordered():
        frames = [int(i) for i in segment.hold if track.crops[int(i)] is not None]
        if not frames:
            continue
        index = frames[len(frames) // 2]
        picked.append(KeyFrame(segment.name, index, float(track.times[index])))
    return picked


def _landmarks(side: str) -> list[int]:
    """Face Mesh indices drawn for one side."""
    lids = [i for pair in LID_PAIRS[side] for i in pair]
    return [*lids, MOUTH_CORNER[side], *BROW[side]]


def draw_key_frame(
    crop: FaceCrop, points_xy: np.ndarray, label: str, config: ClipConfig
) -> np.ndarray:
    """The crop (RGB) with the measured landmarks of both sides and the phase name."""
    image = crop.rgb()
    radius = config.key_frames.landmark_radius_px
    for side, colour in SIDE_COLOURS.items():
        for x, y in crop.to_crop(points_xy[_landmarks(side)]):
            if np.isfinite(x) and np.isfinite(y):
                cv2.circle(image, (int(round(x)), int(round(y))), radius + 1, colour, -1)
    origin = (4, LABEL_MARGIN_PX)
    cv2.putText(image, label, origin, LABEL_FONT, LABEL_SCALE, LABEL_SHADOW, 3, cv2.LINE_AA)
    cv2.putText(image, label, origin, LABEL_FONT, LABEL_SCALE, LABEL_COLOUR, 1, cv2.LINE_AA)
    return image


def render_sheet(track: FaceTrack, key_frames: list[KeyFrame], config: ClipConfig) -> bytes | None:
    """All key frames side by side as PNG bytes (None when there is none)."""
    size = config.key_frames.crop_px
    tiles = []
    for key in key_frames:
        crop = track.crops[key.frame_index]
        if crop is None:
            continue
        label = f"{key.phase.replace('_', ' ')} {key.time_s:.1f}s"
        tile = draw_key_frame(crop, track.points[key.frame_index, :, :2], label, config)
        canvas = np.zeros((size, size, 3), np.uint8)
        canvas[: tile.shape[0], : tile.shape[1]] = tile[:size, :size]
        tiles.append(canvas)
    if not tiles:
        return None
    columns = config.key_frames.sheet_columns
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[i : i + columns], axis=1) for i in range(0, len(tiles), columns)]
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    return png.tobytes() if ok else None
