"""Per-frame, per-side face measurements in a head-aligned frame, in inter-canthal widths (ICW).

Every frame is aligned (similarity transform: shift, roll, scale) to the clip's median face on
points that expressions do not move (eye corners, nose bridge), so head motion and distance to
the camera cancel out. Closing the eyes moves the mesh's eye corners, which drags that alignment
and makes still mouth corners seem to move; so mouth corners are also measured in a second
frame aligned on the nose, chin and cheek contour (`corner_lower`), which eye closure leaves
in place.
Sides are the subject's own (Face Mesh indices in ../shared/CLINICAL.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.clips.landmarks import FaceTrack

SIDES = ("right", "left")
OUTWARD_X = {"right": -1.0, "left": 1.0}  # aligned x runs towards the subject's left
OUTER_CANTHUS = {"right": 33, "left": 263}
INNER_CANTHUS = {"right": 133, "left": 362}
# Upper/lower lid pairs across the middle of each eye; 159/145 and 386/374 are the centre pair.
LID_PAIRS = {
    "right": ((160, 144), (159, 145), (158, 153)),
    "left": ((385, 380), (386, 374), (387, 373)),
}
MOUTH_CORNER = {"right": 61, "left": 291}
BROW = {"right": (70, 63, 105, 66, 107), "left": (300, 293, 334, 296, 336)}
# Points that facial expressions barely move: eye corners and the nose bridge.
RIGID = (33, 133, 362, 263, 168, 6, 197, 195, 5)
# Points a gentle eye closure leaves in place: nose tip and columella, chin, cheek contour.
# (Compared on the test grid with the eye-corner alignment, nose only, nose + alae + chin and
# adding the temples or the nose bridge: this set had the lowest healthy noise floor.)
LOWER_FACE = (1, 4, 5, 2, 94, 152, 175, 199, 200, 234, 454, 93, 323)
FOREHEAD, CHIN = 10, 152


@dataclass
class FaceSignals:
    """Aligned per-frame signals; NaN where no face was found."""

    times: np.ndarray
    valid: np.ndarray
    aperture: dict[str, np.ndarray]
    corner: dict[str, np.ndarray]
    corner_lower: dict[str, np.ndarray]
    brow: dict[str, np.ndarray]
    mouth_width: np.ndarray
    yaw_deg: np.ndarray
    pitch_deg: np.ndarray
    roll_deg: np.ndarray
    tilt_deg: np.ndarray
    translation_icw: np.ndarray
    scale: np.ndarray


def _canonical_template(xy: np.ndarray) -> np.ndarray:
    """Median face with the outer-canthus midpoint at 0, canthi on +x, 1 ICW long."""
    template = np.nanmedian(xy, axis=0)
    right, left = template[OUTER_CANTHUS["right"]], template[OUTER_CANTHUS["left"]]
    axis = left - right
    icw = float(np.hypot(*axis))
    cos, sin = axis / icw
    rotate = np.array([[cos, sin], [-sin, cos]])
    return (template - (left + right) / 2) @ rotate.T / icw


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame least-squares similarity src→dst (Umeyama): scale (n,), rotation (n,2,2), shift."""
    src_mean, dst_mean = src.mean(axis=1), dst.mean(axis=0)
    src_c, dst_c = src - src_mean[:, None, :], dst - dst_mean
    cov = np.einsum("ka,nkb->nab", dst_c, src_c) / src.shape[1]
    u, d, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt))
    correction = np.stack([np.ones_like(sign), sign], axis=1)
    rotation = u @ (correction[:, :, None] * vt)
    variance = (src_c**2).sum(axis=2).mean(axis=1)
    scale = (d * correction).sum(axis=1) / variance
    shift = dst_mean - scale[:, None] * np.einsum("nab,nb->na", rotation, src_mean)
    return scale, rotation, shift


def _angle_deg(dz: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Angle of a depth difference over an image-plane distance, in degrees."""
    return np.degrees(np.arctan2(dz, run))


def _align(
    xy: np.ndarray, template: np.ndarray, points: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames mapped onto the template by a similarity fitted on `points`; scale and rotation."""
    index = list(points)
    factor, rotation, shift = _similarity(xy[:, index], template[index])
    aligned = factor[:, None, None] * np.einsum("nab,nkb->nka", rotation, xy) + shift[:, None, :]
    return aligned, factor, rotation


def compute_signals(track: FaceTrack) -> FaceSignals:
    """Aligned eye apertures, mouth corners, brow heights and head pose per analysed frame."""
    valid = track.found
    n = len(track.times)
    xy = track.points[:, :, :2].astype(np.float64) * np.array([1.0, -1.0])  # y up
    z = track.points[:, :, 2].astype(np.float64)
    aligned = np.full_like(xy, np.nan)
    lower = np.full_like(xy, np.nan)
    roll = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    centre = np.full((n, 2), np.nan)
    if valid.any():
        template = _canonical_template(xy[valid])
        aligned[valid], factor, rotation = _align(xy[valid], template, RIGID)
        lower[valid] = _align(xy[valid], template, LOWER_FACE)[0]
        roll[valid] = np.degrees(np.arctan2(rotation[:, 1, 0], rotation[:, 0, 0]))
        scale[valid] = factor
        centre[valid] = xy[valid][:, list(RIGID)].mean(axis=1)
    median_centre = np.nanmedian(centre, axis=0) if valid.any() else np.zeros(2)
    translation = np.hypot(*(centre - median_centre).T) * scale
    relative_scale = np.nanmedian(scale) / scale if valid.any() else scale

    def distance(a: int, b: int) -> np.ndarray:
        return np.hypot(*(aligned[:, a] - aligned[:, b]).T)

    aperture = {s: np.mean([distance(a, b) for a, b in LID_PAIRS[s]], axis=0) for s in SIDES}
    corner = {s: aligned[:, MOUTH_CORNER[s]] for s in SIDES}
    corner_lower = {s: lower[:, MOUTH_CORNER[s]] for s in SIDES}
    brow = {
        s: aligned[:, list(BROW[s]), 1].mean(axis=1)
        - aligned[:, [OUTER_CANTHUS[s], INNER_CANTHUS[s]], 1].mean(axis=1)
        for s in SIDES
    }
    pixel_xy = track.points[:, :, :2].astype(np.float64)
    canthi = pixel_xy[:, OUTER_CANTHUS["left"]] - pixel_xy[:, OUTER_CANTHUS["right"]]
    vertical = pixel_xy[:, CHIN] - pixel_xy[:, FOREHEAD]
    yaw = _angle_deg(
        z[:, OUTER_CANTHUS["left"]] - z[:, OUTER_CANTHUS["right"]], np.hypot(*canthi.T)
    )
    pitch = _angle_deg(z[:, CHIN] - z[:, FOREHEAD], np.hypot(*vertical.T))
    tilt = np.degrees(np.arctan2(canthi[:, 1], canthi[:, 0]))  # 0 = eyes level in the image
    return FaceSignals(
        times=track.times,
        valid=valid,
        aperture=aperture,
        corner=corner,
        corner_lower=corner_lower,
        brow=brow,
        mouth_width=distance(MOUTH_CORNER["right"], MOUTH_CORNER["left"]),
        yaw_deg=yaw,
        pitch_deg=pitch,
        roll_deg=roll,
        tilt_deg=tilt,
        translation_icw=translation,
        scale=relative_scale,
    )
