"""Routing: config/recipients.yaml, the route tree, intervals, and `alerting routes test`."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.cli.main import main
from alerting.model.durations import parse_interval
from alerting.model.problems import Problem, ProblemsFound
from alerting.routing.routes import Grouping, RouteSettings, Routing, load_routing
from tests.conftest import ROOT

RECIPIENTS = ROOT / "config" / "recipients.yaml"


def tree(tmp_path: Path, route: str, names: tuple[str, ...] = ("root", "a", "b", "c")) -> Routing:
    """Receivers `names` (one email each) and the route tree given as YAML under `route:`."""
    receivers = "".join(f"  - name: {name}\n    email: {{to: [{name}@example.gov.uk]}}\n"
                        for name in names)
    body = textwrap.indent(textwrap.dedent(route), "  ")
    path = tmp_path / "recipients.yaml"
    path.write_text(f"receivers:\n{receivers}route:\n{body}", encoding="utf-8")
    return load_routing(path)


def receivers(routes: list[RouteSettings]) -> list[str]:
    return [r.receiver for r in routes]


@pytest.fixture(scope="module")
def shipped() -> Routing:
    return load_routing(RECIPIENTS)


# --- the shipped file ------------------------------------------------------------------------


def test_the_shipped_recipients_file_loads(shipped):
    """config/recipients.yaml loads with no problems and names the performance team as root."""
    assert shipped.route.receiver == "performance-team"
    assert len(shipped.receivers) == 11
    assert {"performance-team", "head-of-safeguarding", "risk-owners", "cotswolds-locality",
            "stroud-safeguarding-manager"} <= set(shipped.receivers)


def test_shipped_stroud_case_alert_goes_to_its_manager_then_the_head_of_service(shipped):
    """A high Stroud case_duration alert reaches only the Stroud manager and head of service."""
    routes = shipped.routes_for({"rule_type": "case_duration", "team": "Stroud Safeguarding",
                                 "severity": "high"})
    assert receivers(routes) == ["stroud-safeguarding-manager", "head-of-safeguarding"]
    assert [r.repeat_interval for r in routes] == [timedelta(weeks=1), timedelta(weeks=4)]
    assert [r.path for r in routes] == ["route.routes[4]", "route.routes[6]"]


def test_shipped_child_level_entitlement(shipped):
    """Only a team's own manager may see its children; the head of service sees counts only."""
    stroud = shipped.receiver("stroud-safeguarding-manager")
    head = shipped.receiver("head-of-safeguarding")
    assert stroud.may_see_children_of("Stroud Safeguarding") is True
    assert stroud.may_see_children_of("stroud safeguarding") is True
    assert stroud.may_see_children_of("Cotswolds Safeguarding") is False
    assert stroud.may_see_children_of(None) is False
    assert head.may_see_children_of("Stroud Safeguarding") is False
    assert head.may_see_children_of("Cotswolds Safeguarding") is False


def test_shipped_high_tolerance_alert_in_cotswolds(shipped):
    """High tolerance in Cotswolds: locality manager (digest), then performance team (each)."""
    routes = shipped.routes_for({"rule_type": "tolerance", "area": "Cotswolds",
                                 "severity": "high"})
    assert [(r.receiver, r.group) for r in routes] == [
        ("cotswolds-locality", Grouping.DIGEST), ("performance-team", Grouping.EACH)]


def test_shipped_medium_tolerance_alert_in_cotswolds_is_a_digest_for_both(shipped):
    """Medium tolerance in Cotswolds: locality, then performance team by the last route."""
    routes = shipped.routes_for({"rule_type": "tolerance", "area": "Cotswolds",
                                 "severity": "medium"})
    assert [(r.receiver, r.group, r.path) for r in routes] == [
        ("cotswolds-locality", Grouping.DIGEST, "route.routes[8]"),
        ("performance-team", Grouping.DIGEST, "route.routes[10]")]


# --- the route tree --------------------------------------------------------------------------


def test_root_receiver_takes_an_alert_no_child_matches(tmp_path):
    """With no matching child the root receiver gets the alert, with the default settings."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {team: A}
            receiver: a
    """)
    assert routing.routes_for({"team": "B"}) == [
        RouteSettings("root", Grouping.DIGEST, timedelta(days=7), True, {}, "route")]


def test_first_matching_child_wins(tmp_path):
    """Later matching siblings are not tried once a child without continue has matched."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {team: X}
            receiver: c
          - match: {team: A}
            receiver: a
          - match: {team: A}
            receiver: b
    """)
    routes = routing.routes_for({"team": "A"})
    assert receivers(routes) == ["a"]
    assert routes[0].path == "route.routes[1]"


def test_continue_passes_the_alert_to_the_next_matching_sibling(tmp_path):
    """continue: true lets the next matching sibling take the alert as well."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {team: A}
            receiver: a
            continue: true
          - match: {team: Z}
            receiver: c
          - match: {team: A}
            receiver: b
          - receiver: c
    """)
    assert receivers(routing.routes_for({"team": "A"})) == ["a", "b"]


def test_parent_does_not_take_an_alert_a_child_matched(tmp_path):
    """When a child matched (even with continue and no later match) the parent is not used."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {team: A}
            receiver: a
            continue: true
          - match: {team: B}
            receiver: b
    """)
    assert receivers(routing.routes_for({"team": "A"})) == ["a"]
    assert receivers(routing.routes_for({"team": "C"})) == ["root"]


def test_nested_routes_inherit_every_setting_from_their_parents(tmp_path):
    """A nested route without options takes receiver, group, repeat and resolved from above."""
    routing = tree(tmp_path, """\
        receiver: root
        group: each
        repeat_interval: 1d
        send_resolved: false
        routes:
          - match: {service_area: CP}
            templates: {subject: cp}
            routes:
              - match: {team: A}
    """)
    (route,) = routing.routes_for({"service_area": "CP", "team": "A"})
    assert route == RouteSettings("root", Grouping.EACH, timedelta(days=1), False,
                                  {"subject": "cp"}, "route.routes[0].routes[0]")


def test_nested_routes_can_override_each_setting(tmp_path):
    """A nested route overrides receiver, group, repeat and resolved; a middle route's pass down."""
    routing = tree(tmp_path, """\
        receiver: root
        group: each
        repeat_interval: 1d
        send_resolved: false
        routes:
          - match: {service_area: CP}
            receiver: a
            repeat_interval: 4h
            routes:
              - match: {team: A}
                receiver: b
                group: digest
                send_resolved: true
              - match: {team: B}
    """)
    assert routing.routes_for({"service_area": "CP", "team": "A"}) == [
        RouteSettings("b", Grouping.DIGEST, timedelta(hours=4), True, {},
                      "route.routes[0].routes[0]")]
    assert routing.routes_for({"service_area": "CP", "team": "B"}) == [
        RouteSettings("a", Grouping.EACH, timedelta(hours=4), False, {},
                      "route.routes[0].routes[1]")]
    assert routing.routes_for({"service_area": "CP", "team": "C"}) == [
        RouteSettings("a", Grouping.EACH, timedelta(hours=4), False, {}, "route.routes[0]")]


@pytest.mark.parametrize(("severity", "expected"), [
    ("info", "root"), ("low", "root"), ("medium", "root"), ("high", "a"), ("critical", "a"),
    (None, "root"), ("urgent", "root"),
])
def test_min_severity_high_matches_high_and_critical_only(tmp_path, severity, expected):
    """min_severity: high takes high and critical alerts; lower, unknown or no severity not."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - min_severity: high
            receiver: a
    """)
    labels = {"rule": "r"} if severity is None else {"rule": "r", "severity": severity}
    assert receivers(routing.routes_for(labels)) == [expected]


@pytest.mark.parametrize(("labels", "expected"), [
    ({"measure": "cin-visits-2", "area": "Cotswolds"}, "a"),
    ({"measure": "CIN-Visits-2", "area": "STROUD"}, "a"),
    ({"measure": "cin-visits-2", "area": "Gloucester"}, "root"),
    ({"measure": "cp-visits", "area": "Stroud"}, "root"),
    ({"measure": "cin-visits-2"}, "root"),
])
def test_match_values_are_case_insensitive_globs_and_lists_are_or(tmp_path, labels, expected):
    """match: measure glob AND area in a list, compared without regard to case."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {measure: "cin-*", area: [Cotswolds, Stroud]}
            receiver: a
    """)
    assert receivers(routing.routes_for(labels)) == [expected]


def test_a_label_absent_from_the_alert_does_not_match_even_a_star(tmp_path):
    """match: {locality: '*'} does not take an alert without a locality label."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {locality: "*"}
            receiver: a
    """)
    assert receivers(routing.routes_for({"area": "Cotswolds"})) == ["root"]
    assert receivers(routing.routes_for({"locality": "North"})) == ["a"]


def test_a_receiver_reached_twice_is_listed_once_with_the_first_route(tmp_path):
    """Two routes to the same receiver give one entry, the first route's settings."""
    routing = tree(tmp_path, """\
        receiver: root
        routes:
          - match: {team: A}
            receiver: a
            group: each
            continue: true
          - match: {severity: high}
            receiver: b
            continue: true
          - match: {team: A}
            receiver: a
            group: digest
    """)
    routes = routing.routes_for({"team": "A", "severity": "high"})
    assert [(r.receiver, r.group, r.path) for r in routes] == [
        ("a", Grouping.EACH, "route.routes[0]"), ("b", Grouping.DIGEST, "route.routes[1]")]


# --- problems in the file, with their lines --------------------------------------------------


def problems_of(tmp_path: Path, text: str) -> tuple[Path, tuple[Problem, ...]]:
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        load_routing(path)
    return path, caught.value.problems


def assert_problem(path: Path, problems: tuple[Problem, ...], line: int,
                   *fragments: str) -> None:
    """Some problem is on `line` of `path` and its message contains every fragment."""
    found = [p for p in problems if p.line == line and p.file == str(path)
             and all(f in p.message for f in fragments)]
    assert found, f"no problem at line {line} with {fragments}; got " + \
        repr([(p.line, p.message) for p in problems])


ONE_RECEIVER = "receivers:\n  - name: a\n    email: {to: [a@example.gov.uk]}\n"


def test_an_unknown_channel_key_is_reported_at_its_line(tmp_path):
    """A misspelt channel (emial:) is an unknown field or channel, at its own line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: b\n"
        "    title: B\n"
        "    emial:\n"
        "      to: [b@example.gov.uk]\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 6, "receiver 'b'", "unknown field or channel 'emial'",
                   "email, file, teams, webhook")


def test_an_empty_email_list_is_reported_at_the_to_line(tmp_path):
    """email: {to: []} is refused at the line of `to`."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: b\n"
        "    email:\n"
        "      to: []\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 6, "receiver 'b' email: to")
    assert len(problems) == 1


def test_a_teams_receiver_without_url_is_reported(tmp_path):
    """teams: without url names the url field at the teams line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: channel\n"
        "    teams:\n"
        "      format: adaptive\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 5, "receiver 'channel' teams: url is required")


def test_a_teams_url_that_is_not_http_is_reported_at_its_line(tmp_path):
    """teams url must be an http(s) URL, reported at the url line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: channel\n"
        "    teams:\n"
        "      url: ftp://example.gov.uk/hook\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 6, "receiver 'channel' teams: url", "http(s) URL")


def test_an_empty_channel_is_reported_at_its_own_line(tmp_path):
    """email: with nothing under it is reported at the email line, naming email."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: b\n"
        "    title: B\n"
        "    email:\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 6, "receiver 'b'", "email")
    assert not any("channels." in p.message for p in problems)


def test_a_receiver_without_a_channel_is_reported(tmp_path):
    """A receiver with only a name and title must give at least one channel."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: nobody\n"
        "    title: Nobody in particular\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 4, "receiver 'nobody'", "at least one channel")


def test_a_duplicate_receiver_name_is_reported_at_the_second(tmp_path):
    """Two receivers with the same name: a problem at the second entry's line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "  - name: a\n"
        "    email: {to: [other@example.gov.uk]}\n"
        "route:\n  receiver: a\n"))
    assert_problem(path, problems, 4, "receiver 'a' is defined twice")
    assert len(problems) == 1


def test_a_route_naming_an_undefined_receiver_is_reported_at_that_key(tmp_path):
    """route receiver: zz, with no receiver zz, is reported at the line of that receiver key."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "  routes:\n"
        "    - match: {team: A}\n"
        "      receiver: zz\n"))
    assert_problem(path, problems, 8, "route: receiver 'zz' is not defined under receivers")
    assert len(problems) == 1


def test_a_route_tree_without_a_top_receiver_is_refused(tmp_path):
    """The top route must name a receiver (it takes what nothing else takes)."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  group: digest\n"
        "  routes:\n"
        "    - receiver: a\n"))
    assert_problem(path, problems, 4, "route: receiver is required at the top of the tree")


def test_repeat_interval_in_m_is_refused_with_a_hint_about_min(tmp_path):
    """repeat_interval: 30m is refused (m is months in rules) and suggests 'min'."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "  routes:\n"
        "    - match: {team: A}\n"
        "      repeat_interval: 30m\n"))
    assert_problem(path, problems, 8, "route: routes[0].repeat_interval",
                   "(use 'min' for minutes)", "'30m'")


def test_an_unknown_route_field_is_reported_at_its_line(tmp_path):
    """A misspelt route option (contineu:) is an unknown field, at its line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "  routes:\n"
        "    - match: {team: A}\n"
        "      contineu: true\n"))
    assert_problem(path, problems, 8, "route: unknown field", "contineu")


def test_a_misspelt_continue_suggests_continue(tmp_path):
    """contineu: at the top route suggests 'continue', the key the file must use."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "  contineu: true\n"))
    assert_problem(path, problems, 6, "unknown field 'contineu'", "(did you mean 'continue'?)")


def test_an_unknown_top_level_key_is_reported(tmp_path):
    """A top-level key other than receivers and route is reported at its line."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "routes:\n"
        "  - receiver: a\n"))
    assert_problem(path, problems, 6,
                   "unknown field 'routes' (expected receivers, route, inhibit and time_intervals)")


def test_every_receiver_problem_is_reported_at_once(tmp_path):
    """Problems in several receivers and the route are all raised together, each at its line."""
    path, problems = problems_of(tmp_path, (
        "receivers:\n"                          # 1
        "  - name: a\n"                         # 2
        "    emial: {to: [a@example.gov.uk]}\n"  # 3
        "  - name: b\n"                         # 4
        "    teams: {}\n"                       # 5
        "route:\n"                              # 6
        "  receiver: c\n"))                     # 7
    assert sorted(p.line or 0 for p in problems) == [3, 5, 7]
    assert {p.file for p in problems} == {str(path)}


def test_a_route_error_does_not_hide_an_undefined_receiver(tmp_path):
    """A bad repeat_interval and an undefined receiver in the tree are both reported."""
    path, problems = problems_of(tmp_path, ONE_RECEIVER + (
        "route:\n"
        "  receiver: a\n"
        "  repeat_interval: 30m\n"
        "  routes:\n"
        "    - receiver: zz\n"))
    assert_problem(path, problems, 6, "repeat_interval")
    assert_problem(path, problems, 8, "'zz' is not defined")


# --- intervals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)),
    ("15min", timedelta(minutes=15)),
    ("4h", timedelta(hours=4)),
    ("1d", timedelta(days=1)),
    ("1w", timedelta(weeks=1)),
    ("1.5h", timedelta(minutes=90)),
    (" 2 d ", timedelta(days=2)),
])
def test_parse_interval_accepts_clock_intervals(text, expected):
    """parse_interval reads s, min, h, d and w, with decimals."""
    assert parse_interval(text) == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ("30m", "(use 'min' for minutes), got '30m'"),
    ("", "must be an interval like 30s, 15min, 4h, 1d or 1w, got ''"),
    ("soon", "must be an interval like 30s, 15min, 4h, 1d or 1w, got 'soon'"),
    (5, "must be an interval like 30s, 15min, 4h, 1d or 1w, got 5"),
    ("2y", "got '2y'"),
])
def test_parse_interval_refuses_other_forms(raw, fragment):
    """30m (months in rules), blanks, words and bare numbers are refused with the forms taken."""
    with pytest.raises(ValueError) as caught:
        parse_interval(raw)
    assert fragment in str(caught.value)


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """A service config using the shipped recipients file."""
    monkeypatch.delenv("CSC_ALERTING_DATABASE_URL", raising=False)
    path = tmp_path / "service.yaml"
    path.write_text(f"silences: {tmp_path / 'silences.yaml'}\n"
                    f"recipients: {RECIPIENTS}\n"
                    f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n", encoding="utf-8")
    return path


def test_cli_routes_test_shows_receivers_and_child_level_entitlement(config, capsys):
    """routes test: Stroud manager with child-level detail, head of service counts only."""
    assert main(["--config", str(config), "routes", "test", "--labels",
                 "rule_type=case_duration", "team=Stroud Safeguarding"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("stroud-safeguarding-manager (Team Manager, Stroud Safeguarding) "
                               "via email: digest, repeat every 1w, resolved notices on")
    assert "child-level detail" in lines[0]
    assert lines[0].endswith("[route.routes[4]]")
    assert lines[1].startswith("head-of-safeguarding (Head of Service, Safeguarding) via email: "
                               "digest, repeat every 4w")
    assert "counts only (not entitled to this team's children)" in lines[1]
    assert "child-level detail" not in lines[1]


def test_cli_routes_test_without_child_labels_prints_no_entitlement(config, capsys):
    """An alert that is not child-level shows routing without any detail note."""
    assert main(["--config", str(config), "routes", "test", "--labels", "rule_type=tolerance",
                 "area=Cotswolds", "severity=high"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["cotswolds-locality", "performance-team"]
    assert ": each, repeat every 1w" in lines[1]
    assert not any("child-level" in line or "counts only" in line for line in lines)


def test_cli_routes_test_label_without_equals_exits_2(config, capsys):
    """A label that is not key=value exits 2 and says so."""
    assert main(["--config", str(config), "routes", "test", "--labels", "rule_type"]) == 2
    assert "labels look like key=value, got 'rule_type'" in capsys.readouterr().err


def test_cli_routes_test_reports_a_broken_recipients_file(tmp_path, capsys, monkeypatch):
    """A recipients file with problems makes routes test print them with lines and exit 2."""
    monkeypatch.delenv("CSC_ALERTING_DATABASE_URL", raising=False)
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(ONE_RECEIVER + "route:\n  receiver: zz\n", encoding="utf-8")
    config = tmp_path / "service.yaml"
    config.write_text(f"recipients: {recipients}\n", encoding="utf-8")
    assert main(["--config", str(config), "routes", "test", "--labels", "rule=r"]) == 2
    assert f"{recipients}:5: route: receiver 'zz' is not defined" in capsys.readouterr().err


def test_webhook_urls_come_from_the_environment(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """${VAR} in the recipients file is replaced, so a Teams URL's signature stays out of it;
    an unset variable is an error at the line that uses it."""
    file = tmp_path / "recipients.yaml"
    file.write_text("receivers:\n"
                    "  - name: cp-channel\n"
                    "    teams:\n"
                    "      url: ${TEAMS_CP_WEBHOOK}\n"
                    "route:\n"
                    "  receiver: cp-channel\n")
    monkeypatch.setenv("TEAMS_CP_WEBHOOK", "https://example.webhook.office.com/x?sig=abc")
    routing = load_routing(file)
    assert routing.receiver("cp-channel").channels["teams"]["url"].endswith("sig=abc")
    monkeypatch.delenv("TEAMS_CP_WEBHOOK")
    with pytest.raises(ProblemsFound) as caught:
        load_routing(file)
    problem = caught.value.problems[0]
    assert (problem.line, problem.message) == (4, "environment variable TEAMS_CP_WEBHOOK is "
                                                  "not set")
