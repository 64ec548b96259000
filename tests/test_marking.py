"""`grader mark`: the marking page driven in a real headless Chromium over the DevTools protocol.

A small course with two manual criteria (one found by its heading, one by the cell metadata the
template sets) is graded once by the real CLI; each test marks a copy of the graded folder
through a real `grader mark` server in a subprocess, then reads the gradebook, moodle.csv and
the reports it leaves.
"""

from __future__ import annotations

import base64
import csv
import http.client
import json
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from grader.marking.store import MarkingStore
from tests.conftest import ROOT, grader_command, write_course
from tests.test_batch_resume import grade_command, notebook
from tests.test_report_browser import CHROMIUM, DevTools

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]

STUDENTS = ["alice", "bruno", "chloe", "david"]
SCRIPT = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
CHECKS = """
from grader.checks import check, expect

@check("somme.total")
def total(nb, rng):
    expect.close(nb.get("total"), 6.0, what="total")
"""
CRITERIA = """\
  - {id: somme, title: "Somme", points: 4, checks: ["somme.total"]}
  - {id: analyse, title: "Analyse de la somme", points: 4, manual: true}
  - {id: figure, title: "Lecture du graphique", points: 3, manual: true}
"""


def png() -> str:
    """A real 1×1 PNG, base64."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


def course(root: Path) -> Path:
    template = notebook("# TP rédaction", "total = None")
    template.cells += [
        new_markdown_cell("## 2. Analyse de la somme"),
        new_markdown_cell("Écrivez votre analyse ici."),
        new_markdown_cell("## 3. Votre graphique"),
    ]
    template.cells[-1].metadata["grader"] = {"criterion": "figure"}
    spec = 'title: "TP rédaction"\nlimits:\n  cell_timeout: 120\n  notebook_timeout: 300\n'
    return write_course(root, "tp-redac", spec, CHECKS, template, CRITERIA)


def student_notebook(folder: Path, name: str) -> Path:
    book = nbformat.read(course_root(folder) / "tp-redac.ipynb", as_version=4)
    book.cells[1].source = "total = 6.0"
    analysis = SCRIPT if name == "chloe" else f"Analyse de {name} : la somme vaut 6."
    book.cells.insert(4, new_markdown_cell(analysis))
    plot = new_code_cell("pass")
    plot.outputs = [new_output("display_data", data={"image/png": png()})]
    book.cells += [plot, new_markdown_cell(f"Le graphique de {name} monte.")]
    path = folder / "class" / f"{name}.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(book, path)
    return path


def course_root(folder: Path) -> Path:
    return folder / "course" / "assignments" / "tp-redac"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class graded once by the real CLI (real kernels); tests mark copies of it."""
    folder = tmp_path_factory.mktemp("marking")
    course(folder / "course")
    paths = [student_notebook(folder, name) for name in STUDENTS]
    out = folder / "out"
    done = subprocess.run(
        grade_command(course_root(folder), paths, out), capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


@pytest.fixture
def out(graded: Path, tmp_path: Path) -> Path:
    shutil.copytree(graded / "out", tmp_path / "out")
    return tmp_path / "out"


class Server:
    """`grader mark` in a subprocess; its URL read from its JSON line."""

    def __init__(self, out: Path, *extra: str) -> None:
        command = [sys.executable, "-m", "grader", "mark", str(out), "--no-browser"]
        self.process = subprocess.Popen(
            [*command, "--format", "json", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        self.url = json.loads(self.process.stdout.readline())["url"]
        parts = urlsplit(self.url)
        self.port = int(parts.port or 0)
        self.token = parts.query.removeprefix("token=")

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"X-Grader-Token": self.token, "Content-Type": "application/json"}
        data = None if body is None else json.dumps(body)
        connection.request(method, path, data, {**sent, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def stop(self) -> str:
        """SIGTERM: the marking ends, reports are rewritten; its standard error."""
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, err
        return err

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=30)


@contextmanager
def serving(out: Path, *extra: str) -> Iterator[Server]:
    server = Server(out, *extra)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


class Page:
    """One browser tab (in its own browser context: its own cookies and storage)."""

    def __init__(self, browser: DevTools, url: str) -> None:
        self.browser = browser
        context = browser.send("Target.createBrowserContext")["browserContextId"]
        target = browser.send("Target.createTarget", url="about:blank", browserContextId=context)
        self.target = target["targetId"]
        self.session = browser.send("Target.attachToTarget", targetId=self.target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", self.session)
        browser.send("Page.navigate", self.session, url=url)
        self.wait("document.querySelector('section.panel') !== null")

    def eval(self, expression: str) -> Any:
        reply = self.browser.send(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True,
            awaitPromise=True,
        )  # fmt: skip
        assert "exceptionDetails" not in reply, reply
        return reply["result"].get("value")

    def wait(self, condition: str, timeout: float = 30) -> None:
        self.browser.wait(lambda: self.eval(f"!!({condition})"), condition, timeout)

    def key(self, key: str) -> None:
        """A key typed on the page (not in a field): the page's shortcuts."""
        code = {"ArrowRight": "ArrowRight", "ArrowLeft": "ArrowLeft"}.get(key, f"Key{key.upper()}")
        if key.isdigit():
            code = f"Digit{key}"
        for kind in ("keyDown", "keyUp"):
            self.browser.send(
                "Input.dispatchKeyEvent", self.session, type=kind, key=key, code=code,
                text=key if kind == "keyDown" and len(key) == 1 else "",
            )  # fmt: skip
        self.settled()

    def settled(self) -> None:
        """Every save the page started has had its answer."""
        self.eval("Promise.all([queue, rendering]).then(() => true)")

    def type_into(self, selector: str, value: str) -> None:
        """A field filled, then left (its change event saves)."""
        self.eval(
            f"(() => {{ const f = document.querySelector({json.dumps(selector)}); "
            f"f.value = {json.dumps(value)}; f.dispatchEvent(new Event('change')); }})()"
        )
        self.settled()

    def click(self, selector: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")
        time.sleep(0.05)  # the click's handler starts its request
        self.settled()

    def student(self) -> str:
        return str(self.eval("S.student"))

    def choose(self, select: str, value: str) -> None:
        self.eval(
            f"(() => {{ const s = document.getElementById({json.dumps(select)}); "
            f"s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()"
        )
        self.settled()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    chromium = DevTools(tmp_path / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def current_marks(out: Path) -> dict[tuple[str, str], tuple[float, bool, str | None]]:
    """(student, criterion) -> (points, marked, comment) of each student's current result."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute(
            "SELECT report FROM results WHERE id IN (SELECT MAX(id) FROM results GROUP BY student)"
        ).fetchall()
    found = {}
    for (text,) in rows:
        report = json.loads(text)
        for c in report["criteria"]:
            if c["manual"]:
                found[(report["student"], c["id"])] = (c["points"], c["marked"], c["comment"])
    return found


def test_every_request_needs_the_token_the_loopback_host_and_json(out: Path) -> None:
    with serving(out) as server:
        status, headers, body = server.request("GET", "/api/state")
        assert status == 200 and "Access-Control-Allow-Origin" not in headers
        no_token, wrong = {"X-Grader-Token": ""}, {"X-Grader-Token": server.token[:-1] + "x"}
        assert server.request("GET", "/api/state", headers=wrong)[0] == 403
        assert server.request("GET", f"/?token={server.token[:-1]}x", headers=no_token)[0] == 403
        assert server.request("GET", "/api/state", headers={"Host": "evil.example"})[0] == 421
        preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
        cross = server.request("OPTIONS", "/api/mark", headers={**preflight, **no_token})
        assert cross[0] == 403 and "Access-Control-Allow-Origin" not in cross[1]
        version = json.loads(body)["marks"]["alice"]["analyse"]["version"]
        mark = {"student": "alice", "criterion": "analyse", "items": [], "free_points": 2}
        mark["version"] = version
        # A form another site posts has no token header, and is no JSON either.
        assert server.request("POST", "/api/mark", mark, no_token)[0] == 403
        assert server.request("POST", "/api/mark", mark, {"Content-Type": "text/plain"})[0] == 415
        status, headers, _ = server.request("GET", f"/?token={server.token}")
        assert status == 200 and "script-src 'nonce-" in headers["Content-Security-Policy"]
        for bad in ({"free_points": "nan"}, {"version": 0}, {"items": ["1"]}):
            assert server.request("POST", "/api/mark", {**mark, **bad})[0] == 400
        assert server.request("POST", "/api/mark", {**mark, "student": "nobody"})[0] == 404
        status, _, body = server.request("POST", "/api/mark", {**mark, "items": [99]})
        assert (status, json.loads(body)) == (
            400,
            {"error": "no rubric item 99 for criterion analyse"},
        )
        assert server.request("POST", "/api/mark", mark)[0] == 200
        assert server.request("POST", "/api/mark", mark)[0] == 409  # that version is gone
        added = {"criterion": "analyse", "points": 1, "comment": "Clair."}
        item = json.loads(server.request("POST", "/api/items", added)[2])["item"]
        stale = {"points": 2, "comment": "Net.", "version": item["version"] + 1}
        status, _, body = server.request("POST", f"/api/items/{item['id']}", stale)
        assert (status, json.loads(body)) == (409, {"conflict": {"item": item}})
        unknown = {**stale, "version": item["version"]}
        status, _, body = server.request("POST", "/api/items/999", unknown)
        assert (status, json.loads(body)) == (404, {"error": "no rubric item 999"})


def test_a_sheet_imported_meanwhile_is_a_conflict_too(out: Path, graded: Path) -> None:
    with serving(out) as server:
        state = json.loads(server.request("GET", "/api/state")[2])
        sheet = out.parent / "marks.yaml"
        sheet.write_text("- {student: alice, criterion: analyse, points: 1, comment: Feuille.}\n")
        imported = grader_command(
            "manual", "import", str(course_root(graded)), str(sheet), "--out", str(out)
        )
        assert imported.returncode == 0, imported.stderr
        mark = {"student": "alice", "criterion": "analyse", "items": [], "free_points": 4}
        mark["version"] = state["marks"]["alice"]["analyse"]["version"]
        status, _, body = server.request("POST", "/api/mark", mark)
        assert status == 409
        now = json.loads(body)["conflict"]["mark"]
        assert (now["free_points"], now["comment"]) == (1, "Feuille.")  # the sheet's mark, shown
        assert current_marks(out)[("alice", "analyse")] == (1, True, "Feuille.")
        assert server.request("POST", "/api/mark", {**mark, "version": now["version"]})[0] == 200
    assert current_marks(out)[("alice", "analyse")] == (4, True, None)


def add_item(page: Page, points: str, comment: str) -> None:
    page.eval(
        f"document.querySelector('.new-points').value = {json.dumps(points)}; "
        f"document.querySelector('.new-comment').value = {json.dumps(comment)}"
    )
    count = page.eval("S.data.items.length")
    page.click("button.add")
    page.wait(f"S.data.items.length === {count + 1}")


def marks_on_page(page: Page, criterion: str) -> dict[str, float | None]:
    return dict(
        page.eval(
            f"S.data.students.map((s) => [s, S.data.marks[s][{json.dumps(criterion)}].marked "
            f"? S.data.marks[s][{json.dumps(criterion)}].points : null])"
        )
    )


def test_mark_two_criteria_with_items_and_keys_then_edit_an_item(
    out: Path, graded: Path, browser: DevTools
) -> None:
    with serving(out, "--assignment", str(course_root(graded))) as server:
        page = Page(browser, server.url)
        assert page.eval("S.criterion") == "analyse" and page.student() == "alice"
        answer = page.eval("document.querySelector('#answers').innerText")
        assert (
            "Analyse de alice : la somme vaut 6." in answer and "2. Analyse de la somme" in answer
        )
        template = (
            "[...document.querySelectorAll('.part-markdown.template')].map((e) => e.textContent)"
        )
        assert page.eval(template) == [  # the question, told apart from the answer
            "## 2. Analyse de la somme",
            "Écrivez votre analyse ici.",
        ]
        add_item(page, "4", "Analyse juste et complète.")
        add_item(page, "2", "Analyse partielle.")
        add_item(page, "-1", "Sans unité.")
        page.key("1")  # alice: 4
        page.key("j")
        page.key("2")  # bruno: 2 - 1
        page.key("3")
        page.key("ArrowRight")
        assert page.student() == "chloe"
        shown = page.eval("document.querySelector('#answers').innerText")
        assert SCRIPT in shown and page.eval("window.pwned === undefined")  # text, never run
        page.key("2")  # chloe: 2, and a free comment
        page.key("c")
        assert page.eval("document.activeElement.className") == "comment"
        page.type_into("textarea.comment", "Voir la correction.")
        page.eval("document.activeElement.blur()")
        page.key("j")
        page.key("1")  # david: 4
        assert marks_on_page(page, "analyse") == {"alice": 4, "bruno": 1, "chloe": 2, "david": 4}

        page.choose("criterion", "figure")
        figure = page.eval("document.querySelector('#answers').innerText")
        assert "Le graphique de david monte." in figure and "3. Votre graphique" in figure
        assert page.eval("document.querySelector('img.part-plot').naturalWidth") == 1
        add_item(page, "3", "Lecture correcte.")
        for student in reversed(STUDENTS):
            assert page.student() == student
            if student == "bruno":
                page.type_into(".free-points", "1,5")
            else:
                page.key("1")
            page.key("k")
        assert marks_on_page(page, "figure") == {"alice": 3, "bruno": 1.5, "chloe": 3, "david": 3}
        assert (
            page.eval("document.querySelector('tr[data-criterion=figure] .count').textContent")
            == "4 / 4"
        )
        spread = page.eval(
            "document.querySelector('tr[data-criterion=analyse] .spread').textContent"
        )
        assert spread == "1 pt × 1, 2 pt × 1, 4 pt × 2"

        page.choose("criterion", "analyse")
        partial = page.eval("S.data.items.find((i) => i.comment === 'Analyse partielle.').id")
        page.click(f"button[data-edit='{partial}']")
        page.wait("document.querySelector('.edit-form .uses') !== null")
        assert "2 copie(s)" in page.eval("document.querySelector('.edit-form .uses').textContent")
        page.eval(
            "document.querySelector('.edit-points').value = '1,5'; "
            "document.querySelector('.edit-comment').value = 'Analyse partielle : un argument manque.'"
        )
        page.click(".confirm-edit")
        page.wait("S.data.marks.chloe.analyse.points === 1.5")
        assert marks_on_page(page, "analyse") == {
            "alice": 4,
            "bruno": 0.5,
            "chloe": 1.5,
            "david": 4,
        }
        server.stop()
    errors = [
        e
        for e in browser.events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
    ]
    assert errors == []  # nor a script the page's policy blocked (it would log an error)

    assert current_marks(out)[("bruno", "analyse")] == (
        0.5, True, "Analyse partielle : un argument manque.\nSans unité."
    )  # fmt: skip
    assert current_marks(out)[("chloe", "analyse")][2] == (
        "Analyse partielle : un argument manque.\nVoir la correction."
    )
    with open(out / "moodle.csv", newline="", encoding="utf-8") as handle:
        moodle = {row["Username"]: row for row in csv.DictReader(handle)}
    assert {s: float(r["TP rédaction"]) for s, r in moodle.items()} == {
        "alice": 11.0, "bruno": 6.0, "chloe": 8.5, "david": 11.0,
    }  # fmt: skip
    assert "Lecture correcte." in moodle["alice"]["TP rédaction (feedback)"]
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "8 / 8 réponse(s) notée(s)" in summary and "<code>grader mark .</code>" in summary
    bruno = (out / "reports" / "bruno.html").read_text(encoding="utf-8")
    assert "Analyse partielle : un argument manque." in bruno and "6 / 11" in bruno


def test_a_killed_server_loses_no_mark(out: Path, browser: DevTools) -> None:
    with serving(out) as server:
        page = Page(browser, server.url)
        add_item(page, "3", "Bien.")
        page.key("1")  # alice
        page.key("j")
        page.type_into(".free-points", "2,5")  # bruno
        page.key("j")
        page.type_into("textarea.comment", "Sans points encore.")  # chloe: a comment only
        page.key("j")
        page.eval(  # david: typed, the field never left, then the tab closed
            "(() => { const f = document.querySelector('textarea.comment'); f.focus(); "
            "f.value = 'Tapé, onglet fermé.'; f.dispatchEvent(new Event('input')); })()"
        )
        page.wait("S.data.marks.david.analyse.comment !== ''")  # saved after a pause in typing
        assert page.eval("document.activeElement.className") == "comment"  # still in the field
        browser.send("Target.closeTarget", targetId=page.target)
        server.kill()  # SIGKILL: no clean end, no report rewritten
    assert current_marks(out) == {
        ("alice", "analyse"): (3, True, "Bien."),
        ("bruno", "analyse"): (2.5, True, None),
        ("chloe", "analyse"): (0, False, "Sans points encore."),
        ("david", "analyse"): (0, False, "Tapé, onglet fermé."),
        **{(s, "figure"): (0, False, None) for s in STUDENTS},
    }
    with serving(out) as again:
        page = Page(browser, again.url)
        assert marks_on_page(page, "analyse") == {
            "alice": 3, "bruno": 2.5, "chloe": None, "david": None,
        }  # fmt: skip
        assert page.eval("S.data.marks.chloe.analyse.comment") == "Sans points encore."
        page.key("j")
        page.key("1")  # the item is still there, and bruno's mark is built on
        assert marks_on_page(page, "analyse")["bruno"] == 4  # 2.5 + 3, at most the criterion's 4
        page.choose("mode", "student")  # bruno's whole notebook: both criteria, both panels
        assert page.eval("document.querySelectorAll('#answers section.answer').length") == 2
        assert page.eval("document.querySelectorAll('section.panel').length") == 2
        again.stop()
    alice = json.loads((out / "results" / "alice.json").read_text())
    assert {c["id"]: c["points"] for c in alice["criteria"]}["analyse"] == 3


def test_two_markers_on_one_answer_see_the_conflict(out: Path, browser: DevTools) -> None:
    with serving(out) as server:
        for points, comment in (("4", "Complet."), ("1", "Trop court.")):
            item = {"criterion": "analyse", "points": points, "comment": comment}
            assert server.request("POST", "/api/items", item)[0] == 200
        first, second = Page(browser, server.url), Page(browser, server.url)
        first.key("1")
        second.key("2")  # its page still holds alice's mark as unmarked
        assert "Modifiée ailleurs" in second.eval("document.querySelector('.conflict').textContent")
        assert second.eval("S.data.marks.alice.analyse.points") == 4  # shows what is now
        assert current_marks(out)[("alice", "analyse")] == (4, True, "Complet.")
        second.key("2")  # on the mark it now shows: saved
        assert second.eval("document.querySelector('.conflict')") is None
        assert current_marks(out)[("alice", "analyse")] == (5 - 1, True, "Complet.\nTrop court.")
        first.key("j")
        first.key("k")  # moving does not reload marks: first's next save on alice conflicts too
        first.key("1")
        assert first.eval("document.querySelector('.conflict') !== null")
        assert current_marks(out)[("alice", "analyse")][2] == "Complet.\nTrop court."
        first.click("#render")  # on demand, while marking goes on
        first.wait("document.getElementById('status').textContent.includes('rapport')")
        alice = (out / "reports" / "alice.html").read_text(encoding="utf-8")
        assert "Complet." in alice and "Trop court." in alice


def test_an_anonymous_session_shows_stable_pseudonyms(out: Path, browser: DevTools) -> None:
    with serving(out, "--anonymous") as server:
        page = Page(browser, server.url)
        shown = page.eval("S.data.students")
        assert all(s.startswith("copie-") for s in shown) and len(set(shown)) == 4
        header = page.eval(
            "document.querySelector('header').innerText + document.querySelector('#answers h2').innerText"
        )
        assert not any(name in header for name in STUDENTS)
        first = page.student()
        add_item(page, "2", "Correct.")
        page.key("1")
        server.kill()
    marked = [s for (s, c), m in current_marks(out).items() if c == "analyse" and m[1]]
    assert len(marked) == 1
    with closing(MarkingStore(out / "gradebook.sqlite")) as store:
        assert store.pseudonym(marked[0]) == first  # the mark is on the student shown
    with serving(out, "--anonymous") as again:
        assert Page(browser, again.url).eval("S.data.students") == shown  # the same pseudonyms
        state = json.loads(again.request("GET", "/api/state")[2])
        assert state["marks"][first]["analyse"]["points"] == 2
        assert not any(name in json.dumps(state) for name in STUDENTS)
