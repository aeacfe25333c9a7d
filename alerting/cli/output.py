"""Findings printed for people (a table) or programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from alerting.model.findings import Finding

_MARK = {
    "green": "★", "better_than_tolerance": "★", "amber": "●", "within_tolerance": "●",
    "red": "▲", "worse_than_tolerance": "▲", "breach": "▲", "warning": "●",
}


def findings_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False)


def findings_table(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No findings."
    header = ("", "STATUS", "SEVERITY", "RULE", "MESSAGE")
    rows = [(_MARK.get(f.status.value, " "), f.status.value, f.severity.value, f.rule, f.message)
            for f in findings]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
                     + "  " + row[4])
    exceptions = sum(1 for f in findings if f.exception)
    lines.append("")
    lines.append(f"{len(findings)} finding(s), {exceptions} exception(s)")
    return "\n".join(lines)
