"""`analyze-clip` on a good clip: outputs written, progress shown; and the pool entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from coach.clips import cli
from coach.clips.analysis import analyze_clip
from coach.clips.errors import ClipRejected

from .conftest import SYNKINESIS_AMOUNTS


def test_cli_writes_json_and_plot_and_shows_progress(
    synkinesis_clips: dict[float, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json, out_png = tmp_path / "report.json", tmp_path / "plot.png"
    clip = synkinesis_clips[max(SYNKINESIS_AMOUNTS)]
    status = cli.main(
        [str(clip), "--affected-side", "right", "--json", str(out_json), "--plot", str(out_png)]
    )
    assert status == cli.EXIT_OK
    report = json.loads(out_json.read_text())
    assert report["affected_side"] == "right"
    assert report["flags"]["ocular_synkinesis"] == ["right"]
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png", "report.json"]
    captured = capsys.readouterr()
    assert "100%" in captured.err and "[" in captured.err
    assert "ocular_synkinesis" in captured.out


def test_cli_rejects_an_unknown_side(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["clip.mp4", "--affected-side", "middle"])
    assert exited.value.code == 2


def test_analysis_runs_in_a_spawned_process_pool(
    healthy_clip: Path, tmp_path: Path, analysed
) -> None:
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_text("not a video")
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        good = pool.submit(analyze_clip, healthy_clip)
        bad = pool.submit(analyze_clip, not_a_video)
        assert good.result().metrics == analysed(healthy_clip).metrics
        with pytest.raises(ClipRejected) as caught:
            bad.result()
    assert caught.value.code == "not_a_video"


def test_installed_coach_command_rejects_a_renamed_document(tmp_path: Path) -> None:
    """The `coach` console script `make` installs; a bad clip exits non-zero with the reason."""
    script = Path(sys.executable).parent / "coach"
    fake = tmp_path / "scan.mp4"
    fake.write_bytes(b"%PDF-1.4 not a video" * 50)
    done = subprocess.run(
        [str(script), "analyze-clip", str(fake), "--json", str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == cli.EXIT_REJECTED, done.stderr
    assert "recognise that file as a video" in done.stdout + done.stderr
    assert not (tmp_path / "out.json").exists()
