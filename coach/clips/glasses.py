"""Recognises eyeglass frames from the image of the resting face, not from the landmarks.

Face Mesh keeps finding eyelids behind glasses, just less reliably, so unstable landmarks alone
miss them. The lower rim of a pair of glasses is a long, straight edge running under each eye,
below the lower lid, where bare skin is smooth. Each rest frame's face crop is turned so the eye
corners are level and scaled to a fixed inter-canthal width; the strongest row of the mean
vertical gradient in the band under each eye, in units of the face's own skin texture (median
gradient over the mid-face), is that eye's rim score.
"""

from __future__ import annotations

import cv2
import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.landmarks import FaceCrop

ICW_PX = 100  # the canonical face's inter-canthal width in pixels
CANVAS_PX = 3 * ICW_PX
EYES = {"right": (33, 133), "left": (362, 263)}  # outer/inner corners, subject's sides
OUTER = (33, 263)
INNER = (133, 362)
TEXTURE_BAND_ICW = (-0.45, 0.6)  # rows around the eye line whose gradients set the texture unit
TEXTURE_HALF_WIDTH_ICW = 0.5
MAX_FRAMES = 8  # rest frames looked at (evenly spread)


def _canonical(crop: FaceCrop, points_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey face with level eye corners, ICW_PX wide, eye-line midpoint at the canvas centre."""
    rgb = crop.rgb()
    pts = crop.to_crop(points_xy)
    right, left = pts[OUTER[0]], pts[OUTER[1]]
    axis = left - right
    angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
    scale = ICW_PX / max(1e-6, float(np.hypot(*axis)))
    middle = (left + right) / 2
    matrix = cv2.getRotationMatrix2D((float(middle[0]), float(middle[1])), angle, scale)
    matrix[:, 2] += CANVAS_PX / 2 - middle
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    canvas = cv2.warpAffine(grey, matrix, (CANVAS_PX, CANVAS_PX), flags=cv2.INTER_AREA)
    return canvas, pts @ matrix[:, :2].T + matrix[:, 2]


def rim_score(crop: FaceCrop, points_xy: np.ndarray, config: ClipConfig) -> float:
    """The stronger eye's rim score for one frame (about 1 for bare skin)."""
    band = config.glasses.band
    canvas, pts = _canonical(crop, points_xy)
    grad_y = cv2.Sobel(canvas, cv2.CV_32F, 0, 1, ksize=3)
    grad_x = cv2.Sobel(canvas, cv2.CV_32F, 1, 0, ksize=3)
    eye_line = int(round(float(pts[list(INNER), 1].mean())))
    centre = int(round(float(pts[list(INNER), 0].mean())))
    top = eye_line + int(TEXTURE_BAND_ICW[0] * ICW_PX)
    bottom = eye_line + int(TEXTURE_BAND_ICW[1] * ICW_PX)
    half = int(TEXTURE_HALF_WIDTH_ICW * ICW_PX)
    texture = float(np.median(np.hypot(grad_x, grad_y)[top:bottom, centre - half : centre + half]))
    if not texture > 0:
        return 0.0
    first = eye_line + int(band["rim_below_from"] * ICW_PX)
    last = eye_line + int(band["rim_below_to"] * ICW_PX)
    scores = []
    for outer, inner in EYES.values():
        x0, x1 = sorted((int(pts[outer, 0]), int(pts[inner, 0])))
        if x1 - x0 < 2:
            continue
        rows = grad_y[first:last, x0:x1].mean(axis=1)
        scores.append(float(np.max(np.abs(rows))) / texture if len(rows) else 0.0)
    return max(scores, default=0.0)


def wears_glasses(
    crops: list[FaceCrop | None], points: np.ndarray, frames: np.ndarray, config: ClipConfig
) -> tuple[bool, float | None]:
    """Whether enough rest frames show glasses rims, and the median rim score."""
    usable = [int(i) for i in frames if crops[int(i)] is not None]
    if not usable:
        return False, None
    picks = [usable[int(j)] for j in np.linspace(0, len(usable) - 1, min(MAX_FRAMES, len(usable)))]
    scores = np.array([rim_score(crops[i], points[i, :, :2], config) for i in picks])  # type: ignore[arg-type]
    seen = float(np.mean(scores >= config.glasses.min_score))
    return seen >= config.glasses.min_frames, float(np.median(scores))
