"""Probe answers are bounded before they are decoded (issue 16, point 4).

A hostile notebook makes every probe answer a bomb that stays under the 64 MiB message cap: 60 MB
of small dicts, 100 000 levels of nesting, a huge string, millions of numbers, an `.npy` header
claiming terabytes. Each check is an error saying "réponse trop volumineuse" and the limit, the
normal student beside it keeps 20/20 and the class files are written. What slips past the
bounds meets the grader worker's memory limit: a MemoryError, that check's error, and the worker
grades the next submission.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.checks.probe import ProbeError
from grader.sandbox.limits import Limits
from tests.conftest import (
    EXAMPLES,
    checks_of,
    gradebook_rows,
    grader_command,
    in_bwrap_boxes,
    make_notebook,
    probed_notebook,
    write_course,
    write_notebook,
)
from tests.hostile.cells import PROBE_BOMBS, bomb_probe_answers

CLASS_FILES = ("gradebook.csv", "gradebook.json", "moodle.csv", "summary.html")


def bombed(folder: Path, name: str, value: str) -> Path:
    """alice's notebook, then a cell that makes every probe answer `{"value": <value>}`."""
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells.append(new_code_cell(bomb_probe_answers(value)))
    nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


@pytest.mark.slow
@in_bwrap_boxes
def test_bombed_answers_are_check_errors_and_the_class_is_graded(
    tmp_path: Path, assignment_copy: Path, course_mirror: Path
) -> None:
    # Warm kernels only: a fresh kernel's answers reach the grader through the same guarded
    # session (tests/hostile/test_protocol.py grades a class both ways), and five fresh kernels
    # loading MiniLM cost CI more than three minutes.
    spec = assignment_copy / "assignment.yaml"  # loading MiniLM on a busy machine takes 15 s
    spec.write_text(spec.read_text().replace("cell_timeout: 15", "cell_timeout: 60"))
    alice = tmp_path / "alice.ipynb"
    shutil.copyfile(EXAMPLES / "alice.ipynb", alice)
    notebooks = [alice, *(bombed(tmp_path, name, v) for name, v in PROBE_BOMBS.items())]
    out = tmp_path / "out"
    run = grader_command(
        "grade",
        str(assignment_copy),
        *map(str, notebooks),
        "--out",
        str(out),
        "-j",
        "2",
        "--sandbox",
        "bwrap",
        "--mirror",
        str(course_mirror),
    )
    assert run.returncode <= 1, run.stdout + run.stderr
    scores = {row["student"]: float(row["score"]) for row in gradebook_rows(out)}
    assert scores == {"alice": 20.0, **{name: 0.0 for name in PROBE_BOMBS}}
    for name in PROBE_BOMBS:
        for check in checks_of(out, name).values():
            assert check["outcome"] == "error", (name, check)
            assert "a renvoyé une réponse trop volumineuse : " in check["message"], (name, check)
            assert "(limite : " in check["message"], (name, check)
    assert all((out / name).is_file() for name in CLASS_FILES)


@pytest.mark.kernel
def test_each_bomb_is_refused_with_its_limit(tmp_path: Path) -> None:
    expected = {
        "small-dicts": "57,2 Mio de texte (limite : 32 Mio)",
        "deep": "plus de 100 000 valeurs (limite : 100 000 valeurs)",  # its 100 001 brackets
        "huge-string": "57,2 Mio de texte (limite : 32 Mio)",
        "long-text": "un texte de 5 000 000 caractères (limite : 1 000 000 caractères)",
        "numbers": "plus de 100 000 valeurs (limite : 100 000 valeurs)",
        "npy-header": "un tableau de forme (1000000, 1000000) "
        "(8 000 000 000 000 octets) (limite : 32 Mio)",
    }
    for name, value in PROBE_BOMBS.items():
        cells = ["x = 1", bomb_probe_answers(value)]
        (tmp_path / name).mkdir()
        with probed_notebook(tmp_path / name, cells, Limits(), probe_timeout_s=30) as nb:
            for _ in range(2):  # the kernel is still there, and bombs again
                with pytest.raises(ProbeError) as refused:
                    nb.get("x")
                assert refused.value.message == (
                    f"la variable `x` a renvoyé une réponse trop volumineuse : {expected[name]}"
                )


@pytest.mark.kernel
def test_a_bomb_in_any_message_during_a_probe_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    # Not the answer: a display the probed function publishes, which jupyter_client would parse.
    flood = (
        "from IPython.display import publish_display_data\n"
        "def f():\n"
        "    publish_display_data({'application/json': [{}] * 2_000_000})\n"
        "    return 1"
    )
    with probed_notebook(tmp_path, [flood], Limits(), probe_timeout_s=30) as nb:
        with pytest.raises(ProbeError) as refused:
            nb.call("f")
        assert refused.value.message == (
            "la fonction `f` a renvoyé une réponse trop volumineuse : "
            "plus de 100 000 valeurs (limite : 100 000 valeurs)"
        )


GREEDY_CHECKS = """\
import numpy as np

from grader.checks import check, expect


@check("memoire.reponse")
def answer(nb, rng):
    np.ones(nb.get("taille") // 8)  # as a check would, on an answer that slipped past the bounds
    expect.equal(nb.get("x"), 1, "x")
"""


@pytest.mark.slow
@in_bwrap_boxes
@pytest.mark.parametrize(("kernels", "jobs"), [("warm", 1), ("fresh", 2)])
def test_a_worker_out_of_memory_fails_one_check_and_grades_the_next(
    tmp_path: Path, kernels: str, jobs: int
) -> None:
    spec = 'title: "TP mémoire"\npreload: [numpy]\nlimits:\n  grader_memory: 1 GiB\n'
    criteria = "  - {id: memoire, title: Mémoire, points: 1, checks: ['memoire.*']}\n"
    folder = write_course(
        tmp_path, "tp-memoire", spec, GREEDY_CHECKS, make_notebook("taille = x = 0"), criteria
    )
    sizes = {"gourmand": 2 * 1024**3, "ada": 8, "blaise": 8}  # 2 GiB is past the worker's limit
    students = [
        write_notebook(tmp_path / "class" / f"{name}.ipynb", f"taille = {size}\nx = 1")
        for name, size in sizes.items()
    ]
    out = tmp_path / "out"
    command = ["grade", str(folder), *map(str, students), "--out", str(out), "-j", str(jobs)]
    command += ["--sandbox", "bwrap", *(["--fresh-kernels"] if kernels == "fresh" else [])]

    run = grader_command(*command)

    assert run.returncode == 1, run.stdout + run.stderr  # no bug, no dead worker
    scores = {row["student"]: float(row["score"]) for row in gradebook_rows(out)}
    assert scores == {"gourmand": 0.0, "ada": 1.0, "blaise": 1.0}
    greedy = checks_of(out, "gourmand")["memoire.reponse"]
    assert (greedy["outcome"], greedy["message"]) == (
        "error",
        "la vérification a manqué de mémoire : une réponse du notebook est sans doute trop "
        "volumineuse",
    )
