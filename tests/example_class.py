"""An assignment's example class, and the tests every one of them passes.

Each assignment ships example submissions (examples/submissions/<assignment>/), each with its
mistakes. What grading must say of them is data, in tests/example_classes/<assignment>.yaml:

- `scores`: each student's score; `criteria` (optional): the points of some criteria;
- `told` (optional): rows `[student, check, outcome, part of its message]`;
- `not_passed` (optional): exactly the checks a student does not pass;
- `validate`: the automatic points `grader validate` finds and the criteria marked by hand;
- `jobs` (default 2), `graded_within_s` (optional: each notebook's execution is shorter),
  `self_check` (optional): `measured`, the checks whose messages quote what the student's code
  timed, or `skip`, why `verifier()` is not compared with grading here.

A test module of an assignment subclasses `ExampleClassTests` and sets `EXAMPLE_CLASS` to its
name; its own tests read the graded class from the `example_class` fixture (tests/conftest.py).
The class is graded once per module, `grader validate` beside it, with a fixed seed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

import grader
from grader.checks.runner import run_checks
from grader.scoring.score import score_rubric
from tests.conftest import ROOT, checks_of, gradebook_rows, probed_notebook
from tests.selfcheck_parity import assert_self_check_agrees

SEED = "4"  # hidden inputs drawn from a fixed seed: reproducible scores
EXPECTATIONS = Path(__file__).resolve().parent / "example_classes"
KEYS = {
    "validate",
    "scores",
    "criteria",
    "told",
    "not_passed",
    "jobs",
    "graded_within_s",
    "self_check",
}


@dataclass(frozen=True)
class ExampleClass:
    """One assignment's examples and what grading must say of them (see the module's docstring)."""

    name: str
    expected: dict[str, Any]

    @classmethod
    def load(cls, name: str) -> ExampleClass:
        """tests/example_classes/<name>.yaml; a key it does not know is an error, not a test
        that silently checks nothing."""
        path = EXPECTATIONS / f"{name}.yaml"
        expected = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(expected) - KEYS
        assert not unknown, f"{path}: unknown key(s) {sorted(unknown)}"
        assert {"validate", "scores"} <= set(expected), f"{path}: `validate` and `scores` needed"
        return cls(name, expected)

    @property
    def assignment(self) -> Path:
        return ROOT / "assignments" / self.name

    @property
    def folder(self) -> Path:
        return ROOT / "examples" / "submissions" / self.name

    @property
    def submissions(self) -> list[Path]:
        """Each example: a notebook, or a pair's folder (the mini-projet's `binome-01/`)."""
        return sorted(p for p in self.folder.iterdir() if p.suffix == ".ipynb" or p.is_dir())

    @property
    def needs_mirror(self) -> bool:
        return bool(grader.load_assignment(self.assignment).spec.models)


@dataclass(frozen=True)
class GradedClass:
    """What `grader validate` and `grader grade` said of an example class, and where."""

    example: ExampleClass
    validated: subprocess.CompletedProcess[str]
    graded: subprocess.CompletedProcess[str]
    out: Path
    mirror: Path | None

    def checks(self, student: str) -> dict[str, dict[str, Any]]:
        """A graded student's checks, by id, from results/<student>.json."""
        return checks_of(self.out, student)


def under_seeds(
    example: ExampleClass, student: str, seeds: Sequence[int], scratch: Path
) -> dict[int, tuple[float, list[tuple[str, str]]]]:
    """A student's notebook run once, its checks under each grading seed: each seed's score and
    the checks it does not pass, with their messages."""
    assignment = grader.load_assignment(example.assignment)
    notebook = nbformat.read(example.folder / f"{student}.ipynb", as_version=4)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    verdicts = {}
    with probed_notebook(scratch, cells, assignment.limits, probe_timeout_s=60) as nb:
        for seed in seeds:
            results = run_checks(assignment.checks, nb, nb.execution, seed, student)
            score = score_rubric(assignment.rubric, assignment.criterion_checks(), results)[1]
            wrong = [(r.id, r.message) for r in results if r.outcome.value != "passed"]
            verdicts[seed] = (score, wrong)
    return verdicts


def grade_example_class(example: ExampleClass, out: Path, mirror: Path | None) -> GradedClass:
    """`grader validate` of the assignment while `grader grade` grades its examples into `out`."""
    command = [sys.executable, "-m", "grader"]
    models = ["--mirror", str(mirror)] if mirror else []
    validate = subprocess.Popen(
        [*command, "validate", str(example.assignment), "--format", "json", *models],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    options = ["--out", str(out), "-j", str(example.expected.get("jobs", 2)), "--seed", SEED]
    graded = subprocess.run(
        [
            *command,
            "grade",
            str(example.assignment),
            *map(str, example.submissions),
            *options,
            *models,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    stdout, stderr = validate.communicate(timeout=900)
    validated = subprocess.CompletedProcess(validate.args, validate.returncode, stdout, stderr)
    return GradedClass(example, validated, graded, out, mirror)


@pytest.mark.kernel
@pytest.mark.slow
class ExampleClassTests:
    """What every example class must get; a module's subclass adds nothing."""

    def test_validate_is_green(self, example_class: GradedClass) -> None:
        """The solution earns every automatic point, in the bwrap sandbox, and the criteria
        marked by hand are named."""
        validated, wanted = example_class.validated, example_class.example.expected["validate"]
        assert validated.returncode == 0, validated.stdout + validated.stderr
        assert "sandbox: bwrap" in validated.stderr
        assert json.loads(validated.stdout) == {
            "assignment": example_class.example.name,
            "ok": True,
            "problems": [],
            "automatic_points": wanted["points"],
            "automatic_total": wanted["points"],
            "manual": wanted.get("manual", {}),
            "check_errors": [],
        }

    def test_examples_get_their_expected_scores(self, example_class: GradedClass) -> None:
        """Some checks fail (exit 1); each student's score, out of the rubric's total, and the
        points of the criteria the data names."""
        graded, expected = example_class.graded, example_class.example.expected
        assert graded.returncode == 1, graded.stdout + graded.stderr
        rows = {row["student"]: row for row in gradebook_rows(example_class.out)}
        assert {student: float(row["score"]) for student, row in rows.items()} == expected["scores"]
        total = expected["validate"]["points"] + sum(
            expected["validate"].get("manual", {}).values()
        )
        assert {float(row["max_score"]) for row in rows.values()} == {total}
        for student, points in expected.get("criteria", {}).items():
            assert {c: float(rows[student][c]) for c in points} == points, student
        if "graded_within_s" in expected:
            for result in (example_class.out / "results").glob("*.json"):
                duration = json.loads(result.read_text())["execution"]["duration_s"]
                assert duration < expected["graded_within_s"], result.stem

    def test_each_mistake_is_told(self, example_class: GradedClass) -> None:
        """Each row of `told` holds, and each student in `not_passed` fails exactly those."""
        expected = example_class.example.expected
        wrong: list[tuple[Any, ...]] = []
        for student, check_id, outcome, message_part in expected.get("told", []):
            check = example_class.checks(student)[check_id]
            if check["outcome"] != outcome or message_part not in check["message"]:
                wrong.append((student, check_id, check["outcome"], check["message"]))
        for student, failing in expected.get("not_passed", {}).items():
            checks = example_class.checks(student)
            not_passed = {check_id for check_id, c in checks.items() if c["outcome"] != "passed"}
            if not_passed != set(failing):
                wrong.append((student, sorted(not_passed)))
        assert wrong == []

    def test_the_notebook_says_what_grading_says(
        self, example_class: GradedClass, tmp_path: Path
    ) -> None:
        """What `verifier()` prints in each example's own kernel is what grading said of it."""
        example = example_class.example
        self_check = example.expected.get("self_check", {})
        if "skip" in self_check:
            pytest.skip(self_check["skip"])
        assert_self_check_agrees(
            example.assignment,
            example.submissions,
            example_class.out,
            tmp_path,
            example_class.mirror,
            measured=frozenset(self_check.get("measured", [])),
        )
