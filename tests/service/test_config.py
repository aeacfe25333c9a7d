"""config/service.yaml errors in plain words (file, line, field), `alerting config check`,
and the cron expressions the schedules are written in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerting.cli.main import main
from alerting.config.schedules import cron_trigger
from alerting.config.settings import load_settings
from alerting.model.calendar import england_and_wales
from alerting.model.problems import Problem, ProblemsFound
from tests.conftest import ROOT

LONDON = ZoneInfo("Europe/London")
SATURDAY = datetime(2024, 5, 4, 8, 0, tzinfo=LONDON)  # Saturday 4 May 2024, 08:00 BST


def problems_in(tmp_path: Path, text: str) -> list[Problem]:
    """The problems load_settings reports for a service.yaml holding `text`."""
    config = tmp_path / "service.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        load_settings(config)
    problems = list(raised.value.problems)
    assert problems, "ProblemsFound without problems"
    return problems


def only_problem(tmp_path: Path, text: str) -> Problem:
    problems = problems_in(tmp_path, text)
    assert len(problems) == 1, problems
    assert Path(problems[0].file).name == "service.yaml"
    return problems[0]


# --- malformed config: each error names the file, the line and the field ----------------


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    """A misspelt top-level key is named with its line and a 'did you mean'."""
    problem = only_problem(tmp_path, "database_url: sqlite:///x.db\n"
                                     "schedule:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * * mon-fri'\n")
    assert problem.line == 2
    assert "unknown field 'schedule'" in problem.message
    assert "did you mean 'schedules'?" in problem.message
    assert str(problem).startswith(f"{problem.file}:2: setting: unknown field")


def test_cron_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    """A four-field cron names the schedule's cron line and says how many fields it wants."""
    problem = only_problem(tmp_path, "authority: Glos\n"
                                     "schedules:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * *'\n")
    assert problem.line == 4
    assert "schedules[0].cron" in problem.message
    assert "5 fields" in problem.message
    assert "got 4" in problem.message


def test_cron_with_a_value_out_of_range(tmp_path: Path) -> None:
    """Hour 25 is refused on the cron line, quoting the bad value."""
    problem = only_problem(tmp_path, "schedules:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * * mon-fri'\n"
                                     "  - name: evening\n"
                                     "    cron: '0 25 * * *'\n")
    assert problem.line == 5
    assert "schedules[1].cron" in problem.message
    assert "25" in problem.message
    assert "maximum" in problem.message


def test_numeric_day_of_week_is_refused(tmp_path: Path) -> None:
    """`1-5` for weekdays is refused with a hint to write day names."""
    problem = only_problem(tmp_path, "schedules:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * * 1-5'\n")
    assert problem.line == 3
    assert "schedules[0].cron" in problem.message
    assert "day of week must use names like mon-fri" in problem.message
    assert "'1-5'" in problem.message


def test_schedule_naming_an_unknown_source(tmp_path: Path) -> None:
    """A schedule loading a source that is not defined names the schedule's sources line."""
    problem = only_problem(tmp_path, "sources:\n"
                                     "  - name: scorecard\n"
                                     "    path: examples\n"
                                     "schedules:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * * mon-fri'\n"
                                     "    sources: [scorecrd]\n")
    assert "morning" in problem.message
    assert "scorecrd" in problem.message
    assert "(sources: scorecard)" in problem.message
    assert "(entry)" not in problem.message
    assert problem.line == 7


def test_duplicate_source_names(tmp_path: Path) -> None:
    """A source name used twice is reported at the second use."""
    problem = only_problem(tmp_path, "sources:\n"
                                     "  - name: scorecard\n"
                                     "    path: a\n"
                                     "  - name: scorecard\n"
                                     "    path: b\n")
    assert "source name(s) used twice: scorecard" in problem.message
    assert "(entry)" not in problem.message
    assert problem.line == 4


def test_duplicate_schedule_names(tmp_path: Path) -> None:
    """A schedule name used twice is reported at the second use."""
    problem = only_problem(tmp_path, "schedules:\n"
                                     "  - name: morning\n"
                                     "    cron: '0 7 * * mon-fri'\n"
                                     "  - name: morning\n"
                                     "    cron: '0 8 * * sat'\n")
    assert "schedule name(s) used twice: morning" in problem.message
    assert "(entry)" not in problem.message
    assert problem.line == 4


def test_duplicate_names_are_at_least_reported_with_the_file(tmp_path: Path) -> None:
    """Until they carry their own line, repeated names and unknown sources are still errors."""
    for text, words in [
        ("sources:\n  - name: a\n    path: x\n  - name: a\n    path: y\n",
         "source name(s) used twice: a"),
        ("schedules:\n  - name: m\n    cron: '0 7 * * *'\n  - name: m\n    cron: '0 8 * * *'\n",
         "schedule name(s) used twice: m"),
        ("sources:\n  - name: a\n    path: x\nschedules:\n  - name: m\n    cron: '0 7 * * *'\n"
         "    sources: [b]\n", "schedule 'm' names unknown source(s) b"),
    ]:
        problem = only_problem(tmp_path, text)
        assert words in problem.message


@pytest.mark.parametrize("source", [
    "  - name: cases\n    path: examples/cases\n    sql:\n      url: sqlite://\n"
    "      query: select 1\n",
    "  - name: cases\n    refresh: 3d\n",
], ids=["both path and sql", "neither"])
def test_source_needs_exactly_one_of_path_or_sql(tmp_path: Path, source: str) -> None:
    """A source with both path and sql, or neither, is named at its own entry."""
    problem = only_problem(tmp_path, "authority: Glos\nsources:\n" + source)
    assert problem.line == 3
    assert "sources[0]" in problem.message
    assert "give exactly one of path" in problem.message
    assert "sql" in problem.message


def test_unknown_time_zone(tmp_path: Path) -> None:
    """A misspelt time zone is named on its line, with an example of a good one."""
    problem = only_problem(tmp_path, "authority: Glos\ntimezone: Europe/Londres\n")
    assert problem.line == 2
    assert "timezone" in problem.message
    assert "unknown time zone 'Europe/Londres'" in problem.message
    assert "Europe/London" in problem.message


def test_interval_in_m_hints_min(tmp_path: Path) -> None:
    """`5m` (months in rule files) is refused for an interval, with a hint to write `5min`."""
    problem = only_problem(tmp_path, "authority: Glos\n"
                                     "worker:\n"
                                     "  misfire_grace_time: 1h\n"
                                     "  dispatch_every: 5m\n")
    assert problem.line == 4
    assert "worker.dispatch_every" in problem.message
    assert "use 'min' for minutes" in problem.message
    assert "'5m'" in problem.message


# --- the working-day calendar: bank holidays and the council's closure days ---------------


def test_calendar_closures_as_days_ranges_and_reasons(tmp_path: Path) -> None:
    """A bare date, {date, reason} and {from, to, reason} (both ends included)."""
    config = tmp_path / "service.yaml"
    config.write_text("calendar:\n"
                      "  bank_holidays: england_and_wales\n"
                      "  closures:\n"
                      "    - 2024-03-04\n"
                      "    - {date: '2024-04-22', reason: staff training day}\n"
                      "    - {from: 2024-12-24, to: 2025-01-01, reason: Christmas shutdown}\n",
                      encoding="utf-8")
    calendar = load_settings(config).calendar.working_calendar()
    assert [(c.first, c.last, c.reason) for c in calendar.closures] == [
        (date(2024, 3, 4), date(2024, 3, 4), ""),
        (date(2024, 4, 22), date(2024, 4, 22), "staff training day"),
        (date(2024, 12, 24), date(2025, 1, 1), "Christmas shutdown")]
    assert calendar.add_working_days(date(2024, 12, 23), 1) == date(2025, 1, 2)
    assert calendar.add_working_days(date(2024, 3, 1), 1) == date(2024, 3, 5)
    assert calendar.day_off_reason(date(2024, 4, 22)) == "staff training day"


def test_calendar_defaults_to_england_and_wales_bank_holidays(tmp_path: Path) -> None:
    """No calendar section (or `closures:` left empty): bank holidays only."""
    config = tmp_path / "service.yaml"
    config.write_text("authority: Glos\ncalendar:\n  closures:\n", encoding="utf-8")
    calendar = load_settings(config).calendar.working_calendar()
    assert calendar == england_and_wales()
    assert not calendar.is_working_day(date(2022, 9, 19))
    none = tmp_path / "none.yaml"
    none.write_text("calendar:\n  bank_holidays: none\n", encoding="utf-8")
    assert load_settings(none).calendar.working_calendar().is_working_day(date(2022, 9, 19))


def test_the_shipped_config_has_the_christmas_shutdown() -> None:
    """config/service.yaml's example closure loads and shuts 24 Dec 2024 - 1 Jan 2025."""
    calendar = load_settings(ROOT / "config" / "service.yaml").calendar.working_calendar()
    assert calendar.day_off_reason(date(2024, 12, 27)) == "Christmas shutdown"
    assert calendar.is_working_day(date(2025, 1, 2))


@pytest.mark.parametrize(("closures", "line", "expected"), [
    ("    - 2024-12-32\n", 4, "2024-12-32 is not a real date"),
    ("    - {from: 2024-12-24}\n", 4,
     "setting: calendar.closures[0] needs date (one day), or both from and to (a range)"),
    ("    - 2024-03-04\n    - {from: 2024-12-24, to: 2024-12-20, reason: Christmas}\n", 5,
     "setting: calendar.closures[1] ends (to: 2024-12-20) before it starts "
     "(from: 2024-12-24)"),
    ("    - {date: 2024-03-04, from: 2024-03-01, to: 2024-03-05}\n", 4,
     "setting: calendar.closures[0] give either date (one day) or from and to (a range), "
     "not both"),
    ("    - {from: 2024-12-24, to: soon}\n", 4,
     "setting: calendar.closures[0].to must be a date like 2024-12-27, got 'soon'"),
    ("    - 20241224\n", 4,
     "setting: calendar.closures[0] must be a date like 2024-12-27, or {date: ..., reason: "
     "...}, or {from: ..., to: ..., reason: ...}, got 20241224"),
    ("    - {from: 2024-12-24, until: 2025-01-01}\n", 4,
     "setting: unknown field 'calendar.closures[0].until'"),
])
def test_bad_closures_are_named_by_file_line_and_field(tmp_path: Path, closures: str,
                                                       line: int, expected: str) -> None:
    """A closure that is not a date or range is reported on its own line, with its field."""
    problem = only_problem(tmp_path, "calendar:\n  bank_holidays: england_and_wales\n"
                                     "  closures:\n" + closures)
    assert problem.line == line
    assert expected in problem.message, problem.message


def test_unknown_bank_holidays_are_refused(tmp_path: Path) -> None:
    """bank_holidays takes england_and_wales or none."""
    problem = only_problem(tmp_path, "calendar:\n  bank_holidays: scotland\n")
    assert problem.line == 2
    assert problem.message == ("setting: calendar.bank_holidays must be 'england_and_wales' "
                               "or 'none', got 'scotland'")


def test_missing_environment_variable_names_it_and_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset ${VAR} without a default names the variable and the line that uses it."""
    monkeypatch.delenv("CSC_TEST_CASE_SYSTEM_DB", raising=False)
    problem = only_problem(tmp_path, "authority: Glos\n"
                                     "sources:\n"
                                     "  - name: scorecard\n"
                                     "    path: examples\n"
                                     "  - name: cin-census\n"
                                     "    sql:\n"
                                     "      url: ${CSC_TEST_CASE_SYSTEM_DB}\n"
                                     "      query: select 1\n")
    assert problem.line == 7
    assert "sources[1].sql.url" in problem.message
    assert "environment variable CSC_TEST_CASE_SYSTEM_DB is not set" in problem.message
    assert "${CSC_TEST_CASE_SYSTEM_DB:-default}" in problem.message


def test_default_is_used_when_the_variable_is_unset(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """${VAR:-default} gives the default when unset, and the variable's value when set."""
    monkeypatch.delenv("CSC_TEST_AUTHORITY", raising=False)
    monkeypatch.delenv("CSC_TEST_DATA", raising=False)
    config = tmp_path / "service.yaml"
    config.write_text("authority: ${CSC_TEST_AUTHORITY:-Gloucestershire}\n"
                      "sources:\n"
                      "  - name: cases\n"
                      "    path: ${CSC_TEST_DATA:-examples}/cases\n", encoding="utf-8")
    settings = load_settings(config)
    assert settings.authority == "Gloucestershire"
    assert settings.source("cases").path == "examples/cases"
    monkeypatch.setenv("CSC_TEST_DATA", "/srv/extracts")
    assert load_settings(config).source("cases").path == "/srv/extracts/cases"


def test_empty_variable_means_no_redirect(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """CSC_ALERTING_NOTICES_FOLDER set to "" turns the shipped redirect off (set beats default)."""
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", "")
    settings = load_settings(ROOT / "config" / "service.yaml")
    assert not settings.redirect_to_folder
    monkeypatch.delenv("CSC_ALERTING_NOTICES_FOLDER")
    assert load_settings(ROOT / "config" / "service.yaml").redirect_to_folder == "var/notices"


# --- alerting config check ---------------------------------------------------------------


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory holding a copy of the shipped config, rules and examples."""
    work = tmp_path / "work"
    for part in ("config", "rules", "examples"):
        shutil.copytree(ROOT / part, work / part)
    monkeypatch.chdir(work)
    for name in ("CSC_ALERTING_DATABASE_URL", "CSC_ALERTING_NOTICES_FOLDER", "CSC_ALERTING_DATA",
                 "SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    yield work


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_config_check_passes_on_the_shipped_config(
        shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped config checks clean and shows each schedule's next run."""
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "schedule 'child-checks' (0 7 * * mon-fri): next run " in out
    assert "schedule 'scorecard' (0 6 5 * *): next run " in out
    child_checks = next(line for line in out.splitlines() if "'child-checks'" in line)
    assert child_checks.split("next run ")[1][:3] in {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert " 07:00:00 " in child_checks
    assert "OK: config, " in out
    assert "2 schedule(s)" in out
    assert ("working days: Monday to Friday less England and Wales bank holidays; closures: "
            "Christmas shutdown 2024-12-24 to 2025-01-01 (7 weekdays)") in out


def test_config_check_refuses_an_admin_who_is_not_a_receiver(
        shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """operations.admin naming no receiver in the recipients file is an error, named."""
    replace_in(shipped / "config" / "service.yaml", "admin: service-admin",
               "admin: it-service-desk")
    assert main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert "operations.admin: receiver 'it-service-desk' is not defined in " \
           "config/recipients.yaml" in out
    assert "1 error(s)" in out
    assert "OK:" not in out


def test_config_check_reports_a_broken_rule_file_with_its_line(
        shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rule file with an unknown rule type fails the check, naming file and line."""
    (shipped / "rules" / "broken.yaml").write_text(
        "rules:\n  - id: cp-review\n    type: case_durration\n", encoding="utf-8")
    assert main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert "rules/broken.yaml:3: rule 'cp-review': type must be one of" in out
    assert "'case_durration'" in out


def test_config_check_on_a_broken_config_exits_1_not_2(
        shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config that cannot be loaded fails `config check` with 1 (2 is for usage errors)."""
    replace_in(shipped / "config" / "service.yaml", "dispatch_every: 1min",
               "dispatch_every: 1m")
    assert main(["config", "check"]) == 1
    captured = capsys.readouterr()
    assert "config/service.yaml:" in captured.err
    assert "worker.dispatch_every" in captured.err
    assert "use 'min' for minutes" in captured.err


# --- cron expressions ----------------------------------------------------------------------


def test_five_fields_fire_at_second_zero() -> None:
    """A crontab-style expression fires on the minute, never at the current second."""
    trigger = cron_trigger("*/15 * * * *", LONDON)
    after = datetime(2024, 5, 6, 10, 7, 23, tzinfo=LONDON)
    assert trigger.get_next_fire_time(None, after) == datetime(2024, 5, 6, 10, 15, 0,
                                                               tzinfo=LONDON)


def test_six_fields_put_seconds_first() -> None:
    """With six fields the first is seconds (for trying a schedule out)."""
    trigger = cron_trigger("*/20 * * * * *", LONDON)
    after = datetime(2024, 5, 6, 10, 7, 23, tzinfo=LONDON)
    fire = trigger.get_next_fire_time(None, after)
    assert fire == datetime(2024, 5, 6, 10, 7, 40, tzinfo=LONDON)
    assert trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1)) == \
        datetime(2024, 5, 6, 10, 8, 0, tzinfo=LONDON)


def test_mon_fri_skips_the_weekend() -> None:
    """From a Saturday morning, `mon-fri` next fires on Monday, at 07:00 London time."""
    trigger = cron_trigger("0 7 * * mon-fri", LONDON)
    fire = trigger.get_next_fire_time(None, SATURDAY)
    assert fire == datetime(2024, 5, 6, 7, 0, tzinfo=LONDON)
    assert fire.strftime("%a %H:%M %Z") == "Mon 07:00 BST"


@pytest.mark.parametrize("expression", ["0 7 * * 1-5", "0 7 * * 0", "0 7 * * mon,5",
                                        "0 7 * * sat-7", "0 0 7 * * 1"])
def test_numeric_days_of_week_are_refused(expression: str) -> None:
    """A number anywhere in the day of week is refused (crontab and APScheduler differ)."""
    with pytest.raises(ValueError, match="day of week must use names"):
        cron_trigger(expression, LONDON)


def fire_days(expression: str, count: int = 5) -> list[str]:
    trigger = cron_trigger(expression, LONDON)
    days, after = [], SATURDAY
    for _ in range(count):
        fire = trigger.get_next_fire_time(None, after)
        days.append(fire.strftime("%a"))
        after = fire + timedelta(seconds=1)
    return days


def test_step_on_named_weekdays_is_not_dropped() -> None:
    """`mon-fri/2` runs Monday, Wednesday and Friday as in crontab, or is refused."""
    try:
        days = fire_days("0 7 * * mon-fri/2")
    except ValueError:
        return
    assert days == ["Mon", "Wed", "Fri", "Mon", "Wed"]


def test_step_over_every_weekday_is_not_silently_shifted() -> None:
    """`*/2` in day of week runs crontab's days (Sun, Tue, Thu, Sat), or is refused."""
    try:
        days = fire_days("0 7 * * */2")
    except ValueError:
        return
    assert days == ["Sun", "Tue", "Thu", "Sat", "Sun"]


def test_colon_dash_default_also_replaces_an_empty_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the shell: ${X:-d} is d when X is unset or empty; ${X-d} only when unset."""
    file = tmp_path / "service.yaml"
    file.write_text("authority: ${AUTH_NAME:-Testshire}\nlink: ${LINK_URL-https://a.example}\n")
    monkeypatch.setenv("AUTH_NAME", "")
    monkeypatch.setenv("LINK_URL", "")
    settings = load_settings(file)
    assert (settings.authority, settings.link) == ("Testshire", "")
