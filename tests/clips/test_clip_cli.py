"""`analyze-clip` on a good clip: outputs written, progress shown; and the pool entry point."""

from __future__ import annotations

import io
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


def test_cli_writes_json_plot_and_key_frames_and_logs_one_progress_line(
    synkinesis_clips: dict[float, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json, out_png = tmp_path / "report.json", tmp_path / "plot.png"
    out_keys = tmp_path / "keys.png"
    clip = synkinesis_clips[max(SYNKINESIS_AMOUNTS)]
    status = cli.main(
        [str(clip), "--affected-side", "right", "--json", str(out_json), "--plot", str(out_png)]
        + ["--key-frames", str(out_keys)]
    )
    assert status == cli.EXIT_OK
    report = json.loads(out_json.read_text())
    assert report["affected_side"] == "right"
    assert report["flags"]["ocular_synkinesis"] == ["right"]
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.png", "plot.png", "report.json"]
    captured = capsys.readouterr()
    # stderr is not a terminal here (as in a log): one line, no redraws.
    assert "\r" not in captured.err
    assert [line for line in captured.err.splitlines() if "frames decoded" in line] == [
        f"analysing: {report['clip']['frames_decoded']} frames decoded"
    ]
    assert "ocular_synkinesis" in captured.out


def test_progress_bar_on_a_terminal_is_tqdm() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = cli.ProgressBar(stream, width=60)
    for done in range(0, 301, 30):
        bar(done, 300)
    bar.close()
    assert "100%" in stream.getvalue() and "300/300" in stream.getvalue()


def test_key_frames_png_shows_one_face_per_phase(
    synkinesis_clips: dict[float, Path], analysed, tmp_path: Path, config
) -> None:
    import matplotlib.image

    report = analysed(synkinesis_clips[max(SYNKINESIS_AMOUNTS)])
    phases = [p["name"] for p in report.phases]
    assert [k["phase"] for k in report.key_frames] == phases
    for key, phase in zip(report.key_frames, report.phases, strict=True):
        assert phase["start_s"] - 0.01 <= key["time_s"] <= phase["end_s"] + 0.01
    out = tmp_path / "keys.png"
    assert report.save_key_frames(out)
    image = matplotlib.image.imread(out)
    size = config.key_frames.crop_px
    assert image.shape[:2] == (size, size * config.key_frames.sheet_columns)
    # Landmarks drawn in each side's colour on every tile.
    pixels = (image[:, :, :3] * 255).round().astype(int)
    for colour in ((31, 119, 180), (255, 127, 14)):
        hits = (pixels == colour).all(axis=2)
        for column in range(config.key_frames.sheet_columns):
            assert hits[:, column * size : (column + 1) * size].sum() > 10


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
