"""The CLI's contract: exit codes 0/1/2, French check messages, file:line on bad config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from tests.conftest import EXAMPLES, TP_ATTENTION

pytestmark = pytest.mark.kernel


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and everything printed; with --format json, stdout holds the JSON alone."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout if "json" in args else result.stdout + result.stderr


def test_check_passes_the_correct_notebook() -> None:
    code, output = invoke("check", str(EXAMPLES / "alice.ipynb"), "--assignment", str(TP_ATTENTION))
    assert code == 0, output
    assert "✓ sdpa.exemple : correct" in output
    assert "· sdpa.torch : vérification cachée : exécutée à la correction" in output


def test_check_fails_a_wrong_notebook_naming_the_check_in_french() -> None:
    code, output = invoke("check", str(EXAMPLES / "emma.ipynb"), "--assignment", str(TP_ATTENTION))
    assert code == 1
    assert (
        "✗ softmax.stable : softmax([1000, 1000, 999]), élément [0] : NaN, attendu 0,4223" in output
    )


def test_check_finds_the_assignment_from_the_notebook_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(TP_ATTENTION.parent.parent)  # the course root: ./assignments/<id>
    code, output = invoke("check", str(EXAMPLES / "farid.ipynb"), "--format", "json")
    assert code == 1
    report = json.loads(output)
    failing = [c for crit in report["criteria"] for c in crit["checks"] if c["outcome"] == "error"]
    assert [c["message"] for c in failing] == [
        "la fonction `causal_mask` a levé ValueError : pas encore fait"
    ]


def test_a_malformed_rubric_is_exit_2_with_file_and_line(
    assignment_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rubric = assignment_copy.parent.parent / "rubrics" / "tp-attention.yaml"
    rubric.write_text(rubric.read_text().replace("points: 8", 'points: "huit"'))
    monkeypatch.chdir(assignment_copy.parent.parent)
    code, output = invoke(
        "check", str(EXAMPLES / "alice.ipynb"), "--assignment", "assignments/tp-attention"
    )
    assert code == 2
    assert output.strip() == (
        'grader: rubrics/tp-attention.yaml:13: criteria[2].points: expected a number, got "huit"'
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("cell_timeout: 15", "cell_timout: 15"),
            "assignment.yaml:7: limits: unknown key 'cell_timout' (did you mean 'cell_timeout'?)",
        ),
        (
            ("memory: 2 GiB", "memory: beaucoup"),
            'assignment.yaml:9: limits.memory: expected a size such as "512 MiB" or "2 GiB", '
            'got "beaucoup"',
        ),
        (("checks: checks.py", "checks: tests.py"), "assignment.yaml:4: checks: no such file"),
    ],
)
def test_bad_assignment_yaml_names_line_and_field(
    assignment_copy: Path, edit: tuple[str, str], expected: str
) -> None:
    spec = assignment_copy / "assignment.yaml"
    spec.write_text(spec.read_text().replace(*edit))
    code, output = invoke("validate", str(assignment_copy))
    assert code == 2
    assert expected in output


def test_rubric_naming_an_unknown_check_points_at_it(assignment_copy: Path) -> None:
    rubric = assignment_copy.parent.parent / "rubrics" / "tp-attention.yaml"
    rubric.write_text(rubric.read_text().replace("sdpa.torch]", "sdpa.torche]"))
    code, output = invoke("validate", str(assignment_copy))
    assert code == 2
    assert "tp-attention.yaml:14: criteria[2].checks[4]: no check matches 'sdpa.torche'" in output


def test_grade_refuses_a_missing_submission(tmp_path: Path) -> None:
    code, output = invoke(
        "grade", str(TP_ATTENTION), str(tmp_path / "nobody.ipynb"), "--out", str(tmp_path / "out")
    )
    assert code == 2 and "nobody.ipynb: no such submission" in output


def test_grade_of_one_student_folder_with_json_output(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    shutil.copyfile(EXAMPLES / "alice.ipynb", folder / "rendu.ipynb")
    code, output = invoke(
        "grade", str(TP_ATTENTION), str(folder), "--out", str(tmp_path / "out"), "--format", "json"
    )
    assert code == 0, output
    assert json.loads(output) == [
        {
            "student": "alice",
            "score": 20.0,
            "max_score": 20.0,
            "status": "ok",
            "all_passed": True,
            "check_errors": [],
            "held_back": 0,
        }
    ]
