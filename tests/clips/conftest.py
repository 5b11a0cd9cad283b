"""Session-wide synthetic clips (made once) and memoised analyses for the clip tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pytest

from coach.clips.analysis import analyze_clip
from coach.clips.config import ClipConfig, load_config
from coach.clips.report import ClipReport

from . import clip_factory as cf

FPS = 25.0  # a common phone rate: the fast pipeline samples 15 of its frames a second
SIZE = (480, 480)
SYNKINESIS_AMOUNTS = (0.0, 0.1, 0.2, 0.3, 0.4)
HEALTHY_SMILE_NARROWING = 0.2  # normal eyes narrow ~22 % in a big smile (CLINICAL.md)
ORAL_CORNER = (0.02, 0.07)  # left corner out/up during eye closure, ICW fractions
WEAK_SIDE_GAIN = 0.05  # the weak side moves 5 % as much as the other
HEAD_SWAY = {"translation_icw": 0.4, "roll_deg": 10.0, "period_s": 2.0}
EYE_JITTER = 0.8  # random lid closure up to 80 % in every frame (unstable landmarks)
STILL_SECONDS = 4.0
DARK_FACTOR = 0.12


@pytest.fixture(scope="session")
def config() -> ClipConfig:
    """The shipped clip thresholds."""
    return load_config()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding every generated clip of the session."""
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def face() -> cf.FaceImage:
    """The astronaut face (Face Mesh run once on the photo)."""
    return cf.face_image(*SIZE)


def _protocol_clip(folder: Path, name: str, protocol: cf.Protocol, **kwargs: object) -> Path:
    return cf.protocol_clip(folder / f"{name}.mp4", protocol, size=SIZE, fps=FPS, **kwargs)


@pytest.fixture(scope="session")
def healthy_clip(clip_dir: Path, face: cf.FaceImage) -> Path:
    """Symmetric healthy protocol (both eyes narrow a little in the smile, as normal eyes do)."""
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    return _protocol_clip(clip_dir, "healthy", cf.protocol(smile_eye=narrowing))


@pytest.fixture(scope="session")
def synkinesis_clips(clip_dir: Path, face: cf.FaceImage) -> dict[float, Path]:
    """Right eye narrowing by each amount during smile and pucker; left eye untouched."""
    return {
        amount: _protocol_clip(
            clip_dir,
            f"ocular_right_{int(amount * 100)}",
            cf.protocol(smile_eye=(amount, 0.0), pucker_eye=(amount, 0.0)),
        )
        for amount in SYNKINESIS_AMOUNTS
    }


@pytest.fixture(scope="session")
def oral_clip(clip_dir: Path, face: cf.FaceImage) -> Path:
    """Left mouth corner moving during gentle eye closure."""
    return _protocol_clip(clip_dir, "oral_left", cf.protocol(closure_corner={"left": ORAL_CORNER}))


@pytest.fixture(scope="session")
def weak_clip(clip_dir: Path, face: cf.FaceImage) -> Path:
    """Left side barely moving at all (flaccid weakness); right side normal."""
    protocol = cf.protocol(
        side_gain=(1.0, WEAK_SIDE_GAIN), smile_eye=(HEALTHY_SMILE_NARROWING, 0.0)
    )
    return _protocol_clip(clip_dir, "weak_left", protocol)


@pytest.fixture(scope="session")
def head_motion_clip(clip_dir: Path, face: cf.FaceImage) -> Path:
    """Healthy protocol while the head sways and tilts."""
    sway = cf.head_motion(icw=face.icw, **HEAD_SWAY)
    return _protocol_clip(clip_dir, "head_motion", cf.protocol(), frame_filter=sway)


@pytest.fixture(scope="session")
def eye_jitter_clip(clip_dir: Path, face: cf.FaceImage) -> Path:
    """Healthy protocol with a right eye whose lids jump at random every frame."""
    return _protocol_clip(clip_dir, "eye_jitter", cf.protocol(), jitter={"right": EYE_JITTER})


@pytest.fixture(scope="session")
def still_face_clip(clip_dir: Path, face: cf.FaceImage) -> Callable[..., Path]:
    """Factory of short clips of a still image (default: the face)."""

    def make(
        name: str, rgb: np.ndarray | None = None, seconds: float = STILL_SECONDS, fps: float = FPS
    ) -> Path:
        path = clip_dir / f"{name}.mp4"
        if not path.exists():
            cf.still_clip(path, face.rgb if rgb is None else rgb, seconds, fps)
        return path

    return make


@pytest.fixture(scope="session")
def analysed() -> Callable[..., ClipReport]:
    """analyze_clip memoised per (clip, options) for the whole session."""
    cache: dict[tuple[object, ...], ClipReport] = {}

    def run(path: Path, affected_side: str | None = None, reference: bool = False) -> ClipReport:
        key = (str(path), affected_side, reference)
        if key not in cache:
            cache[key] = analyze_clip(path, affected_side, reference=reference)
        return cache[key]

    return run


GRID_WORKERS = 2  # the CI machine has two cores


@pytest.fixture(scope="session", autouse=True)
def grid_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GridRun | None]:
    """The sensitivity grid's clips, made and analysed in two worker processes from the start of
    the clip tests (when the session will need them), so that they run while the other clip
    tests do; `grid_results` waits for them."""
    wanted = any(
        "grid_results" in getattr(item, "fixturenames", ()) for item in request.session.items
    )
    if not wanted:
        yield None
        return
    from . import grid

    folder = str(tmp_path_factory.mktemp("grid"))
    cases = grid.with_reference_subset(grid.build_cases())
    pool = ProcessPoolExecutor(GRID_WORKERS, mp_context=get_context("spawn"))
    futures: dict[int, Future] = {}
    try:
        # The costliest clips (most pixels a second to render and encode) first: none is left
        # running alone at the end.
        for index in sorted(range(len(cases)), key=lambda i: -grid.render_cost(cases[i])):
            futures[index] = pool.submit(grid.run_case, cases[index], folder)
        yield GridRun(pool, [futures[index] for index in range(len(cases))])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class GridRun:
    """The grid's worker processes and each case's pending result, in case order."""

    pool: ProcessPoolExecutor
    futures: list[Future]


@pytest.fixture(scope="session")
def grid_results(grid_runs: GridRun | None) -> list[dict]:
    """Every sensitivity-grid clip made and analysed once per session (see grid_runs)."""
    assert grid_runs is not None
    results = [future.result() for future in grid_runs.futures]
    grid_runs.pool.shutdown()  # the workers' memory back for the rest of the session
    return results
