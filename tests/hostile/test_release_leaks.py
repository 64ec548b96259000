"""`grader release` ships only what public checks need, and a hidden check's message never gives
its expected value away (issue 16, point 7).

The rule: a top-level statement of checks.py ships when a public check needs it, transitively;
one that only hidden checks need does not. A name both use is the public checks' and ships.
Release is refused, with the line, when a public check needs a hidden check, or when a needed
statement also binds a name only hidden checks use.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_markdown_cell

from grader.assignment.load import load_assignment
from grader.assignment.public_checks import public_checks_source
from grader.assignment.release import bundle_files, strip_solutions
from grader.assignment.self_check_cells import BUNDLE_FILES, decode_bundle
from grader.checks import expect
from grader.checks.api import CheckFailed
from grader.checks.runner import Check, load_checks, run_check
from grader.errors import ConfigError
from grader.results import Section
from tests.conftest import ROOT, grader_command, in_bwrap_boxes, make_notebook, write_course
from tests.test_selfcheck import loading_payload

CHECKS = '''"""Checks of tp-double. The hidden pool below holds the graded inputs."""

import random  # only the hidden helper draws with it
import statistics

import numpy as np

from grader.checks import check, expect

EXEMPLE = np.array([1.0, 2.0])
FACTEUR = 2.0  # public and hidden checks both use it
# The hidden pool: inputs a student must never see.
POOL = [17.25, 42.5, 99.125]
TOLERANCE = 1e-9; SEUIL = statistics.mean(POOL)


def _entree_cachee(rng):
    return random.Random(int(rng.integers(9))).choice(POOL)


@check("double.exemple")
def double_example(nb, rng):
    expect.close(nb.call("double", EXEMPLE), FACTEUR * EXEMPLE, what="double(EXEMPLE)")


@check("double.cache", hidden=True)
def double_hidden(nb, rng):
    x = _entree_cachee(rng)
    expect.close(nb.call("double", x), FACTEUR * x, what="double(x)", atol=TOLERANCE)
'''


SPEC = 'title: "TP double"\n'


def released(tmp_path: Path, source: str) -> str:
    path = tmp_path / "checks.py"
    path.write_text(source)
    return public_checks_source(path, load_checks(path))


def test_hidden_constants_helpers_and_imports_stay_out(tmp_path: Path) -> None:
    public = released(tmp_path, CHECKS)
    for hidden in (
        "POOL",
        "17.25",
        "_entree_cachee",
        "random",
        "double.cache",
        "hidden pool",
        "SEUIL",
        "statistics",
        "TOLERANCE",
    ):
        assert hidden not in public, hidden
    assert "FACTEUR = 2.0" in public and "EXEMPLE = np.array" in public
    assert "from grader.checks import check, expect" in public
    (tmp_path / "public.py").write_text(public)
    assert [c.id for c in load_checks(tmp_path / "public.py")] == ["double.exemple"]


def test_a_name_public_and_hidden_checks_share_ships_with_the_public_check(tmp_path: Path) -> None:
    source = CHECKS.replace(
        'FACTEUR * EXEMPLE, what="double(EXEMPLE)"',
        'FACTEUR * EXEMPLE, what="double(EXEMPLE)", atol=TOLERANCE',
    )
    public = released(tmp_path, source)
    # TOLERANCE ships, and SEUIL with it: they are bound by one line (split it to keep SEUIL).
    assert "TOLERANCE = 1e-9" in public and "POOL" not in public.replace("SEUIL", "")


MADE_CHECKS = """

def _double_check(check_id, x, hidden=False):
    @check(check_id, hidden=hidden)
    def double_of(nb, rng):
        expect.close(nb.call("double", x), FACTEUR * x, what="double(x)")

    return double_of


def _hidden_input():
    return POOL[1]


double_un = _double_check("double.un", 1.0)
double_pool = _double_check("double.pool", _hidden_input(), hidden=True)
double_deux = _double_check("double.deux", 2.0)
"""


def test_checks_a_function_makes_ship_with_it_and_the_hidden_ones_stay_out(
    tmp_path: Path,
) -> None:
    """A check bound at the top level to what a function returns is defined on that line;
    release ships the public ones with their maker and keeps the hidden one, its input and its
    pool out."""
    source = CHECKS + MADE_CHECKS
    (tmp_path / "checks.py").write_text(source)
    checks = load_checks(tmp_path / "checks.py")
    lines = source.splitlines()
    made = [(c.id, lines[c.line - 1].split(" = ")[0], c.name) for c in checks[2:]]
    assert made == [
        ("double.un", "double_un", "double_un"),
        ("double.pool", "double_pool", "double_pool"),
        ("double.deux", "double_deux", "double_deux"),
    ]
    public = released(tmp_path, source)
    assert 'double_un = _double_check("double.un", 1.0)' in public
    assert 'double_deux = _double_check("double.deux", 2.0)' in public
    assert "def _double_check(check_id, x, hidden=False):" in public
    for hidden in ("double.pool", "_hidden_input", "POOL", "17.25"):
        assert hidden not in public, hidden
    (tmp_path / "public.py").write_text(public)
    released_ids = [c.id for c in load_checks(tmp_path / "public.py")]
    assert released_ids == ["double.exemple", "double.un", "double.deux"]
    # Rebound in a loop, the made check is the loop's last: release cannot place it, refuses.
    rebound = source + "for _x in POOL:\n    double_pool = _double_check(f'p.{_x}', _x, True)\n"
    with pytest.raises(ConfigError, match=re.escape("'p.99.125' is not a top-level function")):
        released(tmp_path, rebound)


LOOP_CHECK = """

for _graine in POOL:
    @check(f"double.{_graine}", hidden=True)
    def double_seed(nb, rng):
        expect.close(nb.call("double", _graine), 2 * _graine, what="double")
"""


@pytest.mark.parametrize(
    ("changes", "message", "line"),
    [
        (
            [
                (
                    '    expect.close(nb.call("double", EXEMPLE)',
                    '    double_hidden(nb, rng)\n    expect.close(nb.call("double", EXEMPLE)',
                )
            ],
            "hidden check `double_hidden` is used by a public check (line 21)",
            27,
        ),
        (
            [
                (
                    "EXEMPLE = np.array([1.0, 2.0])",
                    "EXEMPLE, GRAINES = np.array([1.0, 2.0]), [3, 5]",
                ),
                ("random.Random(int(rng.integers(9)))", "random.Random(GRAINES[0])"),
            ],
            "this statement binds `GRAINES`, used only by hidden checks",
            10,
        ),
        (
            [("TOLERANCE = 1e-9;", LOOP_CHECK + "TOLERANCE = 1e-9;")],
            "check 'double.99.125' is not a top-level function of checks.py",
            17,
        ),
    ],
)
def test_release_refuses_what_would_ship_hidden_material(
    tmp_path: Path, changes: list[tuple[str, str]], message: str, line: int
) -> None:
    source = CHECKS
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        released(tmp_path, source)
    assert refused.value.line == line


# Input pools of the course's hidden checks, which release used to ship.
HIDDEN_POOLS = {
    "tp1-generation": "HIDDEN_PROMPTS",
    "tp2-decodage": "\nPROMPTS = ",
    "tp-perplexite": "UNSEEN",
    "tp-tokenisation": "SYLLABLES",
}


@pytest.mark.parametrize("assignment", sorted(p.name for p in (ROOT / "assignments").iterdir()))
def test_each_course_assignment_releases_its_public_checks_only(
    tmp_path: Path, assignment: str
) -> None:
    """The released bundle (checks, public rubric and spec: a check may read the spec beside it,
    as the mini-projet's reads its PDF limits) loads and holds the public checks only."""
    folder = ROOT / "assignments" / assignment
    checks = load_checks(folder / "checks.py")
    for name, text in bundle_files(load_assignment(folder)).items():
        (tmp_path / name).write_text(text)
    released = load_checks(tmp_path / "checks.py")
    assert [c.id for c in released] == [c.id for c in checks if not c.hidden]
    shipped = (tmp_path / "checks.py").read_text()
    assert not [c.function.__name__ for c in checks if c.hidden and c.function.__name__ in shipped]
    pool = HIDDEN_POOLS.get(assignment)
    assert pool is None or (pool in (folder / "checks.py").read_text() and pool not in shipped)


def test_hidden_tests_blocks_are_stripped_from_code_and_prose() -> None:
    code = (
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
        "### BEGIN HIDDEN TESTS\nassert double(17.25) == 34.5\n### END HIDDEN TESTS\nprint(1)"
    )
    assert strip_solutions(code, "nb") == (
        "def double(x):\n    # VOTRE CODE ICI\n    raise NotImplementedError()\nprint(1)"
    )
    with pytest.raises(ConfigError, match="'### BEGIN HIDDEN TESTS' is never closed"):
        strip_solutions("### BEGIN HIDDEN TESTS\nassert False", "tp.ipynb, cell 2")


def hidden_failure(function: object) -> str:
    """The message a student sees when `function`, a hidden check, fails."""
    check = Check("cachee", True, function, 1, "cachee")  # type: ignore[arg-type]
    return run_check(check, None, np.random.default_rng(0)).message  # type: ignore[arg-type]


WANT = 0.734  # the hidden expected value; the student returned GOT
GOT = 0.5


@pytest.mark.parametrize(
    ("expectation", "shown", "derived"),
    [
        (
            lambda: expect.close(np.array([GOT]), np.array([WANT]), what="sortie"),
            "sortie, élément [0] : 0,5 est hors tolérance",
            ["0.734", "0.234"],
        ),
        (
            lambda: expect.close(GOT, WANT, what="perplexité"),
            "perplexité : 0,5 est hors tolérance",
            ["0.734", "0.234"],
        ),
        (
            lambda: expect.sums_to(np.array([[GOT, 0.2]]), WANT, what="poids"),
            "poids, ligne 0 : somme 0,7, ce n'est pas la bonne",
            ["0.734", "0.034"],
        ),
        (
            lambda: expect.close(np.zeros((2, 3)), np.zeros((2, 7)), what="poids"),
            "poids : la forme (2, 3) n'est pas la bonne",
            ["7"],
        ),
        (
            lambda: expect.equal(["a", "b"], ["a", "b", "c", "d", "e", "f", "g"], "jetons"),
            "jetons : 2 éléments, ce n'est pas le bon nombre",
            ["7", "5"],
        ),
    ],
)
def test_a_hidden_checks_message_says_where_never_the_expected_value(
    expectation: object, shown: str, derived: list[str]
) -> None:
    message = hidden_failure(lambda nb, rng: expectation())  # type: ignore[operator]
    assert message == shown
    for number in [*derived, "attendu", "écart"]:
        assert number not in message and number.replace(".", ",") not in message


@pytest.mark.parametrize(
    ("kind", "hidden_shown"),
    [
        ("array", [False, False]),  # draws the reference's values: never, passed or failed
        ("bench", [True, False]),  # the student's own outputs, graded: once the check passed
    ],
)
def test_what_a_student_sees_of_a_hidden_checks_section(
    kind: str, hidden_shown: list[bool]
) -> None:
    table = Section(kind, "Résultats", {"rows": [[WANT]]})

    def passes(nb: object, rng: object) -> Section:
        return table

    def fails(nb: object, rng: object) -> None:
        raise CheckFailed("faux", section=table)

    for function, hidden_sees in zip((passes, fails), hidden_shown, strict=True):
        shown = [
            run_check(Check("c", hidden, function, 1, "c"), None, np.random.default_rng(0))  # type: ignore[arg-type]
            for hidden in (False, True)
        ]
        assert [result.section is not None for result in shown] == [True, hidden_sees]


@in_bwrap_boxes
def test_the_released_bundle_leaks_nothing_and_checks_the_template(tmp_path: Path) -> None:
    template = make_notebook(
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
        "### BEGIN HIDDEN TESTS\nassert double(17.25) == 34.5\n### END HIDDEN TESTS",
    )
    template.cells.append(
        new_markdown_cell("Réponse.\n### BEGIN HIDDEN TESTS\n17.25 → 34.5\n### END HIDDEN TESTS")
    )
    criteria = "  - {id: double, title: Double, points: 2, checks: ['double.*']}\n"
    folder = write_course(tmp_path / "course", "tp-double", SPEC, CHECKS, template, criteria)
    completed = grader_command("release", str(folder), "--out", str(tmp_path / "dist"))
    assert completed.returncode == 0, completed.stderr
    bundle = tmp_path / "dist" / "tp-double"
    notebook = nbformat.read(bundle / "tp-double.ipynb", as_version=4)
    carried = decode_bundle(loading_payload(bundle))
    assert carried == {name: (bundle / name).read_text() for name in BUNDLE_FILES}  # no data
    shipped = "".join([*(p.read_text() for p in bundle.iterdir()), *carried.values()])
    assert "17.25" not in shipped and "POOL" not in shipped and "return 2 * x" not in shipped
    template = [c.source for c in notebook.cells if "grader" not in c.metadata]
    assert template[1:] == ["", "Réponse."]
    checked = grader_command("check", str(bundle / "tp-double.ipynb"))
    assert checked.returncode == 1, checked.stderr  # the template implements nothing
    assert "double.exemple : la fonction `double` n'est pas encore implémentée" in checked.stdout
    assert "double.cache : vérification cachée : exécutée à la correction" in checked.stdout


def test_release_refusal_exits_2_naming_the_line(tmp_path: Path) -> None:
    source = CHECKS.replace(
        "EXEMPLE = np.array([1.0, 2.0])", "EXEMPLE, GRAINES = np.array([1.0, 2.0]), [3, 5]"
    ).replace("random.Random(int(rng.integers(9)))", "random.Random(GRAINES[0])")
    template = make_notebook("def double(x):\n    return 2 * x")
    criteria = "  - {id: double, title: Double, points: 2, checks: ['double.*']}\n"
    folder = write_course(tmp_path / "course", "tp-double", SPEC, source, template, criteria)
    completed = grader_command("release", str(folder), "--out", str(tmp_path / "dist"))
    assert completed.returncode == 2
    assert "checks.py:10: this statement binds `GRAINES`, used only by hidden" in completed.stderr
    assert not (tmp_path / "dist" / "tp-double" / "checks.py").exists()
