"""The README's layout section names every folder of alerting/ and no folder that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_layout_matches_the_tree() -> None:
    """Each `alerting/` package is listed as `name/` under the layout, and nothing else."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("- `alerting/` — one folder per stage"):
                     readme.index("- `benchmarks/` — measured figures")]
    listed = set(re.findall(r"^  - `(\w+)/`", section, flags=re.M))
    tree = {p.name for p in (ROOT / "alerting").iterdir() if (p / "__init__.py").is_file()}
    assert listed == tree
