"""Imports point down: core <- analysis, interop, train <- commands, tui. Checked in fresh interpreters."""

import json
import pkgutil
import subprocess
import sys


def loaded_modules(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def package_modules(package: str) -> list[str]:
    mod = __import__(f"rnn_tui.{package}", fromlist=["_"])
    return [f"rnn_tui.{package}"] + [m.name for m in pkgutil.walk_packages(mod.__path__, f"rnn_tui.{package}.")]


def third_party(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


def project_layers(mods: set[str]) -> set[str]:
    return {m.split(".")[1] for m in mods if m.startswith("rnn_tui.") and m.count(".") >= 1}


def test_core_imports_neither_textual_nor_torch():
    mods = loaded_modules("; ".join(f"import {m}" for m in package_modules("core"))
                          + "\nfrom rnn_tui.core.checkpoint import load, resolve; load(resolve(None))")
    assert not third_party(mods) & {"textual", "torch", "rich"}
    assert project_layers(mods) <= {"core"}


def test_analysis_is_numpy_only():
    mods = loaded_modules("; ".join(f"import {m}" for m in package_modules("analysis")))
    assert not third_party(mods) & {"textual", "torch", "rich"}
    assert project_layers(mods) <= {"core", "analysis"}


def test_lessons_are_data_and_plain_python():
    mods = loaded_modules("; ".join(f"import {m}" for m in package_modules("lessons"))
                          + "\nfrom rnn_tui.lessons import all_lessons; all_lessons()")
    assert not third_party(mods) & {"textual", "torch", "rich"}
    assert project_layers(mods) <= {"core", "analysis", "lessons"}


def test_interop_stands_on_core_alone():
    mods = loaded_modules("; ".join(f"import {m}" for m in package_modules("interop")))
    assert project_layers(mods) <= {"core", "interop"}
    assert not third_party(mods) & {"textual", "rich"}


def test_train_does_not_import_the_viewer():
    mods = loaded_modules("; ".join(f"import {m}" for m in package_modules("train")))
    assert project_layers(mods) <= {"core", "analysis", "interop", "train"}
    assert "textual" not in third_party(mods)


def test_viewer_app_does_not_import_torch():
    mods = loaded_modules("import rnn_tui.__main__, rnn_tui.commands.view, rnn_tui.tui.app; "
                          + "; ".join(f"import {m}" for m in package_modules("tui")))
    assert "textual" in mods
    assert "torch" not in mods
    assert "train" not in project_layers(mods)


def test_version_flag_needs_nothing_heavy():
    out = subprocess.run([sys.executable, "-m", "rnn_tui", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("rnn-tui ")


def test_every_command_module_has_a_main():
    from rnn_tui.commands import COMMANDS

    for module, _ in COMMANDS.values():
        assert callable(__import__(f"rnn_tui.commands.{module}", fromlist=["main"]).main)



LAYERS = ["core", "interop", "analysis", "lessons", "train", "tui", "commands"]  # each may import only those before it
DOORS = {"rnn_tui.tui.torch_boundary": {"train"}}  # the viewer's one lazy door to torch


def test_every_import_points_down_even_inside_functions():
    """Read every module's source, so an import written inside a function counts as much as one at the top."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "rnn_tui"
    wrong = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        layer = parts[1] if len(parts) > 2 else None
        if layer not in LAYERS:
            continue
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                target = package[: len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("rnn_tui."):
                target = node.module.split(".")
            else:
                continue
            used = target[1] if len(target) > 1 else None
            if used in LAYERS and LAYERS.index(used) > LAYERS.index(layer) and used not in DOORS.get(module, ()):
                wrong.append(f"{module} imports rnn_tui.{'.'.join(target[1:])}")
    assert not wrong
