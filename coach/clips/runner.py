"""Run clip analyses off the event loop: a process pool, bounded concurrency, a timeout."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from coach.clips.analysis import analyze_clip
from coach.clips.intake import key_frames_beside


class AnalysisBusy(Exception):
    """Too many analyses are already running or queued on this server."""


def _analyze_to_dict(
    path: str, affected_side: str | None, baseline: Mapping[str, Any] | None, plot: str | None
) -> dict[str, Any]:
    """Worker-side: analyse, draw the therapist's plot and key frames, return the report dict."""
    report = analyze_clip(path, affected_side=affected_side, baseline=baseline)
    if plot:
        report.save_plot(Path(plot))
        report.save_key_frames(key_frames_beside(Path(plot)))
    return report.to_dict()


class ClipAnalysisRunner:
    """One per server process; the pool starts on first use (spawned, not forked)."""

    def __init__(self, workers: int, max_pending: int, timeout_s: float) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_pending = max_pending
        self._pending = 0
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    async def analyze(
        self,
        path: Path,
        affected_side: str | None,
        baseline: Mapping[str, Any] | None,
        plot: Path | None = None,
    ) -> dict[str, Any]:
        """The report dict (and the PNG at `plot`); raises ClipRejected, AnalysisBusy or
        asyncio.TimeoutError."""
        if self._pending >= self.max_pending:
            raise AnalysisBusy
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(
                self._executor(),
                _analyze_to_dict,
                str(path),
                affected_side,
                baseline,
                str(plot) if plot else None,
            )
            return await asyncio.wait_for(future, self.timeout_s)
        finally:
            self._pending -= 1

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
