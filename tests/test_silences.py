"""Silences: loading and checking config/silences.yaml, matching alerts, and `alerting silence`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerting.alerts.silences import (
    Silence,
    Silences,
    add_silence,
    expire_silence,
    load_silences,
    save_silences,
)
from alerting.cli.main import main
from alerting.model.problems import Problem, ProblemsFound
from tests.conftest import ROOT

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

# The labels of one alert, as alerting.alerts.state.Alert.labels gives them.
ALERT = {
    "alert": "three-period-decline|cin-visits-2|Cotswolds",
    "rule": "three-period-decline",
    "rule_type": "decline",
    "measure": "cin-visits-2",
    "area": "Cotswolds",
    "team": "Cotswolds Safeguarding",
    "severity": "high",
    "service_area": "CIN",
}


def silence(**fields: Any) -> Silence:
    fields.setdefault("id", "s1")
    fields.setdefault("ends", datetime(2026, 4, 1, 9, 30, tzinfo=UTC))
    fields.setdefault("reason", "known backlog")
    fields.setdefault("author", "j.smith")
    return Silence.model_validate(fields)


def load_text(tmp_path: Path, text: str) -> Silences:
    path = tmp_path / "silences.yaml"
    path.write_text(text, encoding="utf-8")
    return load_silences(path)


def lines_and_messages(problems: tuple[Problem, ...]) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in problems]


# --- loading ---------------------------------------------------------------------------------


def test_a_missing_file_means_no_silences_and_no_problems(tmp_path):
    """load_silences on a file that does not exist gives no silences and no problems."""
    loaded = load_silences(tmp_path / "nope.yaml")
    assert (loaded.silences, loaded.problems) == ((), ())


def test_the_shipped_silences_file_loads_cleanly():
    """config/silences.yaml loads with no problems (shipped examples never rot)."""
    loaded = load_silences(ROOT / "config" / "silences.yaml")
    assert loaded.problems == ()


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "other_labels"), [
    ({"rule": "three-period-decline"}, {"rule": "cp-over-2y"}),
    ({"measure": "cin-visits-*"}, {"measure": "cp-visits-2"}),
    ({"area": "Cotswolds"}, {"area": "Stroud"}),
    ({"team": "Cotswolds Safeguarding"}, {"team": "Stroud Safeguarding"}),
    ({"alert": "three-period-decline|cin-visits-2|Cotswolds"},
     {"alert": "three-period-decline|cin-visits-2|Stroud"}),
    ({"labels": {"service_area": "CIN"}}, {"service_area": "CP"}),
], ids=["rule", "measure-glob", "area", "team", "alert-identity", "labels"])
def test_each_matcher_selects_alerts_by_its_label(fields, other_labels):
    """A silence with one matcher mutes the alert whose label matches and not one that differs."""
    chosen = silence(**fields)
    assert chosen.matches(ALERT) is True
    assert chosen.matches({**ALERT, **other_labels}) is False


def test_matchers_combine_with_and():
    """rule and area together mute only alerts matching both."""
    chosen = silence(rule="three-period-decline", area="Cotswolds")
    assert chosen.matches(ALERT) is True
    assert chosen.matches({**ALERT, "area": "Stroud"}) is False
    assert chosen.matches({**ALERT, "rule": "cp-over-2y"}) is False


def test_list_items_combine_with_or():
    """area: [Cotswolds, Stroud] mutes alerts in either area and not in a third."""
    chosen = silence(area=["Cotswolds", "Stroud"])
    assert chosen.area == ("Cotswolds", "Stroud")
    assert chosen.matches(ALERT) is True
    assert chosen.matches({**ALERT, "area": "Stroud"}) is True
    assert chosen.matches({**ALERT, "area": "Gloucester"}) is False


def test_matching_is_case_insensitive():
    """Patterns and label values are compared without regard to case, globs included."""
    chosen = silence(rule="Three-Period-DECLINE", measure="CIN-VISITS-*", area="cotswolds",
                     labels={"service_area": "cin"})
    assert chosen.matches(ALERT) is True
    assert chosen.matches({**ALERT, "area": "COTSWOLDS"}) is True


def test_a_label_the_alert_lacks_does_not_match_even_a_star():
    """labels: {locality: '*'} does not mute an alert that has no locality label."""
    chosen = silence(labels={"locality": "*"})
    assert chosen.matches(ALERT) is False
    assert chosen.matches({**ALERT, "locality": "North"}) is True


def test_silencing_returns_the_first_active_matching_silence():
    """Silences.silencing skips expired and non-matching silences and returns the first hit."""
    expired = silence(id="old", rule="three-period-decline",
                      ends=datetime(2026, 3, 1, tzinfo=UTC))
    other = silence(id="other", area="Stroud")
    hit = silence(id="hit", measure="cin-*")
    later = silence(id="later", rule="*")
    found = Silences(Path("x.yaml"), (expired, other, hit, later))
    assert found.silencing(ALERT, NOW) is hit
    assert found.silencing({**ALERT, "measure": "cp-1", "rule": "r"}, NOW) is later
    assert found.get("other") is other
    assert found.get("missing") is None


# --- time window -----------------------------------------------------------------------------


def test_an_ends_date_mutes_through_the_end_of_that_day_utc(tmp_path):
    """ends: 2026-03-31 is active at 23:59:59 UTC that day and not at midnight after."""
    loaded = load_text(tmp_path, "silences:\n  - id: s1\n    rule: r\n    ends: 2026-03-31\n"
                                 "    reason: backlog\n    author: j.smith\n")
    assert loaded.problems == ()
    (only,) = loaded.silences
    assert only.ends.tzinfo == UTC
    assert (only.ends.date(), only.ends.hour, only.ends.minute, only.ends.second) == \
        (date(2026, 3, 31), 23, 59, 59)
    assert only.is_active(datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)) is True
    assert only.is_active(datetime(2026, 4, 1, 0, 0, 0, tzinfo=UTC)) is False
    assert only.is_active(datetime(2026, 4, 2, tzinfo=UTC)) is False


def test_a_future_starts_is_not_active_yet():
    """A silence whose starts is in the future mutes nothing until then."""
    chosen = silence(rule="*", starts=datetime(2026, 3, 20, tzinfo=UTC))
    assert chosen.is_active(NOW) is False
    assert chosen.is_active(datetime(2026, 3, 20, tzinfo=UTC)) is True
    assert Silences(Path("x.yaml"), (chosen,)).silencing(ALERT, NOW) is None


def test_a_starts_date_begins_at_midnight_utc():
    """starts: <date> means from 00:00 UTC that day."""
    chosen = silence(rule="*", starts=date(2026, 3, 20))
    assert chosen.starts == datetime(2026, 3, 20, 0, 0, tzinfo=UTC)


def test_naive_yaml_datetimes_are_taken_as_utc(tmp_path):
    """A datetime written without an offset in the file is read as UTC."""
    loaded = load_text(tmp_path, "silences:\n  - id: s1\n    rule: r\n"
                                 "    starts: 2026-03-01 08:00:00\n"
                                 "    ends: 2026-03-31 18:00:00\n"
                                 "    reason: backlog\n    author: j.smith\n")
    assert loaded.problems == ()
    (only,) = loaded.silences
    assert only.starts == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert only.ends == datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    assert only.is_active(datetime(2026, 3, 31, 17, 59, tzinfo=UTC)) is True
    assert only.is_active(datetime(2026, 3, 31, 18, 0, tzinfo=UTC)) is False


@pytest.mark.parametrize(("written", "expected"), [
    ('"2026-03-31"', datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("2026-03-31T18:00", datetime(2026, 3, 31, 18, 0, tzinfo=UTC)),
    ("2026-03-31 18:00", datetime(2026, 3, 31, 18, 0, tzinfo=UTC)),
], ids=["quoted-date", "T-no-seconds", "space-no-seconds"])
def test_ends_written_as_text_is_read_like_a_yaml_timestamp(tmp_path, written, expected):
    """An `ends` YAML parses as text still means UTC (a date: through that day) and can match."""
    loaded = load_text(tmp_path, f"silences:\n  - id: s1\n    rule: '*'\n    ends: {written}\n"
                                 "    reason: backlog\n    author: j.smith\n")
    assert loaded.problems == ()
    (only,) = loaded.silences
    assert loaded.silencing(ALERT, datetime(2026, 3, 31, 17, 0, tzinfo=UTC)) is only
    assert only.ends == expected


# --- problems in the file --------------------------------------------------------------------


def test_a_silence_without_any_matcher_is_refused_with_its_line(tmp_path):
    """An entry with no alert/rule/measure/area/team/labels is a problem ('at least one')."""
    loaded = load_text(tmp_path, "silences:\n"
                                 "  - id: good\n    rule: r\n    ends: 2026-03-31\n"
                                 "    reason: backlog\n    author: j.smith\n"
                                 "  - id: everything\n    ends: 2026-03-31\n"
                                 "    reason: too broad\n    author: j.smith\n")
    assert [s.id for s in loaded.silences] == ["good"]
    (problem,) = loaded.problems
    assert problem.line == 7
    assert problem.file.endswith("silences.yaml")
    assert problem.message.startswith("silence 'everything': ")
    assert "at least one of alert, rule, measure, area, team or labels" in problem.message


def test_missing_reason_author_and_ends_are_each_reported_at_the_entry_line(tmp_path):
    """Each missing required field is a problem with the file and the line of its entry."""
    path = tmp_path / "silences.yaml"
    path.write_text("# muted by hand\nsilences:\n"
                    "  - id: no-reason\n    rule: r\n    ends: 2026-03-31\n    author: a\n"
                    "  - id: no-author\n    rule: r\n    ends: 2026-03-31\n    reason: x\n"
                    "  - id: no-ends\n    rule: r\n    reason: x\n    author: a\n")
    loaded = load_silences(path)
    assert loaded.silences == ()
    assert lines_and_messages(loaded.problems) == [
        (3, "silence 'no-reason': reason is required"),
        (7, "silence 'no-author': author is required"),
        (11, "silence 'no-ends': ends is required"),
    ]
    assert {p.file for p in loaded.problems} == {str(path)}
    assert str(loaded.problems[0]) == f"{path}:3: silence 'no-reason': reason is required"


def test_a_blank_reason_is_reported_at_its_own_line(tmp_path):
    """reason: '' is refused as blank, at the line of the reason key."""
    loaded = load_text(tmp_path, "silences:\n  - id: s1\n    rule: r\n    ends: 2026-03-31\n"
                                 "    reason: ''\n    author: a\n")
    assert lines_and_messages(loaded.problems) == [(5, "silence 's1': reason must not be blank")]


def test_a_bad_entry_is_skipped_and_a_good_one_still_applies(tmp_path):
    """One broken silence does not stop the others in the same file from muting."""
    loaded = load_text(tmp_path, "silences:\n"
                                 "  - id: broken\n    rule: r\n    ends: whenever\n"
                                 "    reason: x\n    author: a\n"
                                 "  - id: good\n    area: Cotswolds\n    ends: 2026-03-31\n"
                                 "    reason: x\n    author: a\n")
    assert [s.id for s in loaded.silences] == ["good"]
    assert [p.line for p in loaded.problems] == [4]
    assert "silence 'broken': ends" in loaded.problems[0].message
    assert loaded.silencing(ALERT, NOW) is loaded.silences[0]


def test_a_duplicate_id_is_reported_and_the_first_kept(tmp_path):
    """A second silence with the same id is a problem at its id line; the first still loads."""
    loaded = load_text(tmp_path, "silences:\n"
                                 "  - id: twice\n    rule: r\n    ends: 2026-03-31\n"
                                 "    reason: first\n    author: a\n"
                                 "  - id: twice\n    rule: q\n    ends: 2026-03-31\n"
                                 "    reason: second\n    author: a\n")
    assert [(s.id, s.reason) for s in loaded.silences] == [("twice", "first")]
    assert lines_and_messages(loaded.problems) == [(7, "silence 'twice': the id is used twice")]


def test_an_id_with_spaces_is_refused(tmp_path):
    """Silence ids are letters, digits, '_' and '-' only (they are typed on the command line)."""
    loaded = load_text(tmp_path, "silences:\n  - id: my silence\n    rule: r\n"
                                 "    ends: 2026-03-31\n    reason: x\n    author: a\n")
    assert loaded.silences == ()
    assert [p.line for p in loaded.problems] == [2]
    assert "id must use only letters" in loaded.problems[0].message


def test_a_yaml_syntax_error_is_one_problem_with_a_line_and_no_silences(tmp_path):
    """A file that is not valid YAML gives no silences and a problem saying where."""
    loaded = load_text(tmp_path, "silences:\n  - id: s1\n    rule: [r\n    ends: 2026-03-31\n")
    assert loaded.silences == ()
    (problem,) = loaded.problems
    assert problem.message.startswith("YAML syntax error")
    assert isinstance(problem.line, int)
    assert problem.line >= 3


def test_silences_must_be_a_list(tmp_path):
    """silences: given as a mapping is a problem at the silences key."""
    loaded = load_text(tmp_path, "# header\nsilences:\n  id: s1\n  rule: r\n")
    assert loaded.silences == ()
    assert lines_and_messages(loaded.problems) == [(2, "silences must be a list")]


@pytest.mark.parametrize("text", [
    "silence:\n  - id: s1\n    rule: r\n    ends: 2026-03-31\n    reason: x\n    author: a\n",
    "- id: s1\n  rule: r\n  ends: 2026-03-31\n  reason: x\n  author: a\n",
], ids=["misspelt-key", "top-level-list"])
def test_a_file_of_the_wrong_shape_is_a_problem(tmp_path, text):
    """A silences file whose top level is not a `silences:` mapping is reported, not ignored."""
    loaded = load_text(tmp_path, text)
    assert loaded.problems != ()
    assert loaded.problems[0].line == 1


# --- add, save, expire -----------------------------------------------------------------------


def test_add_then_load_round_trips_every_field(tmp_path):
    """add_silence writes silences that load back equal: ids, matchers, times, reason, author."""
    path = tmp_path / "config" / "silences.yaml"
    first = silence(id="a1", rule="three-period-decline", area=["Cotswolds", "Stroud"],
                    ends=datetime(2026, 4, 1, 9, 30, tzinfo=UTC))
    second = silence(id="b2", measure="cin-visits-*", team="Cotswolds Safeguarding",
                     alert="r|m|Cotswolds", labels={"service_area": ["CIN", "CP"], "risk": "x"},
                     starts=datetime(2026, 3, 12, 8, 0, tzinfo=UTC),
                     ends=datetime(2026, 5, 1, 17, 0, 5, tzinfo=UTC),
                     created=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
                     reason="data migration — figures wrong", author="A. Nother")
    assert add_silence(path, first) is first
    add_silence(path, second)
    loaded = load_silences(path)
    assert loaded.problems == ()
    assert loaded.silences == (first, second)
    assert loaded.silences[1].matchers() == {
        "alert": ("r|m|Cotswolds",), "measure": ("cin-visits-*",),
        "team": ("Cotswolds Safeguarding",), "service_area": ("CIN", "CP"), "risk": ("x",)}


def test_a_date_ends_survives_a_save_and_load(tmp_path):
    """A silence added with an `ends` date still mutes at 23:59:59.5 on that day once saved."""
    path = tmp_path / "silences.yaml"
    added = add_silence(path, silence(rule="r", ends=date(2026, 3, 31)))
    assert added.is_active(datetime(2026, 3, 31, 23, 59, 59, 500000, tzinfo=UTC))
    (loaded,) = load_silences(path).silences
    assert loaded == added


def test_save_writes_the_header_comment_and_plain_yaml(tmp_path):
    """save_silences starts the file with the explanatory header and writes one list."""
    path = tmp_path / "silences.yaml"
    save_silences(path, [silence(id="a1", rule="r", area=["X", "Y"])])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Silences: alerts muted until a date.")
    assert "at least one of alert, rule, measure, area, team or labels" in text
    assert yaml.safe_load(text) == {"silences": [{
        "id": "a1", "rule": "r", "area": ["X", "Y"], "ends": "2026-04-01T09:30:00+00:00",
        "reason": "known backlog", "author": "j.smith"}]}
    assert not (tmp_path / "silences.yaml.tmp").exists()


def test_save_of_no_silences_writes_an_empty_list(tmp_path):
    """Saving nothing leaves a file that loads as no silences."""
    path = tmp_path / "silences.yaml"
    save_silences(path, [])
    assert load_silences(path) == Silences(path)


def test_expire_ends_a_silence_now_and_keeps_it_in_the_file(tmp_path):
    """expire_silence sets ends to now; the silence stays as a record and mutes nothing more."""
    path = tmp_path / "silences.yaml"
    add_silence(path, silence(id="a1", rule="three-period-decline"))
    add_silence(path, silence(id="b2", area="Stroud"))
    ended = expire_silence(path, "a1", NOW)
    assert ended.id == "a1"
    assert ended.ends == NOW
    loaded = load_silences(path)
    assert [s.id for s in loaded.silences] == ["a1", "b2"]
    assert loaded.get("a1").ends == NOW
    assert loaded.get("a1").is_active(NOW) is False
    assert loaded.get("b2").ends == datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    assert loaded.silencing(ALERT, NOW) is None


def test_expiring_an_ended_silence_keeps_its_earlier_end(tmp_path):
    """Expiring a silence that already ended does not move its end later."""
    path = tmp_path / "silences.yaml"
    add_silence(path, silence(id="a1", rule="r", ends=datetime(2026, 3, 1, tzinfo=UTC)))
    assert expire_silence(path, "a1", NOW).ends == datetime(2026, 3, 1, tzinfo=UTC)


def test_expire_of_an_unknown_id_raises_key_error(tmp_path):
    """expire_silence with an id not in the file raises KeyError and leaves the file alone."""
    path = tmp_path / "silences.yaml"
    add_silence(path, silence(id="a1", rule="r"))
    before = path.read_text(encoding="utf-8")
    with pytest.raises(KeyError, match="nope"):
        expire_silence(path, "nope", NOW)
    assert path.read_text(encoding="utf-8") == before


def test_add_refuses_to_overwrite_a_file_with_problems(tmp_path):
    """add_silence raises ProblemsFound on a broken hand-edited file and leaves it untouched."""
    path = tmp_path / "silences.yaml"
    broken = ("silences:\n  - id: hand-edited\n    rule: r\n    ends: 2026-03-31\n"
              "    author: a\n")
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        add_silence(path, silence(id="new", rule="q"))
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (2, "silence 'hand-edited': reason is required")]
    assert path.read_text(encoding="utf-8") == broken
    with pytest.raises(ProblemsFound):
        expire_silence(path, "hand-edited", NOW)
    assert path.read_text(encoding="utf-8") == broken


def test_add_does_not_overwrite_a_file_with_a_misspelt_top_level_key(tmp_path):
    """add_silence on a file whose silences sit under `silence:` refuses instead of losing them."""
    path = tmp_path / "silences.yaml"
    hand = "silence:\n  - id: s1\n    rule: r\n    ends: 2026-03-31\n    reason: x\n    author: a\n"
    path.write_text(hand, encoding="utf-8")
    with pytest.raises(ProblemsFound):
        add_silence(path, silence(id="new", rule="q"))
    assert path.read_text(encoding="utf-8") == hand


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """A service config whose silences file is in tmp_path, with the clock frozen at NOW."""
    monkeypatch.setattr("alerting.cli.notices.utc_now", lambda: NOW)
    monkeypatch.delenv("CSC_ALERTING_DATABASE_URL", raising=False)
    path = tmp_path / "service.yaml"
    path.write_text(f"silences: {tmp_path / 'silences.yaml'}\n"
                    f"recipients: {ROOT / 'config' / 'recipients.yaml'}\n"
                    f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
    return path


def test_cli_add_list_expire_list(config, tmp_path, capsys):
    """silence add, list, expire ID, then list hides it and list --all shows it expired."""
    assert main(["--config", str(config), "silence", "add", "--rule", "three-period-decline",
                 "--area", "Cotswolds", "--until", "2w", "--reason", "backlog",
                 "--author", "j.smith"]) == 0
    added = capsys.readouterr().out
    match = re.fullmatch(r"added ([0-9a-f]{8}): rule=three-period-decline, area=Cotswolds "
                         r"until 2026-03-24 12:00 \(backlog; j\.smith\)\n", added)
    assert match, added
    silence_id = match[1]
    (stored,) = load_silences(tmp_path / "silences.yaml").silences
    assert (stored.id, stored.rule, stored.area, stored.ends, stored.created) == (
        silence_id, ("three-period-decline",), ("Cotswolds",), NOW + timedelta(weeks=2), NOW)

    assert main(["--config", str(config), "silence", "list"]) == 0
    assert capsys.readouterr().out == (
        f"{silence_id}  active   rule=three-period-decline, area=Cotswolds until "
        "2026-03-24 12:00 (backlog; j.smith)\n")

    assert main(["--config", str(config), "silence", "expire", silence_id]) == 0
    assert capsys.readouterr().out.startswith(f"expired {silence_id}: ")
    assert load_silences(tmp_path / "silences.yaml").silences[0].ends == NOW

    assert main(["--config", str(config), "silence", "list"]) == 0
    assert capsys.readouterr().out == "No active silences.\n"

    assert main(["--config", str(config), "silence", "list", "--all"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"{silence_id}  expired  rule=three-period-decline")


def test_cli_until_a_date_mutes_through_that_day(config, tmp_path, capsys):
    """--until 2026-12-31 ends the silence at 23:59:59 UTC that day."""
    assert main(["--config", str(config), "silence", "add", "--measure", "cin-visits-*",
                 "--until", "2026-12-31", "--reason", "r", "--author", "a"]) == 0
    assert "until 2026-12-31 23:59 (r; a)" in capsys.readouterr().out
    (stored,) = load_silences(tmp_path / "silences.yaml").silences
    assert stored.ends.replace(microsecond=0) == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert stored.measure == ("cin-visits-*",)


def test_cli_label_option_adds_a_label_matcher(config, tmp_path, capsys):
    """--label key=value becomes a labels: matcher; one without '=' exits 2."""
    assert main(["--config", str(config), "silence", "add", "--label", "service_area=CIN",
                 "--until", "3d", "--reason", "r", "--author", "a"]) == 0
    capsys.readouterr()
    (stored,) = load_silences(tmp_path / "silences.yaml").silences
    assert dict(stored.labels) == {"service_area": ("CIN",)}
    assert main(["--config", str(config), "silence", "add", "--label", "service_area",
                 "--until", "3d", "--reason", "r", "--author", "a"]) == 2
    assert "--label must look like key=value, got 'service_area'" in capsys.readouterr().err


def test_cli_bad_until_exits_2_with_a_clear_message(config, tmp_path, capsys):
    """--until soon exits 2, says which forms are accepted, and writes nothing."""
    assert main(["--config", str(config), "silence", "add", "--rule", "r", "--until", "soon",
                 "--reason", "r", "--author", "a"]) == 2
    err = capsys.readouterr().err
    assert "--until must be a date like 2026-12-31 or a duration like 2w" in err
    assert "got 'soon'" in err
    assert not (tmp_path / "silences.yaml").exists()


def test_cli_add_without_a_matcher_exits_2(config, tmp_path, capsys):
    """silence add with no --rule/--area/... exits 2 (it would mute everything)."""
    assert main(["--config", str(config), "silence", "add", "--until", "2w",
                 "--reason", "r", "--author", "a"]) == 2
    assert "a silence needs at least one of alert, rule" in capsys.readouterr().err
    assert not (tmp_path / "silences.yaml").exists()


def test_cli_expire_of_an_unknown_id_exits_1(config, capsys):
    """silence expire with an id that is not in the file exits 1 naming it."""
    assert main(["--config", str(config), "silence", "expire", "deadbeef"]) == 1
    assert "no silence 'deadbeef'" in capsys.readouterr().err


def test_cli_add_refuses_a_broken_file_with_exit_2(config, tmp_path, capsys):
    """silence add on a file with problems prints them with their line, exits 2, changes nothing."""
    path = tmp_path / "silences.yaml"
    broken = "silences:\n  - id: s1\n    ends: 2026-03-31\n    reason: x\n    author: a\n"
    path.write_text(broken, encoding="utf-8")
    assert main(["--config", str(config), "silence", "add", "--rule", "r", "--until", "2w",
                 "--reason", "r", "--author", "a"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:2: silence 's1': ")
    assert "a silence needs at least one of alert, rule" in err
    assert path.read_text(encoding="utf-8") == broken


def test_cli_expired_pending_silence_leaves_the_list(config, tmp_path, capsys):
    """Expiring a silence that has not started yet removes it from `silence list`."""
    path = tmp_path / "silences.yaml"
    add_silence(path, silence(id="later", rule="r", starts=datetime(2026, 3, 20, tzinfo=UTC)))
    assert main(["--config", str(config), "silence", "list"]) == 0
    assert capsys.readouterr().out.startswith("later  pending  rule=r")
    assert main(["--config", str(config), "silence", "expire", "later"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "silence", "list"]) == 0
    assert capsys.readouterr().out == "No active silences.\n"
