"""`preload: auto`: `grader validate` records the modules the solution's kernel imported (the
deepest of each chain, third-party and public only) with the assignment's fingerprint; `grade`
forks its kernels from a parent that imported them, and says how much of the solution's import
time that covers; any change to the assignment asks for a new `validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignment.load import load_assignment
from grader.assignment.preload import heavy_modules, parse_kernel_modules, record_path
from tests.conftest import (
    equal_checks,
    grade_notebooks,
    grader_command,
    in_bwrap_boxes,
    make_notebook,
    write_course,
)

CHECKS = equal_checks("auto.valeur", {"n": 3})
SOLUTION = (
    "import json\nimport numpy as np\nfrom numpy.polynomial import polynomial\nimport yaml\nn = 3"
)


def test_heavy_modules_are_third_party_public_leaves() -> None:
    names = [
        "json", "json.decoder", "numpy", "numpy.linalg", "numpy.linalg._umath_linalg",
        "numpy.polynomial", "numpy.polynomial.polynomial", "yaml", "ipykernel.ipkernel", "mine-x",
    ]  # fmt: skip
    assert heavy_modules(names) == ["numpy.linalg", "numpy.polynomial.polynomial", "yaml"]


@pytest.mark.parametrize(
    ("answer", "modules"),
    [
        (repr("numpy\nyaml"), ["numpy", "yaml"]),
        (repr(["numpy"]), []),  # not the expected shape
        ("__import__('os').system('x')", []),  # never evaluated
        (repr("é\n" + "x" * 300 + "\nok"), ["ok"]),
        ("", []),
    ],
)
def test_the_kernels_answer_is_data(answer: str, modules: list[str]) -> None:
    assert parse_kernel_modules(answer) == modules


@pytest.mark.slow
@in_bwrap_boxes
def test_validate_records_what_the_solution_imports_and_grade_preloads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = SOLUTION.replace("n = 3", "### BEGIN SOLUTION\nn = 3\n### END SOLUTION")
    folder = write_course(
        tmp_path,
        "tp-auto",
        "title: TP auto\n",
        CHECKS,
        make_notebook(source),
        "  - {id: n, title: N, points: 1, checks: [auto.valeur]}\n",
    )
    student = tmp_path / "class" / "ada.ipynb"
    student.parent.mkdir()
    student.write_text(json.dumps(make_notebook(SOLUTION)))

    def grade(out: str) -> str:
        graded = grade_notebooks(folder, [student], tmp_path / out)
        assert [row["score"] for row in graded.rows] == ["1.0"]
        return next(line for line in graded.done.stdout.splitlines() if line.startswith("warm"))

    assert grade("before") == "warm start: off (preload: auto, not recorded: run grader validate)"

    validated = grader_command("validate", str(folder))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "recorded for `preload: auto`" in validated.stderr
    record = json.loads(record_path(load_assignment(folder)).read_text())
    assert {"numpy.polynomial.polynomial", "yaml.loader"} <= set(record["modules"])
    tops = {m.split(".")[0] for m in record["modules"]}
    assert tops == {"numpy", "yaml"}  # not json (stdlib), nor the kernel's ipykernel, pydevd
    assert all(not part.startswith("_") for m in record["modules"] for part in m.split("."))

    line = grade("after")
    assert line.startswith("warm start: numpy, yaml imported once (")
    assert "% of the solution's " in line and line.endswith("s of imports); kernels fork from it")

    (folder / "checks.py").write_text(CHECKS + "\n# changed\n")  # a new version of the assignment
    assert grade("changed").startswith("warm start: off (preload: auto, not recorded")
