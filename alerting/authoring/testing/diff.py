"""Compare the exceptions a test expected with those the rules produced, and say how they differ.

Findings match on rule, subject, area and status, as a multiset: a finding expected twice
must be produced twice. The diff reads like a patch: `-` expected but not produced,
`+` produced but not expected (with what the rule saw).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from alerting.authoring.testing.model import ExpectedFinding
from alerting.model.findings import Finding

Key = tuple[str, str, str, str]
NO_AREA = "(no area)"


def expected_key(expected: ExpectedFinding) -> Key:
    return (expected.rule, expected.subject, expected.area or NO_AREA, expected.status.value)


def finding_key(finding: Finding) -> Key:
    return (finding.rule, finding.subject, finding.area or NO_AREA, finding.status.value)


@dataclass(frozen=True)
class Mismatch:
    """Expected findings that were not produced, and produced ones that were not expected."""

    missing: tuple[Key, ...] = ()
    unexpected: tuple[Finding, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected)


def compare(expected: Sequence[ExpectedFinding], actual: Sequence[Finding]) -> Mismatch:
    wanted = Counter(expected_key(e) for e in expected)
    produced = Counter(finding_key(f) for f in actual)
    missing = tuple(sorted((wanted - produced).elements()))
    extra = produced - wanted
    unexpected = []
    for finding in actual:
        key = finding_key(finding)
        if extra[key] > 0:
            extra[key] -= 1
            unexpected.append(finding)
    return Mismatch(missing, tuple(unexpected))


def detail(finding: Finding) -> str:
    """What the rule saw, from its message without the subject it starts with."""
    head, separator, rest = finding.message.partition(": ")
    return rest if separator else head


def diff_lines(mismatch: Mismatch) -> list[str]:
    """One line per differing finding, columns aligned. A produced finding that differs from
    an expected one in one column only (status, subject or area) follows its `-` line."""
    unexpected = sorted(mismatch.unexpected, key=finding_key)
    blocks: list[list[tuple[Key, str, str]]] = []
    for key in sorted(mismatch.missing):
        block = [(key, "-", "")]
        partner = next((f for f in unexpected if _one_apart(key, finding_key(f))), None)
        if partner is not None:
            unexpected.remove(partner)
            block.append((finding_key(partner), "+", detail(partner)))
        blocks.append(block)
    blocks += [[(finding_key(f), "+", detail(f))] for f in unexpected]
    blocks.sort(key=lambda block: (block[0][0][0], block[0][0][1:], block[0][1] == "+"))
    rows: list[tuple[Key, str, str]] = [row for block in blocks for row in block]
    widths = [max((len(row[0][i]) for row in rows), default=0) for i in range(4)]
    lines = []
    for key, sign, about in rows:
        line = f"{sign} " + "  ".join(key[i].ljust(widths[i]) for i in range(4))
        lines.append((f"{line}  ({about})" if about else line).rstrip())
    return lines


def _one_apart(expected: Key, produced: Key) -> bool:
    """Same rule, and only one of subject, area and status differs."""
    return (expected[0] == produced[0]
            and sum(a != b for a, b in zip(expected[1:], produced[1:], strict=True)) == 1)
