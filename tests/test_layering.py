"""Imports point down: the core needs neither textual nor torch, and the viewer never loads torch."""

import json
import subprocess
import sys

CORE = ["rnn_tui.cells", "rnn_tui.vocab", "rnn_tui.sampling", "rnn_tui.checkpoint", "rnn_tui.session",
        "rnn_tui.evaluate", "rnn_tui.info"]


def loaded_modules(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_core_imports_neither_textual_nor_torch():
    mods = loaded_modules("; ".join(f"import {m}" for m in CORE)
                          + "\nfrom rnn_tui.checkpoint import load, resolve; load(resolve(None))")
    assert not {m for m in mods if m.split(".")[0] in ("textual", "torch", "rich")}


def test_viewer_app_does_not_import_torch():
    mods = loaded_modules("import rnn_tui.__main__, rnn_tui.tui.launch, rnn_tui.tui.app")
    assert "textual" in mods
    assert "torch" not in mods


def test_version_flag_needs_nothing_heavy():
    out = subprocess.run([sys.executable, "-m", "rnn_tui", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("rnn-tui ")
