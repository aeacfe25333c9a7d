"""The layout's contracts: imports run downwards through the stages, and every stage is in
the contract (pyproject.toml's [tool.importlinter], drawn in docs/architecture.md)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _layer_names() -> set[str]:
    names: set[str] = set()
    for layer in _contracts()["stages"]["layers"]:  # type: ignore[union-attr]
        for part in str(layer).replace(":", "|").split("|"):
            names.add(part.strip().strip("()"))
    return names


def test_imports_keep_the_contracts() -> None:
    """lint-imports finds no upward import, no engine import of the CLI or channels, and no
    channel importing the engine."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_every_stage_is_a_layer() -> None:
    """A new folder or top-level module under alerting/ must take its place in the layers,
    or its imports would go unchecked."""
    package = ROOT / "alerting"
    stages = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    stages |= {p.stem for p in package.glob("*.py") if p.stem not in {"__init__", "__main__"}}
    assert stages - _layer_names() == set()


def test_layers_name_only_real_stages() -> None:
    """Every layer but the optional ones exists, so a rename cannot leave a stale contract."""
    package = ROOT / "alerting"
    required = {n for layer in _contracts()["stages"]["layers"]  # type: ignore[union-attr]
                for n in (p.strip() for p in str(layer).replace(":", "|").split("|"))
                if not n.startswith("(")}
    missing = {n for n in required
               if not (package / n).is_dir() and not (package / f"{n}.py").is_file()}
    assert missing == set()
