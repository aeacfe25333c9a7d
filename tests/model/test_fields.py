"""Pattern matching shared by selections, silences and routes: globs, ignoring case."""

import fnmatch

import pytest

from alerting.model.fields import globs_match

CASES = [
    ("Stroud", ("stroud",)), ("Stroud", ("str*",)), ("Stroud", ("*oud", "x")),
    ("Stroud", ("Cotswolds",)), ("a[b", ("a[b",)), ("a[b", ("a[b*",)), ("x", ()),
    ("ab", ["a?"]), ("AB", ("[a]b",)), ("AB", ("[!a]b",)), ("a.b", ("a.b",)),
    ("aXb", ("a.b",)), ("", ("*",)), ("", ("",)), ("Ä", ("ä",)), ("ß", ("SS",)),
    ("a\\b", ("a\\b",)), ("cp-1", ("CP-*", "x")), ("a]", ("a]",)), ("line\nbreak", ("line*",)),
]


@pytest.mark.parametrize(("value", "patterns"), CASES)
def test_globs_match_as_fnmatchcase_over_casefolded_text(value, patterns):
    """The same answers as fnmatchcase over case-folded value and patterns, with patterns
    given as a tuple, a list or a generator."""
    expected = any(fnmatch.fnmatchcase(value.casefold(), p.casefold()) for p in patterns)
    assert globs_match(value, patterns) is expected
    assert globs_match(value, list(patterns)) is expected
    assert globs_match(value, iter(patterns)) is expected


def test_no_value_matches_nothing():
    assert globs_match(None, ("*",)) is False
