"""Problems found in user-edited files, said in plain English with file, line and field.

Performance leads edit YAML by hand; every message here names where to look
(`rules/safeguarding.yaml:14: rule 'cp-over-2y': older_than must be ...`).
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

PathKey = tuple[str | int, ...]
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One error (or lint warning) in a file the users edit."""

    file: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class ProblemsFound(Exception):
    """Raised where a caller needs every problem at once (e.g. a broken config file)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file that remembers the line of every key and list item."""

    file: str
    data: Any
    lines: Mapping[PathKey, int]

    def line_of(self, path: PathKey) -> int | None:
        """The line of the deepest part of `path` the file has (the field, else its parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def display_path(path: Path) -> str:
    """A path as users would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> YamlDocument:
    """Parse a YAML file; a syntax error becomes ProblemsFound with its line."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemsFound([Problem(name, None, f"cannot be read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ProblemsFound([Problem(name, None, "is not UTF-8 text")]) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlDocument:
    # One pass: the node tree gives the lines, and the data is built from that same tree
    # (with libyaml's C parser where PyYAML has it).
    loader = _LOADER(text)
    node: yaml.Node | None = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "is not valid YAML"
        raise ProblemsFound([Problem(name, line, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ProblemsFound([Problem(name, None, f"YAML error: {exc}")]) from None
    except ValueError as exc:  # a date that does not exist, such as 2021-09-31
        date_line, bad_date = _impossible_date(node)
        wrong = f"{bad_date} is not a real date" if bad_date else "a date is not a real date"
        raise ProblemsFound([Problem(name, date_line, f"{wrong} ({exc})")]) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _index_lines(node, (), lines)
    return YamlDocument(file=name, data=data, lines=lines)


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _impossible_date(root: yaml.Node | None) -> tuple[int | None, str | None]:
    """The line and text of the first date-like scalar that is not a real date."""
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop(0)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _TIMESTAMP and not _is_date(str(node.value)):
                return node.start_mark.line + 1, str(node.value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending.extend((key, value))
    return None, None


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _index_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _index_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, index)
            lines[key] = item.start_mark.line + 1
            _index_lines(item, key, lines)


def _field_name(loc: Iterable[str | int]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "(entry)"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a known name is close to `name`, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _model_at(model: type[BaseModel] | None, path: Sequence[str | int]
              ) -> type[BaseModel] | None:
    """The model that holds the field at `path` (series[0] -> SeriesInput), found by
    following the fields' annotations; None where the path leaves the models."""
    current = model
    for part in path:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        current = next((arg for arg in _flat_args(annotation)
                        if isinstance(arg, type) and issubclass(arg, BaseModel)), None)
    return current


def _flat_args(annotation: Any) -> list[Any]:
    """The types inside an annotation: tuple[SeriesInput, ...] gives SeriesInput."""
    found = [annotation]
    for arg in typing.get_args(annotation):
        found.extend(_flat_args(arg))
    return found


def _plain(error: Mapping[str, Any], model: type[BaseModel] | None,
           nested_hints: bool = False) -> str:
    """One pydantic error in the words a performance lead would use. An unknown field gets
    a "did you mean" from its model: top-level fields always, nested ones (series[0].value)
    with `nested_hints`."""
    loc = tuple(error.get("loc", ()))
    field = _field_name(loc)
    kind = error.get("type", "")
    given = error.get("input")
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else field
        owner = _model_at(model, loc[:-1]) if nested_hints or len(loc) == 1 else None
        hint = ""
        if owner is not None:
            hint = did_you_mean(name, [f.alias or key for key, f in owner.model_fields.items()])
        return f"unknown field '{field}'{hint}"
    if kind == "string_pattern_mismatch":
        return (f"{field} must use only letters, digits, '.', '_' and '-' (no spaces), "
                f"got {given!r}")
    if kind == "string_too_short":
        return f"{field} must not be blank"
    message = str(error.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    if message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    elif message[:1].isupper():
        message = message[0].lower() + message[1:]
    if "got " not in message and given is not None and not isinstance(given, dict | list):
        message = f"{message}, got {given!r}"
    return f"{field} {message}"


def problems_from_validation(
    exc: ValidationError,
    document: YamlDocument,
    base: PathKey,
    subject: str,
    model: type[BaseModel] | None = None,
    *,
    nested_hints: bool = False,
) -> list[Problem]:
    """Turn a ValidationError on the entry at `base` into problems with lines."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error.get("loc", ()))
        line = document.line_of(base + loc)
        problems.append(Problem(document.file, line,
                                f"{subject}: {_plain(error, model, nested_hints)}"))
    return problems
