"""`alerting backtest`: episodes over the stored history, --compare, outputs, bad input.

The hand-made history: one measure (bigger is better, target 80) over Jan-Aug 2021 in two
areas. With a 5% tolerance the band edge is 76; with 2% it is 78.4.

    Area A: 80 77 75 79 81 70 70 82   5%: red Mar, Jun, Jul      2%: red Feb, Mar, Jun, Jul
    Area B: 80 78 80 77.5 80 80 80 80 5%: never red              2%: red Feb, Apr
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerting.cli.main import main
from alerting.config.ruleset import load_rules
from alerting.pipeline import evaluate_stored
from alerting.rules import RagScheme
from alerting.store import Store
from tests.conftest import ROOT

MONTHS = ["Jan-21", "Feb-21", "Mar-21", "Apr-21", "May-21", "Jun-21", "Jul-21", "Aug-21"]
VALUES = {"A": [80, 77, 75, 79, 81, 70, 70, 82], "B": [80, 78, 80, 77.5, 80, 80, 80, 80]}

MEASURES = """measures:
  - id: visits
    title: Visits in time
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    tolerance: {{relative: {tolerance}}}
"""
RULES = """rules:
  - id: worse-than-target
    type: tolerance
    severity: high
"""
RECIPIENTS = """receivers:
  - name: leads
    email: {to: [leads@example.gov.uk]}
route:
  receiver: leads
  repeat_interval: 1000d
  send_resolved: true
"""


def _rules(folder: Path, tolerance: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "measures.yaml").write_text(MEASURES.format(tolerance=tolerance))
    (folder / "rules.yaml").write_text(RULES)
    return folder


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A config, the 5% rules, the 2% rules (in `tighter/`) and a store with the history."""
    _rules(tmp_path / "rules", "5%")
    _rules(tmp_path / "tighter", "2%")
    (tmp_path / "recipients.yaml").write_text(RECIPIENTS)
    (tmp_path / "service.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n"
        f"rules: [{tmp_path / 'rules'}]\nrecipients: {tmp_path / 'recipients.yaml'}\n")
    rows = ["measure_id,period,area,value,target"]
    rows += [f"visits,{month},{area},{values[i]},80" for area, values in VALUES.items()
             for i, month in enumerate(MONTHS)]
    (tmp_path / "observations.csv").write_text("\n".join(rows) + "\n")
    assert main(["--config", str(tmp_path / "service.yaml"), "load",
                 str(tmp_path / "observations.csv")]) == 0
    return tmp_path


def _backtest(folder: Path, *args: str) -> list[str]:
    return ["--config", str(folder / "service.yaml"), "backtest", "--from", "2021-01-01",
            "--to", "2021-12-31", *args]


def _spans(episodes: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(e["area"], e["started"], e["ended"]) for e in episodes}


def test_episodes_have_their_start_and_end(history, capsys):
    """Each alert episode is listed with the run that fired it and the run that resolved it."""
    assert main(_backtest(history, "--format", "json")) == 0
    result = json.loads(capsys.readouterr().out)
    # Every month end in the range, also after the last stored period (as a service would).
    assert result["as_of_dates"][:3] == ["2021-01-31", "2021-02-28", "2021-03-31"]
    assert len(result["as_of_dates"]) == 12 and result["as_of_dates"][-1] == "2021-12-31"
    assert _spans(result["episodes"]) == {("A", "2021-03-31", "2021-04-30"),
                                          ("A", "2021-06-30", "2021-08-31")}
    second = next(e for e in result["episodes"] if e["started"] == "2021-06-30")
    assert second["firing"] == ["2021-06-30", "2021-07-31"]
    assert second["worst_status"] == "red"
    # FIRST and RESOLVED for each episode; no repeats within 1000 days.
    assert result["notices"] == {"leads": 4}


def test_compare_lists_exactly_the_episodes_a_tighter_tolerance_adds(history, capsys):
    """5% -> 2%: area B's two episodes are added; area A's first episode starts earlier."""
    assert main(_backtest(history, "--compare", str(history / "tighter"),
                          "--format", "json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert _spans(result["added"]) == {("B", "2021-02-28", "2021-03-31"),
                                       ("B", "2021-04-30", "2021-05-31")}
    assert result["removed"] == []
    assert [(c["before"]["started"], c["after"]["started"]) for c in result["changed"]] == \
        [("2021-03-31", "2021-02-28")]
    assert result["notices"] == {"leads": {"before": 4, "after": 6}}


def test_compare_table_reads_as_a_report(history, capsys):
    assert main(_backtest(history, "--compare", str(history / "tighter"))) == 0
    out = capsys.readouterr().out
    assert "added 2, removed 0, changed 1" in out
    added = out.split("EPISODES ADDED (2)")[1].split("EPISODES REMOVED")[0]
    assert re.search(r"worse-than-target\s+Visits in time\s+B\s+2021-02-28\s+2021-03-31\s+1\s+red",
                     added)
    assert re.search(r"leads\s+4\s+6\s+\+2", out)


def test_loosening_removes_the_episodes_again(history, capsys):
    """Compared the other way round, the same two episodes are removed, none added."""
    config = history / "service.yaml"
    config.write_text(config.read_text().replace(str(history / "rules"),
                                                 str(history / "tighter")))
    assert main(_backtest(history, "--compare", str(history / "rules"),
                          "--format", "json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["added"] == []
    assert _spans(result["removed"]) == {("B", "2021-02-28", "2021-03-31"),
                                         ("B", "2021-04-30", "2021-05-31")}


def test_html_report_is_self_contained_with_a_chart_per_affected_measure(history, capsys):
    out = history / "report" / "backtest.html"
    assert main(_backtest(history, "--compare", str(history / "tighter"), "--format", "html",
                          "--output", str(out))) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 2  # areas A and B
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?:", html)  # nothing fetched
    assert "Episodes added (2)" in html
    # Area B's chart marks the two runs where it fired after the change.
    figures = re.findall(r"<figure>.*?</figure>", html, flags=re.S)
    chart_b = next(f for f in figures if "Visits in time — B" in f)
    assert chart_b.count('fill="#c62828"') == 2
    assert "firing before the change" in html


def test_html_of_one_rule_set(history, capsys):
    assert main(_backtest(history, "--format", "html")) == 0
    html = capsys.readouterr().out
    assert html.count("<svg") == 1  # only area A alerted
    assert "tolerance band 76 to 80" in html


def test_replay_does_not_read_the_database_per_as_of_date(history, capsys):
    """The number of SQL statements is the same for 2 as-of dates as for 8."""
    counts = []
    for end in ("2021-02-28", "2021-08-31"):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _into=statements):
            _into.append(statement)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            assert main(["--config", str(history / "service.yaml"), "backtest", "--from",
                         "2021-01-01", "--to", end, "--format", "json"]) == 0
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        counts.append(len(statements))
    capsys.readouterr()
    assert counts[0] == counts[1]


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2021-06-01", "--to", "2021-01-01"], "--to 2021-01-01 is before --from"),
    (["--from", "2021-01-02", "--to", "2021-01-20"],
     "no month end between 2021-01-02 and 2021-01-20"),
    (["--from", "2021-01-01", "--to", "2021-12-31", "--rule", "nope*"],
     "--rule nope* matches no rule id"),
    (["--from", "2021-01-01", "--to", "2021-12-31", "--compare", "/no/such/folder"],
     "/no/such/folder does not exist"),
])
def test_bad_requests_exit_2_with_a_reason(history, capsys, args, message):
    assert main(["--config", str(history / "service.yaml"), "backtest", *args]) == 2
    assert message in capsys.readouterr().err


def test_compare_takes_a_whole_rules_folder(history, capsys):
    """A single file, or a folder with no catalogue, would make every episode 'removed'."""
    assert main(_backtest(history, "--compare", str(history / "tighter" / "measures.yaml"))) == 2
    assert "--compare takes a rules folder" in capsys.readouterr().err
    (history / "tighter" / "measures.yaml").unlink()
    assert main(_backtest(history, "--compare", str(history / "tighter"))) == 2
    assert "have no measure catalogue" in capsys.readouterr().err


def test_an_empty_store_is_refused(tmp_path, capsys):
    _rules(tmp_path / "rules", "5%")
    (tmp_path / "recipients.yaml").write_text(RECIPIENTS)
    (tmp_path / "service.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n"
        f"rules: [{tmp_path / 'rules'}]\nrecipients: {tmp_path / 'recipients.yaml'}\n")
    assert main(_backtest(tmp_path)) == 2
    assert "the store holds no data: load some first" in capsys.readouterr().err


def test_an_alert_firing_at_the_first_date_started_on_or_before_it(history, capsys):
    """Area A is red from June; a backtest from July cannot know when it started."""
    args = ["--config", str(history / "service.yaml"), "backtest", "--from", "2021-07-01",
            "--to", "2021-12-31"]
    assert main([*args, "--format", "json"]) == 0
    [episode] = json.loads(capsys.readouterr().out)["episodes"]
    assert (episode["started"], episode["open_at_start"], episode["ended"]) == \
        ("2021-07-31", True, "2021-08-31")
    assert main(args) == 0
    assert re.search(r"A\s+on/before 2021-07-31\s+2021-08-31", capsys.readouterr().out)


def test_notices_are_counted_per_channel(history, capsys):
    """A receiver with email and Teams gets two notices each time, as the outbox queues them."""
    (history / "recipients.yaml").write_text(RECIPIENTS.replace(
        "    email: {to: [leads@example.gov.uk]}\n",
        "    email: {to: [leads@example.gov.uk]}\n    teams: {url: 'https://example.org/hook'}\n"))
    assert main(_backtest(history, "--format", "json")) == 0
    assert json.loads(capsys.readouterr().out)["notices"] == {"leads": 8}


def test_the_store_is_not_changed_by_a_backtest(history, capsys):
    """Backtesting draft rules must not replace the stored catalogue (read only)."""
    engine = sa.create_engine(f"sqlite:///{history / 'db.sqlite3'}")
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT * FROM measures")).all()
    (history / "rules" / "measures.yaml").write_text(
        MEASURES.format(tolerance="2%").replace("Visits in time", "Draft title"))
    assert main(_backtest(history)) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT * FROM measures")).all() == before
    engine.dispose()


def test_a_rule_that_fails_on_one_side_is_left_out_and_said(history, capsys, monkeypatch):
    """A failing rule's missing episodes are not what the change did."""
    from alerting.rules.decline import DeclineRule

    working = DeclineRule.evaluate

    def fails_when_low(self, data, context):
        if self.severity == "low":
            raise RuntimeError("boom")
        return working(self, data, context)

    monkeypatch.setattr(DeclineRule, "evaluate", fails_when_low)
    falling = "  - id: falling\n    type: decline\n    periods: 2\n    severity: {}\n"
    (history / "rules" / "rules.yaml").write_text(RULES + falling.format("medium"))
    (history / "tighter" / "rules.yaml").write_text(RULES + falling.format("low"))
    assert main(_backtest(history, "--format", "json")) == 0
    assert any(e["rule"] == "falling" for e in json.loads(capsys.readouterr().out)["episodes"])
    assert main(_backtest(history, "--compare", str(history / "tighter"))) == 1
    out = capsys.readouterr().out
    assert "RULES THAT FAILED AFTER THE CHANGE\nfalling: RuntimeError: boom (at 12 as-of" in out
    assert "BEFORE THE CHANGE" not in out
    assert "Episodes of falling are left out of the comparison." in out
    assert "added 2, removed 0, changed 1" in out


def test_broken_compare_rules_are_named_with_file_and_line(history, capsys):
    (history / "tighter" / "rules.yaml").write_text(
        "rules:\n  - id: worse-than-target\n    type: tolerance\n    severity: urgent\n")
    assert main(_backtest(history, "--compare", str(history / "tighter"))) == 2
    err = capsys.readouterr().err
    assert "rules.yaml:4" in err and "severity" in err
    assert "the rules to compare have 1 error(s)" in err


def test_broken_recipients_refuse_to_count_notices(history, capsys):
    (history / "recipients.yaml").write_text("receivers:\n  - name: leads\nroute:\n"
                                             "  receiver: nobody\n")
    assert main(_backtest(history)) == 2
    assert "notices per receiver cannot be counted" in capsys.readouterr().err


# --- the bundled example history -------------------------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The bundled examples in a store, and a copy of the rules with tolerance 2%."""
    folder = tmp_path_factory.mktemp("examples")
    tighter = folder / "tighter"
    shutil.copytree(ROOT / "rules", tighter, ignore=shutil.ignore_patterns("tests"))
    catalogue = tighter / "measures.yaml"
    text = catalogue.read_text()
    assert "tolerance: {relative: 5%}" in text
    catalogue.write_text(text.replace("tolerance: {relative: 5%}", "tolerance: {relative: 2%}"))
    url = f"sqlite:///{folder / 'db.sqlite3'}"
    assert main(["--database", url, "load", str(ROOT / "examples")]) == 0
    return tighter, url


def _firing_by_date(url: str, rules: Path, dates: list[date], rule: str) -> dict[date, set[str]]:
    """What `alerting evaluate` (one database read per date) finds firing at each date."""
    ruleset = load_rules([rules])
    with Store.open(url) as store:
        return {d: {f.identity for f in evaluate_stored(store, ruleset, d).exceptions
                    if f.rule == rule} for d in dates}


def _episodes_from(firing: dict[date, set[str]]) -> set[tuple[str, str, str | None]]:
    """Episodes by run-length over the as-of dates: fired at one run, resolved at a later."""
    episodes, open_since = set(), {}
    for day in sorted(firing):
        for identity in firing[day] - open_since.keys():
            open_since[identity] = day
        for identity in [i for i in open_since if i not in firing[day]]:
            episodes.add((identity, open_since.pop(identity).isoformat(), day.isoformat()))
    episodes |= {(i, start.isoformat(), None) for i, start in open_since.items()}
    return episodes


def test_bundled_history_backtest_matches_a_live_run_at_every_date(examples, monkeypatch,
                                                                   capsys):
    """Replaying the examples gives the same episodes as evaluating each date from the store."""
    _, url = examples
    monkeypatch.chdir(ROOT)
    assert main(["--database", url, "backtest", "--from", "2019-01-01", "--to", "2021-09-30",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    dates = [date.fromisoformat(d) for d in result["as_of_dates"]]
    assert len(dates) >= 12
    rule = "significantly-worse-than-target"
    listed = {(e["alert"], e["started"], e["ended"]) for e in result["episodes"]
              if e["rule"] == rule}
    assert listed and listed == _episodes_from(_firing_by_date(url, ROOT / "rules", dates, rule))
    assert any(e["ended"] for e in result["episodes"])  # some episodes resolve


def test_bundled_history_compare_adds_only_what_2_percent_makes_red(examples, monkeypatch,
                                                                    capsys):
    """Every added episode is an alert that was red at 2% but not at 5% at each of its runs,
    and every such (alert, date) is in an added or changed episode."""
    tighter, url = examples
    monkeypatch.chdir(ROOT)
    rule = "significantly-worse-than-target"
    assert main(["--database", url, "backtest", "--from", "2019-01-01", "--to", "2021-09-30",
                 "--rule", rule, "--compare", str(tighter), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["added"] and not result["removed"]
    dates = [date.fromisoformat(d) for d in result["after"]["as_of_dates"]]
    before = _firing_by_date(url, ROOT / "rules", dates, rule)
    after = _firing_by_date(url, tighter, dates, rule)
    assert _spans_of(result["added"]) == _episodes_from(after) - _episodes_from(before) - \
        {(c["after"]["alert"], c["after"]["started"], c["after"]["ended"])
         for c in result["changed"]}
    for episode in result["added"]:
        for day in episode["firing"]:
            assert episode["alert"] not in before[date.fromisoformat(day)]


def _spans_of(episodes: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(e["alert"], e["started"], e["ended"]) for e in episodes}


# --- charts ----------------------------------------------------------------------------


def _catalogue(target: float):
    from alerting.model.catalogue import Catalogue, Measure

    measure = Measure.model_validate({
        "id": "m", "title": "M", "polarity": "bigger_is_better", "unit": "percent",
        "tolerance": {"relative": "5%"}, "targets": {"Mar-21": target}})
    return Catalogue({"m": measure})


def test_a_target_given_only_for_the_last_period_is_drawn_with_its_band():
    from alerting.authoring.backtest.chart import Band, Point, series_chart

    points = [Point(date(2021, 1, 31), 70.0, None), Point(date(2021, 2, 28), 72.0, None),
              Point(date(2021, 3, 31), 74.0, 80.0)]
    svg = series_chart("M", points, [Band("", _catalogue(80).get("m"), points)], [])
    assert svg.count("tolerance band 76 to 80") == 1
    assert svg.count("target 80") == 1


def test_compare_chart_draws_each_catalogues_own_targets_and_band():
    """Targets from the catalogue (none in the data) differ before and after the change."""
    from alerting.authoring.backtest.html import measure_figure
    from alerting.model.frames import ObservationFrame
    from alerting.model.periods import parse_period
    from alerting.model.records import ObservationRecord

    frame = ObservationFrame.from_records(
        [ObservationRecord("m", parse_period(label), "A", value, None)
         for label, value in [("Jan-21", 11.0), ("Feb-21", 11.5), ("Mar-21", 11.0)]])
    figure = measure_figure(frame, _catalogue(12), _catalogue(15), "m", "A", [],
                            [date(2021, 3, 31)])
    assert "before tolerance band 11.4 to 12" in figure
    assert "after tolerance band 14.2 to 15" in figure


@pytest.mark.parametrize("where", ["config", "rule"])
def test_chart_band_is_the_rules_band_under_tolerance_band(history, capsys, where):
    """Under `tolerance_band` (the council's `rag_scheme` or the rule's own `scheme:`) the
    chart shades the band the rule rates by: both sides of target, not only the bad side."""
    from alerting.authoring.backtest.chart import _number

    config = history / "service.yaml"
    if where == "config":
        config.write_text(config.read_text() + "rag_scheme: tolerance_band\n")
    else:
        rules = history / "rules" / "rules.yaml"
        rules.write_text(rules.read_text() + "    scheme: tolerance_band\n")
    assert main(_backtest(history, "--format", "html")) == 0
    html = capsys.readouterr().out
    ruleset = load_rules([history / "rules"])
    with Store.open(f"sqlite:///{history / 'db.sqlite3'}") as store:
        findings = evaluate_stored(store, ruleset, date(2021, 3, 31), include_all=True,
                                   scheme=RagScheme.TOLERANCE_BAND if where == "config"
                                   else RagScheme.TARGET_WITH_TOLERANCE).findings
    rated = next(f for f in findings if f.area == "A")
    low, high = rated.details["band_low"], rated.details["band_high"]
    assert (low, high) == (76, 84)  # the within-tolerance band, both sides of 80
    assert f"tolerance band {_number(low)} to {_number(high)}" in html
    assert "tolerance band 76 to 80" not in html  # what the chart drew before, on its own


NASTY = '<script>alert({n})</script> "quoted" & \'single\''


def test_backtest_html_escapes_every_text_it_shows():
    """A measure title, area, rule error or rules name holding markup and quotes appears
    escaped wherever the page shows it (tables, captions, chart tooltips), in both pages."""
    from markupsafe import escape

    from alerting.authoring.backtest.html import backtest_html, comparison_html
    from alerting.authoring.backtest.replay import Backtest, Comparison, Episode
    from alerting.model.catalogue import Catalogue, Measure
    from alerting.model.findings import Severity, Status
    from alerting.model.frames import ObservationFrame
    from alerting.model.periods import parse_period
    from alerting.model.records import ObservationRecord

    title, area, error, name = (NASTY.format(n=n) for n in range(1, 5))
    measure = Measure.model_validate({
        "id": "m", "title": title, "polarity": "bigger_is_better", "unit": "percent",
        "tolerance": {"relative": "5%"}})
    catalogue = Catalogue({"m": measure})
    frame = ObservationFrame.from_records(
        [ObservationRecord("m", parse_period(label), area, value, 80.0)
         for label, value in [("Jan-21", 79.0), ("Feb-21", 70.0)]])
    dates = (date(2021, 1, 31), date(2021, 2, 28))
    episode = Episode(f"r:m:{area}", "r", "m", title, area, dates[1], None, (), Status.RED,
                      Severity.HIGH, (dates[1],), {"measure": "m", "area": area})
    result = Backtest(dates, (episode,), {"leads": 1}, ((dates[1], "other", error),))
    pages = [backtest_html(result, frame, catalogue, name),
             comparison_html(Comparison(result, result, (episode,), (), ()), frame, catalogue,
                             Catalogue({"m": measure}), name, name)]
    for page in pages:
        assert "<script" not in page
        assert '"quoted"' not in page and "'single'" not in page
        for n, text in enumerate((title, area, error, name), start=1):
            shown = page.count(f"alert({n})")
            assert shown > 0
            assert page.count(str(escape(text))) == shown  # every time, escaped
    # Titles and areas reach the tables, the caption and the chart's tooltips.
    assert pages[0].count("alert(1)") >= 3 and pages[0].count("alert(2)") >= 3


def test_backtest_applies_the_inhibit_rules_to_the_notices_it_counts(history, capsys):
    """A two-month decline in area A in March coincides with the red breach there: with
    an inhibit rule the decline's notices (new in March, resolved in April: one each, with
    `group: each`) are not counted; its episode still is."""
    (history / "rules" / "rules.yaml").write_text(
        RULES + "  - id: falling\n    type: decline\n    periods: 2\n")
    each = RECIPIENTS.replace("  send_resolved: true\n", "  send_resolved: true\n  group: each\n")

    def leads_notices(recipients: str) -> tuple[int, int]:
        (history / "recipients.yaml").write_text(recipients)
        assert main(_backtest(history, "--format", "json")) == 0
        report = json.loads(capsys.readouterr().out)
        falling = [e for e in report["episodes"] if e["rule"] == "falling"]
        return report["notices"]["leads"], len(falling)

    plain, episodes = leads_notices(each)
    inhibited, same_episodes = leads_notices(
        each + "inhibit:\n  - source: {rule: worse-than-target, status: red}\n"
               "    target: {rule: falling}\n")
    assert episodes == same_episodes == 1
    assert plain - inhibited == 2
