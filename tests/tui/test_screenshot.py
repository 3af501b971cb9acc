"""ctrl+s: a screenshot is always a new file; a planted link, a read-only folder or a long name is one line."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from rnn_tui.core.files import FileProblem, create_new, safe_file_name
from rnn_tui.tui.app import build_app


def screenshot(checkpoint: Path, folder: Path, monkeypatch) -> list[str]:
    """Open the viewer with `folder` as the current folder, press ctrl+s; the notifications' texts."""
    monkeypatch.chdir(folder)

    async def run() -> list[str]:
        app = build_app(checkpoint, seed=3, prime="The ", glyphs=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("ctrl+s")
            await pilot.pause()
            return [str(n.message) for n in app._notifications]

    return asyncio.run(run())


def test_a_planted_link_at_the_screenshot_name_is_never_written_through(lstm_checkpoint, tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    shared = tmp_path / "shared"
    shared.mkdir()
    planted = shared / f"rnn-tui-{lstm_checkpoint.stem}-step3.svg"  # "The " primed: the cursor is at 3
    planted.symlink_to(victim)
    dangling = shared / f"rnn-tui-{lstm_checkpoint.stem}-step3-2.svg"
    dangling.symlink_to(tmp_path / "would-be-created")
    notes = screenshot(lstm_checkpoint, shared, monkeypatch)
    assert victim.read_text() == "precious" and not (tmp_path / "would-be-created").exists()
    made = shared / f"rnn-tui-{lstm_checkpoint.stem}-step3-3.svg"
    assert made.is_file() and not made.is_symlink() and made.read_text().startswith("<svg")
    assert any(str(made) in n for n in notes)


def test_a_read_only_folder_is_one_line_in_the_app(lstm_checkpoint, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes into any folder, but not into /proc
        folder = Path("/proc")
    try:
        notes = screenshot(lstm_checkpoint, folder, monkeypatch)
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert any(n.startswith("screenshot not saved: cannot create a file in") and "\n" not in n for n in notes)
    assert not any(p.suffix == ".svg" for p in folder.iterdir())


def test_a_folder_that_cannot_be_written_is_a_file_problem(tmp_path):
    """The same as the read-only folder, for root too: a path under a file is no folder at all."""
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(FileProblem, match="cannot create a file in"):
        create_new(tmp_path / "a-file", "shot", ".svg", b"<svg/>")


def test_a_model_name_too_long_for_a_file_name_is_clipped(lstm_checkpoint, tmp_path, monkeypatch):
    long = tmp_path / ("m" * 240 + ".safetensors")
    shutil.copy(lstm_checkpoint, long)
    notes = screenshot(long, tmp_path, monkeypatch)
    made = [p for p in tmp_path.iterdir() if p.suffix == ".svg"]
    assert len(made) == 1 and len(made[0].name.encode()) <= 255
    assert any(n.startswith("saved") for n in notes)


def test_file_names_lose_control_bidi_and_slashes_and_fit_255_bytes():
    assert safe_file_name("a\x1b]52;c;x\x07b\u202e/c\x85", ".svg") == "a_]52;c;x_b__c_.svg"
    name = safe_file_name("é" * 300, "-2.svg")
    assert name.endswith("-2.svg") and len(name.encode()) <= 255
