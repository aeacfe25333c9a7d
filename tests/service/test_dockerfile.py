"""The Dockerfile, checked without a Docker engine: its instructions are read as Docker reads
them, and its ENTRYPOINT, CMD and HEALTHCHECK are run as the container would run them, in a
working folder laid out like the image's."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "examples" / "docker-compose.yml"
WORKDIR = "/srv/csc-alerting"
WORKER_NAME = "docker-test-worker"
# Generous: these bound a hang, they do not measure speed.
COMMAND_TIMEOUT = 120.0
WORKER_START_TIMEOUT = 180.0
WORKER_STOP_TIMEOUT = 120.0


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, as Docker reads them: comment lines dropped (also inside a
    continued instruction), a trailing backslash joining the next line."""
    instructions: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        keyword, _, arguments = " ".join(p for p in parts if p).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        parts = []
    assert not parts, "the Dockerfile ends inside a continued instruction"
    return instructions


def exec_form(arguments: str) -> list[str]:
    """The JSON-array (exec) form's arguments; fails on the shell form."""
    assert arguments.startswith("["), f"not exec form (a JSON array): {arguments}"
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


@dataclass(frozen=True)
class Image:
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"no {keyword} in the Dockerfile"
        return found[-1]

    def entrypoint_and_cmd(self) -> list[str]:
        return exec_form(self.last("ENTRYPOINT").arguments) + exec_form(self.last("CMD").arguments)

    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        match = re.fullmatch(r"((?:--[a-z-]+=\S+\s+)*)CMD\s+(.+)",
                             self.last("HEALTHCHECK").arguments, flags=re.DOTALL)
        assert match, "HEALTHCHECK must be `HEALTHCHECK [--option=value ...] CMD [...]`"
        options = dict(o[2:].split("=", 1) for o in match.group(1).split())
        return options, exec_form(match.group(2))

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in instruction.arguments.split():
                name, equals, value = pair.partition("=")
                assert equals, f"ENV {pair}: use the NAME=value form"
                values[name] = value.strip('"')
        return values

    def volumes(self) -> set[str]:
        found: set[str] = set()
        for instruction in self.all("VOLUME"):
            arguments = instruction.arguments
            found.update(exec_form(arguments) if arguments.startswith("[") else arguments.split())
        return found

    def copy_sources(self) -> list[str]:
        sources: list[str] = []
        for instruction in self.all("COPY") + self.all("ADD"):
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            assert len(words) >= 2, f"line {instruction.line}: COPY needs a source and a target"
            sources.extend(words[:-1])
        return sources


@pytest.fixture(scope="module")
def image() -> Image:
    return Image(parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8")))


def test_parser_joins_continuations_and_skips_comments() -> None:
    """A backslash continues an instruction, even across a comment line inside it."""
    parsed = parse_dockerfile("# top\nFROM x\nRUN a \\\n  # inside\n  && b\n\nCMD [\"c\"]\n")
    assert [(i.keyword, i.arguments, i.line) for i in parsed] == [
        ("FROM", "x", 2), ("RUN", "a && b", 3), ("CMD", '["c"]', 7)]


def test_base_is_slim_python(image: Image) -> None:
    """The image starts from a slim Python 3.12 base."""
    base = image.all("FROM")[0].arguments.split()[0]
    assert re.fullmatch(r"python:3\.12-slim(-\w+)?", base), base


def test_runs_as_a_non_root_user_from_before_the_entrypoint(image: Image) -> None:
    """The last USER is not root and is set before ENTRYPOINT, so the worker never runs as root."""
    user = image.last("USER")
    assert user.arguments.split(":")[0] not in {"root", "0"}
    assert user.line < image.last("ENTRYPOINT").line


def test_entrypoint_runs_the_worker(image: Image) -> None:
    """`docker run IMAGE` runs `alerting worker`; `docker run IMAGE runs` runs `alerting runs`."""
    assert exec_form(image.last("ENTRYPOINT").arguments) == ["alerting"]
    assert exec_form(image.last("CMD").arguments) == ["worker"]
    assert image.last("STOPSIGNAL").arguments == "SIGTERM"
    assert image.env().get("PYTHONUNBUFFERED") == "1"


def test_healthcheck_is_alerting_status(image: Image) -> None:
    """The health check is `alerting status` (exit 0 healthy, 1 unhealthy), quiet when healthy."""
    options, command = image.healthcheck()
    assert command[:2] == ["alerting", "status"]
    assert "--quiet" in command
    assert {"interval", "timeout", "start-period", "retries"} <= set(options)


def test_volumes_cover_config_rules_data_and_var(image: Image) -> None:
    """What a council changes or keeps (config, rules, data, the SQLite file) is a volume."""
    assert {f"{WORKDIR}/{name}" for name in ("config", "rules", "data", "var")} <= image.volumes()
    assert image.last("WORKDIR").arguments == WORKDIR


def test_the_bundled_examples_are_the_default_data(image: Image) -> None:
    """CSC_ALERTING_DATA is left unset in the image, so the shipped config reads examples/."""
    assert "CSC_ALERTING_DATA" not in image.env()
    assert "examples" in {Path(s).parts[0] for s in image.copy_sources()}


def _ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "exceptions are not handled here"
    return [p.lstrip("/").rstrip("/") for p in patterns]


def _ignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves this path (or a folder above it) out of the build."""
    parts = Path(relative).parts
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase("/".join(parts[k:n]), tail)
                   for n in range(1, len(parts) + 1) for k in range(n)):
                return True
        elif any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            return True
    return False


def test_every_copied_path_exists_and_is_sent_to_the_build(image: Image) -> None:
    """Each COPY source exists, and .dockerignore keeps neither it nor the code, rules,
    templates, migrations and data inside it out of the build context."""
    patterns = _ignore_patterns()
    wanted = {".py", ".yaml", ".csv", ".xlsx", ".j2", ".mako", ".toml", ".md", ".typed"}
    intentionally_left_out = {"examples/docker-compose.yml"}
    for source in image.copy_sources():
        path = ROOT / source
        assert path.exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source.rstrip("/"), patterns), f"COPY {source}: in .dockerignore"
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if (file.suffix in wanted and "__pycache__" not in file.parts
                    and relative not in intentionally_left_out):
                assert not _ignored(relative, patterns), f"{relative} is in .dockerignore"
    for left_out in (".venv", ".git", "var", "tests", "examples/.env"):
        assert _ignored(left_out, patterns), f"{left_out} would be sent to the build"


def test_compose_example_runs_two_named_workers_on_postgresql(image: Image) -> None:
    """examples/docker-compose.yml: PostgreSQL 16 with a health check; two workers with their
    own names that wait for it, get a minute to stop, and mount existing host paths onto the
    image's volumes."""
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    names = set()
    for name in ("worker-a", "worker-b"):
        worker = services[name]
        assert worker["build"] == ".."
        assert worker["depends_on"]["db"]["condition"] == "service_healthy"
        assert worker["stop_grace_period"] == "60s"
        assert worker["restart"] == "unless-stopped"
        env = worker["environment"]
        assert env["CSC_ALERTING_DATABASE_URL"].startswith("postgresql+psycopg://alerting:")
        names.add(env["CSC_ALERTING_WORKER_NAME"])
        mounts = {}  # container path -> host folder or named volume
        for mount in worker["volumes"]:
            source, target = mount.split(":")[:2]
            mounts[target] = source
        assert set(mounts) == {f"{WORKDIR}/{v}" for v in ("config", "rules", "data", "var")}
        assert set(mounts) <= image.volumes()
        assert env["CSC_ALERTING_DATA"] == f"{WORKDIR}/data"
        for source in mounts.values():
            if source.startswith("."):
                assert (COMPOSE.parent / source).is_dir(), source
            else:
                assert source in compose["volumes"], f"{source} is not a declared volume"
    assert len(names) == 2, "each worker needs its own CSC_ALERTING_WORKER_NAME"


# --- the container's commands, run outside Docker -------------------------------------------


def _resolve(command: list[str]) -> list[str]:
    """`alerting` is the console script installed beside this interpreter."""
    script = Path(sys.executable).parent / command[0]
    assert script.exists(), f"{command[0]} is not installed beside {sys.executable}"
    return [str(script), *command[1:]]


@dataclass
class Container:
    """A folder laid out like the image's working directory, and the container's environment."""

    workdir: Path
    env: dict[str, str]
    entrypoint_and_cmd: list[str]
    healthcheck: list[str]

    def check_health(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.healthcheck, cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              check=False)

    def alerting(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.entrypoint_and_cmd[0], *args], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, check=False)


def _fast_config(shipped: Path) -> dict[str, Any]:
    """The shipped config with a worker that beats every second and a job every 2 s."""
    config: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    config["worker"] = {**config.get("worker", {}), "dispatch_every": "1s",
                        "check_every": "2s", "heartbeat_max_age": "5s"}
    job = dict(config["schedules"][0])
    job.update(cron="*/2 * * * * *", as_of="2021-09-30")
    config["schedules"] = [job]
    return config


@pytest.fixture
def container(image: Image, tmp_path: Path) -> Container:
    workdir = tmp_path / "srv"
    workdir.mkdir()
    for folder in ("config", "rules", "examples"):
        shutil.copytree(ROOT / folder, workdir / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "var"))
    (workdir / "config" / "service.yaml").write_text(
        yaml.safe_dump(_fast_config(ROOT / "config" / "service.yaml"), sort_keys=False),
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_ALERTING_")}
    env.update(image.env())
    env.update(CSC_ALERTING_WORKER_NAME=WORKER_NAME,
               CSC_ALERTING_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'alerting.sqlite3'}",
               CSC_ALERTING_NOTICES_FOLDER=str(tmp_path / "notices"),
               PYTHONFAULTHANDLER="1")  # a hung worker can be made to show its stacks
    _options, healthcheck = image.healthcheck()
    return Container(workdir, env, _resolve(image.entrypoint_and_cmd()), _resolve(healthcheck))


@pytest.fixture
def worker(container: Container, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """The container's main process (`alerting worker`), its JSON log in a file."""
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(container.entrypoint_and_cmd, cwd=container.workdir,
                                   env=container.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process, log_path
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=COMMAND_TIMEOUT)


def _wait_for(condition: Callable[[], bool], timeout: float, what: str,
              alive: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if alive.poll() is not None:
            pytest.fail(f"the worker exited ({alive.returncode}) while waiting for {what}:\n"
                        f"{_tail(log_path)}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}:\n{_tail(log_path)}")
        time.sleep(0.5)


def _tail(log_path: Path, lines: int = 30) -> str:
    return "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def test_worker_becomes_healthy_and_stops_cleanly_on_sigterm(
        container: Container, worker: tuple[subprocess.Popen[bytes], Path]) -> None:
    """The container runs its scheduled job on the bundled examples, passes its health check,
    exits 0 on SIGTERM, and is then reported unhealthy (its worker stopped)."""
    process, log_path = worker
    job = yaml.safe_load((container.workdir / "config" / "service.yaml").read_text())[
        "schedules"][0]["name"]

    def scheduled_run_finished() -> bool:
        listed = container.alerting("runs", "--job", job, "--format", "json")
        runs = json.loads(listed.stdout) if listed.returncode == 0 else []
        return any(r["ended_at"] and r["trigger"] == "schedule" for r in runs)

    _wait_for(scheduled_run_finished, WORKER_START_TIMEOUT, f"a scheduled '{job}' run",
              process, log_path)
    runs = json.loads(container.alerting("runs", "--job", job, "--format", "json").stdout)
    first = next(r for r in reversed(runs) if r["ended_at"])
    assert first["outcome"] in {"ok", "degraded"}, first
    assert first["as_of"] == "2021-09-30"
    assert first["worker"] == WORKER_NAME
    assert first["rows_loaded"] > 0, f"the bundled examples were not loaded by default: {first}"

    _wait_for(lambda: container.check_health().returncode == 0, WORKER_START_TIMEOUT,
              "the health check to pass", process, log_path)

    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack
        process.wait(timeout=COMMAND_TIMEOUT)
        pytest.fail(f"the worker did not stop after SIGTERM:\n{_tail(log_path, 200)}")
    assert code == 0, _tail(log_path)
    events = [json.loads(line)["event"] for line in log_path.read_text().splitlines()
              if line.startswith("{")]
    assert "worker_stopped" in events

    health = container.check_health()
    assert health.returncode == 1, health.stdout + health.stderr
    assert "UNHEALTHY" in health.stdout
    assert f"worker '{WORKER_NAME}' stopped" in health.stdout


@pytest.mark.parametrize("broken", [
    "database_url: [unclosed\n",
    "no_such_setting: 1\n",
    "database_url: ${CSC_ALERTING_TEST_NEVER_SET}\n",
], ids=["yaml-syntax", "unknown-setting", "unset-variable"])
def test_healthcheck_answers_1_when_the_config_is_broken(container: Container,
                                                        broken: str) -> None:
    """A broken config makes the health check exit 1 (Docker reserves 2) and say why."""
    (container.workdir / "config" / "service.yaml").write_text(broken, encoding="utf-8")
    health = container.check_health()
    assert health.returncode == 1, health.stdout + health.stderr
    assert "UNHEALTHY" in health.stdout
    assert "config/service.yaml" in health.stdout


def test_healthcheck_answers_1_when_postgresql_is_unreachable(container: Container) -> None:
    """Nothing listening on the database port: exit 1 (not 2, not a traceback)."""
    container.env["CSC_ALERTING_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:1/x"
    health = container.check_health()
    assert health.returncode == 1, health.stdout + health.stderr
    assert "UNHEALTHY: the database cannot be read" in health.stdout
    assert "Traceback" not in health.stderr


def test_healthcheck_answers_1_before_the_worker_has_created_the_database(
        container: Container) -> None:
    """Before the worker's first start there is no schema yet: unhealthy, exit 1."""
    health = container.check_health()
    assert health.returncode == 1, health.stdout + health.stderr
    assert "UNHEALTHY" in health.stdout
