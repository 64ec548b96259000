"""Every bad YAML input gets one message naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from grader.assignment.spec import LimitsSpec
from grader.errors import ConfigError
from grader.sandbox import limits
from grader.specfile import Spec, load_spec


class Limits(Spec):
    timeout: float = 30
    memory: str = "2 GiB"


class Criterion(Spec):
    id: str
    points: float = Field(ge=0)
    checks: list[str] = []


class Rubric(Spec):
    title: str
    limits: Limits = Limits()
    criteria: list[Criterion]


RUBRIC = """\
title: TP
criteria:
  - id: a
    points: 2
  - id: b
    points: 3
  - id: c
    points: six
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RUBRIC, 'r.yaml:8: criteria[2].points: expected a number, got "six"'),
        (
            "title: TP\ncriteria: []\nlimits:\n  timout: 3\n",
            "r.yaml:4: limits: unknown key 'timout' (did you mean 'timeout'?)",
        ),
        ("titel: TP\ncriteria: []\n", "r.yaml:1: unknown key 'titel' (did you mean 'title'?)"),
        (
            "title: TP\ncriteria:\n  - id: a\n",
            "r.yaml:3: criteria[0].points: required, but missing",
        ),
        (
            "title: TP\ncriteria:\n  - id: a\n    points: -1\n",
            "r.yaml:4: criteria[0].points: must be greater than or equal to 0, got -1",
        ),
        ("title: [TP\n", "r.yaml:2: invalid YAML"),
        ("", "r.yaml: the file is empty"),
        ("- a\n", "r.yaml:1: expected a mapping of keys to values at the top level"),
    ],
)
def test_error_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_spec(Rubric, "r.yaml")
    assert str(info.value).startswith(expected)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_spec(Rubric, tmp_path / "nope.yaml")


def test_valid_file_and_later_errors_point_at_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RUBRIC.replace("six", "6"))
    loaded = load_spec(Rubric, path)
    assert loaded.spec.criteria[2].points == 6
    error = loaded.error(("criteria", 1, "id"), "no such criterion")
    assert error.line == 5 and error.field == "criteria[1].id"


def test_an_assignment_without_limits_gets_the_sandbox_defaults() -> None:
    """One source of limit defaults: the YAML's are Limits'."""
    assert LimitsSpec().to_limits() == limits.Limits()
    assert LimitsSpec(memory="1 GiB").to_limits().memory_bytes == 1024**3
