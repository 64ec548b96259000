"""Messages as data: a key and parameters, rendered in French or English; hostile ones fall back.

The English-report test grades failing students through the CLI with `--lang en` and scans what
a reader sees for French words of the catalogues.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader import formats, messages
from grader.messages import localized, say, seconds, size
from grader.report import i18n
from tests.conftest import EXAMPLES, ROOT, TP_ATTENTION

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def words(text: str) -> set[str]:
    """Lower-case words, an elision split off (« l'attention » -> « l », « attention »)."""
    return {part for word in WORD.findall(text.lower()) for part in word.split("'") if part}


def catalogue_french_words() -> set[str]:
    """Words of the catalogues' French side that their English side never uses."""
    both = [*messages.catalogue().values(), *i18n.catalogue().values()]
    french = set().union(*(words(fr) for fr, _ in both))
    english = set().union(*(words(en) for _, en in both))
    return {w for w in french if w not in english and len(w) > 1}


def test_a_message_renders_in_both_languages() -> None:
    said = say(
        "expect.off_many",
        place=say("place.element", what="sortie", index="1, 2"),
        got=0.84713,
        expected=0.4011,
        wrong=1200,
        total=12345,
    )
    assert said.text("fr") == (
        "sortie, élément [1, 2] : 0,8471, attendu 0,4011 (1 200 valeurs sur 12 345 hors tolérance)"
    )
    assert said.text("en") == (
        "sortie, element [1, 2]: 0.8471, expected 0.4011 "
        "(1,200 values out of 12,345 outside the tolerance)"
    )
    stored = json.loads(json.dumps(said.to_data()))  # as in results/<student>.json
    assert localized("expect.off_many", stored, "?", "en") == said.text("en")


def test_units_render_with_the_languages_decimal_mark() -> None:
    limit = say("limit.memory", subject=say("subject.cell", cell=3), limit=size(1536 * 1024**2))
    assert limit.text("fr").startswith("La cellule 3 a dépassé la limite de mémoire de 1,5 Gio")
    assert limit.text("en").startswith("Cell 3 went over the memory limit of 1.5 GiB")
    assert say("probe.timeout", subject="x", limit=seconds(2.5)).text("en") == (
        "x gave no answer in 2.5 s"
    )


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("no.such.key", {}),  # a key from another grader, or edited
        ("expect.off", {"place": "x"}),  # a parameter missing
        ("expect.off", {"place": {"key": "kind.list"}, "got": 1, "expected": 2}),  # no params
        ("expect.off", {"place": [1], "got": 1, "expected": 2}),  # a list outside join.*
        ("join.or", {"items": "ab"}),  # join items that are not a list
        ("size", {"value": "huge"}),  # a unit that is no number
    ],
)
def test_hostile_keys_and_parameters_fall_back_to_the_stored_french(
    key: str, params: dict[str, object]
) -> None:
    assert localized(key, params, "le texte stocké", "en") == "le texte stocké"


def test_a_nesting_too_deep_falls_back() -> None:
    nested: dict[str, object] = {"key": "kind.list", "params": {}}
    for _ in range(50):
        nested = {"key": "static.which", "params": {"path": nested}}
    assert localized("static.which", {"path": nested}, "stocké", "en") == "stocké"


@pytest.mark.parametrize(
    ("function", "value", "french", "english"),
    [
        (formats.points, 15.8333, "15,83", "15.83"),
        (formats.points, 20.0, "20", "20"),
        (formats.percent, 79.0, "79 %", "79%"),
        (formats.number, 0.84713, "0,8471", "0.8471"),
        (formats.number, float("nan"), "NaN", "NaN"),
        (formats.count, 100_000, "100 000", "100,000"),
        (formats.seconds, 1.25, "1,2 s", "1.2 s"),
        (formats.size, 64 * 1024**2, "64 Mio", "64 MiB"),
    ],
)
def test_one_formatter_per_kind_of_number(function, value, french: str, english: str) -> None:
    assert function(value, "fr") == french and function(value, "en") == english


def test_dates_are_local_and_human(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        assert formats.date("2026-11-22T05:00:00+00:00", "fr") == "22 novembre 2026 à 06:00"
        assert formats.date("2026-07-01T12:30:00+00:00", "en") == "1 July 2026, 14:30"
        assert formats.date("not a date", "fr") == "not a date"
    finally:
        monkeypatch.undo()
        time.tzset()


# --- an English report, through the CLI ---------------------------------------------------

STUDENTS = ("bruno", "farid", "hugo")  # wrong answers; a function that raises; a cell time limit


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("style", "script", "title")
        self.parts.extend(value or "" for name, value in attrs if name == "aria-label")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "script", "title")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: Path) -> str:
    parser = VisibleText()
    parser.feed(page.read_text(encoding="utf-8"))
    return " ".join(parser.parts)


def instructors_words() -> set[str]:
    """What the instructor wrote and a report shows as written: the assignment's and the
    rubric's titles, and what checks.py names a value (an expectation's `what`)."""
    titles = [TP_ATTENTION / "assignment.yaml", ROOT / "rubrics" / "tp-attention.yaml"]
    tree = ast.parse((TP_ATTENTION / "checks.py").read_text(encoding="utf-8"))
    named = [k.value for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg == "what"]
    named += [
        default
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for argument, default in zip(
            function.args.args[::-1], function.args.defaults[::-1], strict=False
        )
        if argument.arg == "what"
    ]
    texts = [n.value for part in named for n in ast.walk(part) if isinstance(n, ast.Constant)]
    shown = [text for text in texts if isinstance(text, str)]
    written = [path.read_text(encoding="utf-8") for path in titles] + shown
    return set().union(*map(words, written))


def students_words(out: Path) -> set[str]:
    """What the students' code said, shown as it said it: its errors, its exceptions' texts."""
    said: set[str] = set()
    for student in STUDENTS:
        result = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
        said |= set().union(
            *(words(cell.get("error") or "") for cell in result["execution"]["cells"])
        )
        for criterion in result["criteria"]:
            for check in criterion["checks"]:
                said |= words(str((check.get("message_params") or {}).get("message", "")))
    return said


@pytest.fixture(scope="module")
def english_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("english")
    notebooks = [str(EXAMPLES / f"{student}.ipynb") for student in STUDENTS]
    command = [sys.executable, "-m", "grader", "grade", str(TP_ATTENTION), *notebooks]
    command += ["--out", str(out), "--lang", "en", "-j", "2"]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert completed.returncode == 1, completed.stderr  # bruno and farid fail checks
    return out


@pytest.mark.kernel
@pytest.mark.slow
def test_an_english_report_has_no_french_word_of_the_catalogue(english_class: Path) -> None:
    french = catalogue_french_words() - instructors_words() - students_words(english_class)
    assert {"attendu", "élément", "cellule", "limite", "fonction"} <= french  # the list is real
    for page in [english_class / "summary.html"] + [
        english_class / "reports" / f"{student}.html" for student in STUDENTS
    ]:
        found = sorted(words(visible_text(page)) & french)
        assert not found, f"{page.name}: French words in the English report: {found}"


@pytest.mark.kernel
@pytest.mark.slow
def test_the_results_keep_the_french_text_beside_the_key(english_class: Path) -> None:
    bruno = json.loads((english_class / "results" / "bruno.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for criterion in bruno["criteria"] for c in criterion["checks"]}
    failed = checks["sdpa.exemple"]
    assert "attendu" in failed["message"] and failed["message_key"] == "expect.off_many"
    english = localized(failed["message_key"], failed["message_params"], "", "en")
    assert "expected" in english and english in visible_text(
        english_class / "reports" / "bruno.html"
    )
    hugo = json.loads((english_class / "results" / "hugo.json").read_text(encoding="utf-8"))
    assert hugo["execution"]["message"].startswith("La cellule 13 a dépassé la limite de 15 s")
    assert hugo["execution"]["message_key"] == "limit.interrupted"
