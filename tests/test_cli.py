"""The `alerting` command: exit codes, messages, and every command documented in the README."""

import re

from alerting.cli.main import build_parser, main
from alerting.store import migrate
from tests.conftest import ROOT


def test_validate_exits_1_listing_every_error(tmp_path, capsys):
    """validate prints each problem with file and line and exits 1."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: a\n    type: nope\n  - id: b\n    type: decline\n"
                   "    periods: x\n")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.count("bad.yaml:") == 2
    assert "2 error(s) in 1 file(s)" in out


def test_validate_ok_on_the_shipped_rules(monkeypatch, capsys):
    """The starter pack validates cleanly."""
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_load_reports_counts_and_rejections_and_still_loads_the_rest(tmp_path, capsys):
    """A bad row is listed with its line; the good rows are counted as loaded."""
    data = tmp_path / "obs.csv"
    data.write_text("measure_id,period,area,value,target\nm,Sep-21,Glos,69.5,85\n"
                    "m,Smarch-21,Glos,1,2\nm,Oct-21,Glos,lots,85\n")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["--database", url, "load", str(data)]) == 0
    out = capsys.readouterr().out
    assert "observations: 1 loaded (1 new" in out
    assert "obs.csv:3: period: 'Smarch-21' is not a period label" in out
    assert "obs.csv:4: value must be a number or a missing-value marker, got 'lots'" in out
    assert "total: 1 row(s) loaded, 2 rejected" in out


def test_load_of_a_missing_file_fails_clearly(tmp_path, capsys):
    """An unreadable source exits 1 and says which."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["--database", url, "load", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv: does not exist" in capsys.readouterr().err


def test_db_upgrade_reports_the_schema_revision(tmp_path, capsys):
    """db upgrade migrates an empty database to head."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["--database", url, "db", "upgrade"]) == 0
    assert re.search(rf"database schema: .* -> {migrate.head_revision()}", capsys.readouterr().out)


def test_bad_config_file_names_file_and_field(tmp_path, capsys):
    """A config error is reported with its line and the command exits 2."""
    config = tmp_path / "service.yaml"
    config.write_text("database_url: sqlite:///x.db\nrag_scheme: traffic_lights\n")
    assert main(["--config", str(config), "validate"]) == 2
    err = capsys.readouterr().err
    assert "service.yaml:2: setting: rag_scheme must be 'target_with_tolerance' or " \
           "'tolerance_band', got 'traffic_lights'" in err


def test_config_interpolates_environment_variables(tmp_path, monkeypatch):
    """${VAR} and ${VAR:-default} are replaced; an unset variable without default is an error."""
    import pytest

    from alerting.config.settings import load_settings
    from alerting.model.problems import ProblemsFound

    config = tmp_path / "service.yaml"
    config.write_text("database_url: ${DB_URL}\nauthority: ${LA:-Gloucestershire}\n")
    monkeypatch.setenv("DB_URL", "sqlite:///from-env.db")
    monkeypatch.delenv("CSC_ALERTING_DATABASE_URL", raising=False)
    settings = load_settings(config)
    assert (settings.database_url, settings.authority) == ("sqlite:///from-env.db",
                                                           "Gloucestershire")
    monkeypatch.delenv("DB_URL")
    with pytest.raises(ProblemsFound, match="environment variable DB_URL is not set"):
        load_settings(config)


def test_every_command_is_documented_in_the_readme():
    """Docs cannot drift: each CLI command appears in README.md as `alerting <command>`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in subparsers.choices:
        assert f"alerting {name}" in readme, f"README does not document 'alerting {name}'"
