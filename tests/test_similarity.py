"""grader similarity on a synthetic class of tp-attention (tests/similarity_class.py).

Nine students with independent solutions (two share at most one function's style), a disguised
copy of one of them (names changed, cells reordered, comments added) and a student who handed
in the template. The class is compared once, by the real command line on a real gradebook, and
many things are asserted on it; its page is opened in headless Chromium.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from grader.assignment.load import load_assignment
from grader.graded_folder import rerender
from grader.similarity.compare import outlier_threshold
from grader.similarity.documents import fingerprint, make_template, notebook_cells
from grader.similarity.run import code_cells, similarity_report
from tests.conftest import EXAMPLES, TP_ATTENTION, grader_command, make_notebook
from tests.similarity_class import (
    disguised,
    graded_folder,
    released_template,
    write_class,
)
from tests.test_report_browser import CHROMIUM, DevTools, open_in_chromium, problems


@dataclass
class Compared:
    out: Path
    pairs: list[dict[str, Any]]
    threshold: float
    page: str


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    folder = tmp_path_factory.mktemp("similarity")
    instructor = {  # graded beside the class as a smoke test, say
        "prof": TP_ATTENTION / "tp-attention.ipynb",  # in the assignment's folder
        "exemple": EXAMPLES / "alice.ipynb",  # named by --instructor
    }
    out = graded_folder(folder / "out", {**write_class(folder / "class"), **instructor})
    (out / "summary.html").write_text("<!DOCTYPE html><title>before</title>", "utf-8")
    groups = folder / "groups.csv"
    groups.write_text("group,student\nbinome-1,cyril\nbinome-1,hanae\n", "utf-8")
    run = grader_command(
        "similarity", str(out), "--assignment", str(TP_ATTENTION), "--groups", str(groups),
        "--instructor", "exemple", "--format", "json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    page = (out / "similarity.html").read_text("utf-8")
    return Compared(out, answer["pairs"], answer["threshold"], page)


def _students(pair: dict[str, Any]) -> set[str]:
    return set(pair["students"])


def test_the_disguised_copy_ranks_first_and_alone_stands_out(compared: Compared) -> None:
    first = compared.pairs[0]
    assert _students(first) == {"boris", "copieur"}
    assert first["stands_out"] and min(first["shares"]) > 0.9
    assert [p for p in compared.pairs if p["stands_out"]] == [first]


def test_independent_correct_solutions_do_not_stand_out(compared: Compared) -> None:
    scores = {frozenset(p["students"]): max(p["shares"]) for p in compared.pairs}
    independent = scores.get(frozenset({"alba", "dalia"}), 0.0)  # no style in common
    assert independent < compared.threshold / 2
    one_style = [s for pair, s in scores.items() if "copieur" not in pair and "boris" not in pair]
    assert max(one_style) < compared.threshold  # sharing one function's style is not an outlier


def test_the_template_never_counts(compared: Compared) -> None:
    assert not any("vide" in p["students"] for p in compared.pairs)
    for name in ("prof", "exemple"):  # the instructor's notebooks are no students
        assert not any(name in p["students"] for p in compared.pairs)
        assert f"{name} — notebook de l&#39;enseignant·e (solution ou exemple)" in compared.page
    template_lines = {
        line.strip()
        for source in code_cells(released_template())
        for line in source.splitlines()
        if line.strip()
    }
    marked = {html.unescape(m).strip() for m in re.findall(r"<mark>(.*?)</mark>", compared.page)}
    assert marked and not marked & template_lines


def test_the_template_renamed_and_commented_has_no_fingerprint() -> None:
    template = released_template()
    found = make_template(code_cells(template))
    cells, _ = notebook_cells(nbformat.writes(disguised(template)).encode())
    assert fingerprint("vide", cells, found).fingerprints == {}


def test_the_released_self_check_cells_are_not_compared() -> None:
    """Every student's notebook holds the loading cell grader release wrote: it is no one's."""
    notebook = make_notebook("def f(x):\n    return x * 3 + 1", "verifier()")
    notebook.cells[1].metadata["grader"] = {"self_check": True}
    cells, _ = notebook_cells(nbformat.writes(notebook).encode())
    assert [cell.source for cell in cells] == ["def f(x):\n    return x * 3 + 1"]


def test_declared_groups_are_marked_not_flagged(compared: Compared) -> None:
    group = next(p for p in compared.pairs if _students(p) == {"cyril", "hanae"})
    assert group["group"] and not group["stands_out"]
    assert "même groupe (déclaré)" in compared.page


def test_csv_and_summary_link(compared: Compared) -> None:
    with open(compared.out / "similarity.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [{r["student_1"], r["student_2"]} for r in rows] == [
        _students(p) for p in compared.pairs
    ]
    assert rows[0]["stands_out"] == "yes" and rows[0]["score"] == "1.000"
    assert 'href="similarity.html"' in (compared.out / "summary.html").read_text("utf-8")


def test_the_page_says_it_is_no_verdict(compared: Compared) -> None:
    assert "jamais un verdict" in compared.page
    assert "<script" not in compared.page and "http" not in compared.page.replace(
        'content="width=device-width', ""
    )


def test_the_command_names_a_missing_gradebook(tmp_path: Path) -> None:
    run = grader_command("similarity", str(tmp_path), "--assignment", str(TP_ATTENTION))
    assert run.returncode == 2
    assert "gradebook.sqlite: no gradebook here" in run.stderr


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_the_page_in_chromium(compared: Compared, tmp_path: Path) -> None:
    page = tmp_path / "similarity.html"
    shutil.copyfile(compared.out / "similarity.html", page)
    visit = open_in_chromium(page, tmp_path / "profile")
    assert problems(visit.events, page) == []
    assert visit.screenshot.startswith(b"\x89PNG") and visit.phone_overflow <= 0
    shown = _evaluate(
        page,
        tmp_path / "profile-2",
        """(() => {
          const first = document.getElementById('pair-1');
          const panes = [...first.querySelectorAll('.match')].map(m => m.querySelectorAll('pre').length);
          const second = document.getElementById('pair-2');
          return {
            open: first.open, secondOpen: second.open, panes,
            marks: first.querySelectorAll('mark').length,
            visibleMark: first.querySelector('mark').getBoundingClientRect().height > 0,
            summary: first.querySelector('summary').textContent,
            caution: document.querySelector('.caution').textContent,
            link: document.querySelector('#pairs a').getAttribute('href'),
          };
        })()""",
    )
    assert shown["open"] and not shown["secondOpen"]  # only the pair that stands out is open
    assert shown["panes"] and set(shown["panes"]) == {2}  # cell beside cell
    assert shown["marks"] > 20 and shown["visibleMark"]
    assert "boris" in shown["summary"] and "copieur" in shown["summary"]
    assert "jamais un verdict" in shown["caution"] and shown["link"] == "#pair-1"


def _evaluate(page: Path, profile: Path, expression: str) -> dict[str, Any]:
    browser = DevTools(profile)
    try:
        target = next(
            t for t in browser.send("Target.getTargets")["targetInfos"] if t["type"] == "page"
        )
        session = browser.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        sid = session["sessionId"]
        browser.send("Page.enable", sid)
        browser.send("Page.navigate", sid, url=page.as_uri())
        browser.wait(
            lambda: any(e["method"] == "Page.loadEventFired" for e in browser.events), "load"
        )
        result = browser.send("Runtime.evaluate", sid, expression=expression, returnByValue=True)
        return dict(result["result"]["value"])
    finally:
        browser.close()


def test_the_page_in_english(compared: Compared, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(compared.out, out)
    result = similarity_report(out, load_assignment(TP_ATTENTION), lang="en")
    page = result.page.read_text("utf-8")
    assert "never a verdict" in page and "Code similarity" in page and "\u202f%" not in page
    assert "prof — the instructor&#39;s notebook (solution or example)" in page
    summary = (out / "summary.html").read_text("utf-8")  # it keeps the language it was written in
    assert summary.startswith('<!DOCTYPE html>\n<html lang="fr">') and "similarity.html" in summary
    rerender(out, "en")  # grader report: the class files again, the link with them
    summary = (out / "summary.html").read_text("utf-8")
    assert 'href="similarity.html">Pairs of notebooks whose code is alike</a>' in summary


@pytest.mark.slow
def test_the_assignment_is_found_from_the_graded_notebooks(
    compared: Compared, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(compared.out, out)
    run = grader_command("similarity", str(out))  # tp-attention, from the notebooks' metadata
    assert run.returncode == 0, run.stderr
    assert "1 pair(s) stand out" in run.stdout
    assert "  boris — copieur: 100% / 100% of their own code" in run.stdout
    graded_folder(out, {"zoe": out / "zoe.ipynb"}, assignment="tp-autre")
    run = grader_command("similarity", str(out))
    assert run.returncode == 2
    assert "gradebook.sqlite: holds tp-attention, tp-autre; pass --assignment" in run.stderr


@pytest.mark.parametrize(
    ("closest", "score", "stands_out"),
    [
        ([0.1] * 8 + [1.0, 1.0], 1.0, True),  # a copy in a class that shares little
        ([0.1] * 8 + [1.0, 1.0], 0.15, False),
        ([0.3, 0.35, 0.4, 0.4, 0.45, 0.5, 0.55, 0.6], 0.62, False),  # the tail of a spread class
        ([0.0] * 10, 0.05, False),  # no spread: at least MIN_GAP above the median
        ([0.0] * 10, 0.15, True),
        ([0.2, 0.4, 0.6, 0.8, 1.0, 1.0], 0.95, True),  # a fence past the ceiling meets it
        ([0.5, 0.6], 0.65, False),  # too few students for quartiles
    ],
)
def test_the_threshold_comes_from_the_class(
    closest: list[float], score: float, stands_out: bool
) -> None:
    assert (score > outlier_threshold(closest)) is stands_out
