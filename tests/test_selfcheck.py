"""A student's self-check: `grader check` on a released bundle shows what grading will show
(execution troubles, the same statuses) and the honest indicative total."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from grader.assignment.load import load_assignment
from grader.assignment.release import release
from grader.assignment.self_check_cells import decode_bundle, encode_bundle, without_self_check
from grader.distribution import version
from grader.results import CheckResult, Outcome, Phase
from grader.scoring.indicative import Indicative, indicative
from grader.selfcheck import load_self_check
from tests.conftest import ROOT, grader_command, make_notebook, write_course

CHECKS = """
from grader.checks import check, expect


@check("double.exemple")
def double_example(nb, rng):
    expect.close(nb.call("double", 2), 4, what="double(2)")


@check("double.cache", hidden=True)
def double_hidden(nb, rng):
    x = int(rng.integers(1, 100))
    expect.close(nb.call("double", x), 2 * x, what="double(x)")


@check("triple.cache", hidden=True)
def triple_hidden(nb, rng):
    expect.close(nb.call("triple", 5), 15, what="triple(5)")
"""
CRITERIA = """  - id: double
    title: Double
    points: 4
    checks: ["double.*"]
  - id: triple
    title: Triple
    points: 4
    checks: [triple.cache]
  - id: redaction
    title: Rédaction
    points: 4
    manual: true
"""
SOLUTION = "def double(x):\n    return 2 * x\n\ndef triple(x):\n    return 3 * x"
HONEST = (
    "Note indicative : 2 / 2 sur les vérifications publiques ; 6 points de vérifications "
    "cachées et 4 points notés à la main s'y ajouteront à la correction (sur 12)"
)


def small_course(
    root: Path, more_checks: str = "", criteria: str = CRITERIA, spec: str = ""
) -> Path:
    """tp-double: CHECKS and `more_checks`, its rubric `criteria`; the assignment's folder."""
    template = make_notebook(SOLUTION, assignment="tp-double")
    spec = f'title: "TP double"\n{spec}'
    return write_course(root, "tp-double", spec, CHECKS + more_checks, template, criteria)


def test_the_honest_total_reads_as_the_issue_asks() -> None:
    assert Indicative(12, 12, 4, 4, 20).line() == (
        "Note indicative : 12 / 12 sur les vérifications publiques ; 4 points de vérifications "
        "cachées et 4 points notés à la main s'y ajouteront à la correction (sur 20)"
    )
    assert Indicative(3, 4, 0, 0, 4).line() == (
        "Note indicative : 3 / 4 sur les vérifications publiques (sur 4)"
    )


def test_the_bundle_and_the_instructors_assignment_count_the_same_total(tmp_path: Path) -> None:
    full = load_assignment(small_course(tmp_path))
    bundle = load_assignment(release(full, tmp_path / "released"))
    passed = [CheckResult("double.exemple", Outcome.PASSED, Phase.CHECK, "correct")]
    skipped = CheckResult("double.cache", Outcome.SKIPPED, Phase.CHECK, "", hidden=True)

    assert indicative(full, [*passed, skipped]) == indicative(bundle, passed)
    assert indicative(bundle, passed).line() == HONEST
    assert bundle.hidden_checks() == {
        "double": ["double.cache"],
        "triple": ["triple.cache"],
        "redaction": [],
    }
    assert "def triple_hidden" not in (bundle.root / "checks.py").read_text()


@pytest.mark.kernel
@pytest.mark.slow
def test_grader_check_shows_the_failing_cell_and_the_honest_total(tmp_path: Path) -> None:
    """On the released template, its self-check cells included (which grading does not run:
    its kernels cannot import grader)."""
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "released")
    notebook = nbformat.read(bundle / "tp-double.ipynb", as_version=4)
    notebook.cells.insert(-1, new_code_cell("1 / 0"))  # before the closing verifier()
    nbformat.write(notebook, bundle / "tp-double.ipynb")

    checked = grader_command("check", str(bundle / "tp-double.ipynb"))

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[2:] == [  # after the sandbox and the title
        "  Exécution : terminée avec des erreurs",
        "  ! cellule 4 : erreur — ZeroDivisionError: division by zero",
        "  ✓ double.exemple : correct",
        "  · double.cache : vérification cachée : exécutée à la correction",
        "  · triple.cache : vérification cachée : exécutée à la correction",
        HONEST,
    ]


def run_in_plain_kernel(notebook: nbformat.NotebookNode, workdir: Path, stub: Path) -> None:
    """Execute `notebook` with nbclient, as a student's Jupyter or Colab runs it: in `workdir`
    (where no notebook file is), this checkout's grader and a `google.colab` stub importable."""
    paths = [str(stub), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(workdir)}},
        shutdown_kernel="immediate",  # what it printed is all that is read
    )
    client.execute(env=env)


def printed(cell: nbformat.NotebookNode) -> list[str]:
    """What a cell printed on stdout, line by line; an error's traceback fails the test."""
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, "\n".join(errors[0].traceback)
    text = "".join(o.text for o in cell.outputs if o.get("name") == "stdout")
    return text.splitlines()


@pytest.fixture(scope="module")
def colab_stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `google.colab` package: what a Colab kernel has and a Jupyter one has not."""
    stub = tmp_path_factory.mktemp("stub")
    (stub / "google" / "colab").mkdir(parents=True)
    (stub / "google" / "__init__.py").write_text("")
    (stub / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab."""\n')
    return stub


def self_check_cells(notebook: nbformat.NotebookNode) -> list[int]:
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.metadata.get("grader", {}).get("self_check")
    ]


@pytest.mark.kernel
@pytest.mark.slow
def test_a_released_template_checks_itself_in_a_colab_like_kernel(
    tmp_path: Path, colab_stub: Path
) -> None:
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "released")
    released = nbformat.read(bundle / "tp-double.ipynb", as_version=4)
    marked = self_check_cells(released)
    assert marked[0] == 0 and [released.cells[i].source for i in marked[1:]] == [
        'verifier("double")',
        "verifier()",
    ]
    released.cells[1].source = "def double(x):\n    return 2 * x + (x == 7)"  # wrong at 7 only
    released.cells.insert(
        1,
        new_code_cell(
            "import google.colab\n"
            "print('__file__' in globals(), list(__import__('pathlib').Path('.').iterdir()))"
        ),
    )
    workdir = tmp_path / "colab"  # the notebook lives in Drive: nothing beside the kernel
    workdir.mkdir()

    run_in_plain_kernel(released, workdir, colab_stub)

    assert printed(released.cells[1]) == ["False []"]
    assert printed(released.cells[-2]) == [
        "TP double — vérifications publiques",
        "  ✓ double.exemple : correct",
        "  · double.cache : vérification cachée : exécutée à la correction",
    ]
    assert printed(released.cells[-1]) == [
        "TP double — vérifications publiques",
        "  ✓ double.exemple : correct",
        "  · double.cache : vérification cachée : exécutée à la correction",
        "  · triple.cache : vérification cachée : exécutée à la correction",
        HONEST,
    ]


@pytest.mark.parametrize(
    "notebook",
    [
        {"cells": "not a list"},
        {"cells": ["a cell that is text", None, 3]},
        {"cells": [{"cell_type": "code", "metadata": ["grader"], "source": "x = 1"}]},
        {"cells": [{"cell_type": "code", "metadata": {"grader": "self_check"}, "source": "x"}]},
        {
            "cells": [
                {"cell_type": "code", "metadata": {"grader": {"self_check": 1}}, "source": "x"}
            ]
        },
        {"cells": [{"cell_type": "markdown", "metadata": {"grader": {"self_check": True}}}]},
    ],
)
def test_a_hostile_notebook_keeps_its_cells_when_self_check_cells_are_emptied(
    notebook: dict[str, object],
) -> None:
    before = json.dumps(notebook)
    assert json.dumps(without_self_check(nbformat.from_dict(notebook))) == before


def test_only_a_marked_code_cell_is_emptied_and_every_cell_keeps_its_place() -> None:
    marked = new_code_cell("verifier()", metadata={"grader": {"self_check": True}})
    notebook = make_notebook("x = 1")
    notebook.cells += [marked, new_code_cell("y = 2")]
    assert [c.source for c in without_self_check(notebook).cells] == ["x = 1", "", "y = 2"]


def loading_payload(bundle: Path) -> str:
    """The bundle the released template's first cell carries."""
    notebook = nbformat.read(bundle / "tp-double.ipynb", as_version=4)
    return "".join(re.findall(r'^ +"([\w+/=]+)",?$', notebook.cells[0].source, re.M))


def test_verifier_in_this_process_names_parts_and_what_only_the_saved_notebook_tells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reads_cells = '\n\n@check("texte.cellules")\ndef reads_cells(nb, rng):\n    nb.cells()\n'
    criteria = CRITERIA + "  - {id: texte, title: Texte, points: 1, checks: [texte.cellules]}\n"
    course = small_course(tmp_path, reads_cells, criteria)
    bundle = release(load_assignment(course), tmp_path / "released")
    namespace: dict[str, object] = {}
    exec(SOLUTION, namespace)

    verifier = load_self_check(loading_payload(bundle), namespace)
    verifier("double", "nulle-part")
    verifier("texte")

    assert repr(verifier) == (
        'verifier("partie") ou verifier() — les parties : double, triple, texte'
    )
    assert capsys.readouterr().out.splitlines() == [
        "partie inconnue : nulle-part (les parties : double, triple, texte)",
        "TP double — vérifications publiques",
        "  ! texte.cellules : cette vérification lit le notebook enregistré (ses cellules, leurs "
        "sorties) : lancez grader check sur le fichier",
    ]


def test_a_notebook_released_with_another_grader_says_which_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The loading cell pins the version it was released with, for Colab's %pip line and for
    the comparison with the grader installed: another one is said, with the line to run."""
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "released")
    loading = nbformat.read(bundle / "tp-double.ipynb", as_version=4).cells[0].source
    assert f"%pip install -q llm-course-grader=={version()}\n" in loading

    exec(loading, {})  # the version installed: nothing said
    assert capsys.readouterr().out == ""
    exec(loading.replace(f"released_with={version()!r}", "released_with='0.0.1'"), {})
    assert capsys.readouterr().out == (
        f"Ce notebook a été publié avec grader 0.0.1, la version installée est {version()} : "
        "les vérifications peuvent différer de celles de la correction. Installez la même : "
        "%pip install -q llm-course-grader==0.0.1\n"
    )


def test_hidden_checks_are_listed_under_their_own_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verifier() and grader check list part by part: a part's public lines, then its hidden
    checks, before the next part's."""
    triple = '\n\n@check("triple.exemple")\ndef triple_example(nb, rng):\n'
    triple += '    expect.close(nb.call("triple", 2), 6, what="triple(2)")\n'
    criteria = CRITERIA.replace("checks: [triple.cache]", "checks: [triple.exemple, triple.cache]")
    bundle = release(
        load_assignment(small_course(tmp_path, triple, criteria)), tmp_path / "released"
    )
    namespace: dict[str, object] = {}
    exec(SOLUTION, namespace)
    load_self_check(loading_payload(bundle), namespace)()
    listed = [
        "  ✓ double.exemple : correct",
        "  · double.cache : vérification cachée : exécutée à la correction",
        "  ✓ triple.exemple : correct",
        "  · triple.cache : vérification cachée : exécutée à la correction",
    ]
    assert capsys.readouterr().out.splitlines()[1:-1] == listed
    notebook = bundle / "tp-double.ipynb"
    solved = nbformat.read(notebook, as_version=4)
    solved.cells.insert(1, new_code_cell(SOLUTION))
    nbformat.write(solved, notebook)
    checked = grader_command("check", str(notebook))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert [line for line in checked.stdout.splitlines() if line.startswith("  ")] == listed


def test_a_public_check_reads_the_data_files_the_notebook_carries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A public check may read the assignment's data beside checks.py, as in grading: the
    loading cell carries them (text as it is, other files in base64), where `grader release`
    puts them; in the notebook, the check reads what grading reads."""
    reads_data = (
        "\n\nfrom pathlib import Path\n\n\n"
        '@check("donnees.lues")\ndef reads_data(nb, rng):\n'
        '    words = Path(__file__).with_name("mots.txt").read_text().split()\n'
        '    raw = (Path(__file__).parent / "corpus" / "octets.bin").read_bytes()\n'
        '    expect.equal(nb.get("compte"), len(words) + len(raw), "compte")\n'
    )
    criteria = CRITERIA + "  - {id: donnees, title: Données, points: 1, checks: [donnees.lues]}\n"
    course = small_course(tmp_path, reads_data, criteria, "data: [mots.txt, corpus]\n")
    (course / "mots.txt").write_text("un deux trois")
    (course / "corpus").mkdir()
    (course / "corpus" / "octets.bin").write_bytes(b"\xff\xfe\x00")
    bundle = release(load_assignment(course), tmp_path / "released")
    namespace: dict[str, object] = {"compte": 6}
    verifier = load_self_check(loading_payload(bundle), namespace)
    verifier("donnees")
    assert capsys.readouterr().out.splitlines()[1:] == ["  ✓ donnees.lues : correct"]


def test_a_data_file_named_like_the_checks_never_replaces_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As in the released folder, the bundle's own files win over data of the same name."""
    bundle = release(load_assignment(small_course(tmp_path)), tmp_path / "released")
    files = decode_bundle(loading_payload(bundle))
    files["data/checks.py"] = "raise SystemExit('remplacé')\n"
    namespace: dict[str, object] = {}
    exec(SOLUTION, namespace)
    load_self_check(encode_bundle(files), namespace)("double")
    assert capsys.readouterr().out.splitlines()[1] == "  ✓ double.exemple : correct"


@pytest.mark.parametrize("name", ["../hors.txt", "/etc/hors.txt", "", "a/../../hors.txt"])
def test_a_bundle_whose_data_file_points_outside_is_refused(name: str) -> None:
    files = {"assignment.yaml": "id: x\n", "rubric.yaml": "", "checks.py": "", f"data/{name}": "x"}
    with pytest.raises(ValueError, match="not a self-check bundle: a data file named"):
        load_self_check(encode_bundle(files), {})
