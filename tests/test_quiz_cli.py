"""`grader quiz` end to end through click: exit codes, error lines, the files written."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.quiz.cli import quiz
from grader.quiz.shuffle import build_form
from grader.quiz.spec import load_quiz

COURSE_QUIZ = Path(__file__).parent.parent / "quizzes" / "qcm-transformers.yaml"

MINI = """\
id: mini
title: Mini QCM
scale: {total: 20, grain: 0.5}
questions:
  - id: q1
    kind: multiple
    topics: [attention]
    text: 'Formule $QK^\\top$ : lesquels ?'
    options:
      - {text: Alpha, correct: true, feedback: Oui}
      - {text: Bêta, feedback: Non}
      - {text: Gamma, correct: true}
      - {text: Aucune, fixed: true, exclusive: true}
  - id: q2
    kind: numeric
    topics: [metrics]
    text: Combien ?
    answers: [{value: 2.5, tolerance: 0.01}]
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(quiz, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    return path


def assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_score_writes_results_reports_gradebook_and_item_analysis(mini: Path) -> None:
    Path("r.csv").write_text('student,q1,q2\nalice,a;c,"2,5"\nbob,b,3\nchloe,,\n', encoding="utf-8")
    code, out, err = run("score", "mini.yaml", "r.csv", "--out", "notes")
    assert (code, err) == (0, "")
    assert re.search(r"alice\s+20 / 20", out)
    alice = json.loads(Path("notes/results/alice.json").read_text(encoding="utf-8"))
    assert (alice["schema_version"], alice["kind"], alice["quiz"], alice["student"]) == (
        1,
        "quiz",
        "mini",
        "alice",
    )
    assert (alice["score"], alice["max_score"]) == (20, 20)
    q1 = next(q for q in alice["questions"] if q["question_id"] == "q1")
    assert (q1["reason"], q1["selected"], q1["key"]) == ("ok", ["a", "c"], ["a", "c"])
    assert q1["answer_mapping"] == {q1["displayed"][0]: "a", q1["displayed"][1]: "c"}
    bob = json.loads(Path("notes/results/bob.json").read_text(encoding="utf-8"))
    assert [q["reason"] for q in sorted(bob["questions"], key=lambda q: q["question_id"])] == [
        "partial",
        "wrong",
    ]  # AMC default: the unticked wrong option d counts
    rows = list(
        csv.DictReader(Path("notes/gradebook.csv").read_text(encoding="utf-8").splitlines())
    )
    assert [(r["student"], r["score"], r["q1"], r["q2"], r["status"]) for r in rows] == [
        ("alice", "20", "1", "1", "ok"),
        ("bob", "2.5", "0.25", "0", "ok"),
        ("chloe", "0", "0", "0", "ok"),
    ]
    report = Path("notes/reports/alice.html").read_text(encoding="utf-8")
    assert "<math" in report and "Résultat du QCM" in report
    assert_self_contained(report)
    analysis = Path("notes/item-analysis.html").read_text(encoding="utf-8")
    assert "<svg" in analysis and "α de Cronbach" in analysis
    assert_self_contained(analysis)


def test_score_json_and_topic_columns(mini: Path) -> None:
    Path("r.yaml").write_text("alice: {q1: [a, c], q2: '2,5'}\nbob: {q1: a}\n", encoding="utf-8")
    code, out, _ = run(
        "score", "mini.yaml", "r.yaml", "--out", "o", "--format", "json", "--columns", "topic"
    )
    assert code == 0
    payload = json.loads(out)
    assert [(s["student"], s["score"]) for s in payload["students"]] == [
        ("alice", 20),
        ("bob", 7.5),
    ]
    header = Path("o/gradebook.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "student,score,max_score,percent,attention,metrics,status"


def test_bad_rows_exit_2_name_the_row_and_keep_the_rest(mini: Path) -> None:
    Path("notes/results").mkdir(parents=True)
    Path("notes/results/zoe.json").write_text("{}", encoding="utf-8")  # an earlier run
    Path("r.csv").write_text(
        "student,q1,q2\nalice,a;c,2.5\nbob,a;z,1\nalice,a,1\n", encoding="utf-8"
    )
    code, _, err = run("score", "mini.yaml", "r.csv", "--out", "notes")
    assert code == 2
    assert err.splitlines() == [
        "warning: r.csv:3: bob.q1: invalid option 'z'; expected one of: a, b, c, d; "
        "this answer scores 0",
        "grader: r.csv:4: alice: duplicate student 'alice' (first seen at r.csv:2)",
    ]
    assert sorted(p.name for p in Path("notes/results").iterdir()) == [
        "alice.json",
        "bob.json",
        "zoe.json",
    ]
    rows = list(
        csv.DictReader(Path("notes/gradebook.csv").read_text(encoding="utf-8").splitlines())
    )
    assert [(r["student"], r["status"][:8]) for r in rows] == [
        ("alice", "ok"),
        ("bob", "ok"),
        ("alice", "invalid:"),
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["score", "absent.yaml", "r.csv", "--out", "o"], "grader: absent.yaml: file not found"),
        (["score", "mini.yaml", "absent.csv", "--out", "o"], "grader: absent.csv: file not found"),
        (
            ["score", "mini.yaml", "r.txt", "--out", "o"],
            "grader: r.txt: unknown answers format; expected .csv, .yaml, .json or .ipynb",
        ),
        (
            ["export", "bad.yaml", "--format", "gift"],
            "grader: bad.yaml:2: unknown key 'titel' (did you mean 'title'?)",
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(mini: Path, args: list[str], expected: str) -> None:
    Path("r.txt").write_text("x", encoding="utf-8")
    Path("bad.yaml").write_text(MINI.replace("title:", "titel:"), encoding="utf-8")
    code, _, err = run(*args)
    assert code == 2
    assert err.splitlines()[0].startswith(expected)


def test_render_is_stable_and_maps_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    quiz_path = str(COURSE_QUIZ)
    assert run("render", quiz_path, "--student", "alice", "--student", "bob", "--out", "a")[0] == 0
    assert run("render", quiz_path, "--student", "alice", "--out", "b")[0] == 0
    alice = Path("a/alice.html").read_text(encoding="utf-8")
    assert alice == Path("b/alice.html").read_text(encoding="utf-8")
    assert alice != Path("a/bob.html").read_text(encoding="utf-8")
    assert_self_contained(alice)
    assert 'id="key"' not in alice  # no key without --self-check
    form = json.loads(Path("a/alice.form.json").read_text(encoding="utf-8"))
    quiz = load_quiz(COURSE_QUIZ).spec
    expected = build_form(quiz, "alice")
    assert [q["id"] for q in form["questions"]] == expected.question_ids()
    # answer with the letters alice saw, score with --displayed: full marks
    answers = {}
    for asked in expected.questions:
        question = quiz.question(asked.question_id)
        if asked.option_order:
            answers[asked.question_id] = ";".join(
                asked.label_of(o) for o in sorted(question.correct_ids())
            )  # type: ignore[union-attr]
        elif question.kind == "true-false":
            answers[asked.question_id] = "vrai" if question.answer else "faux"  # type: ignore[union-attr]
        elif question.kind == "numeric":
            answers[asked.question_id] = f"{question.answers[0].value:.10g}"  # type: ignore[union-attr]
        else:
            answers[asked.question_id] = "rappel" if "rappel" in str(question) else "ug"
    Path("alice.json").write_text(json.dumps({"alice": answers}), encoding="utf-8")
    code, out, err = run("score", quiz_path, "alice.json", "--out", "n", "--displayed")
    assert (code, err) == (0, "")
    assert re.search(r"alice\s+20 / 20", out)


def test_render_self_check_embeds_the_feedback(mini: Path) -> None:
    assert run("render", "mini.yaml", "--student", "alice", "--out", "c", "--self-check")[0] == 0
    page = Path("c/alice.html").read_text(encoding="utf-8")
    assert 'id="key"' in page and "Vérifier" in page and "Oui" in page
    plain = run("render", "mini.yaml", "--student", "alice", "--out", "p")
    assert plain[0] == 0
    assert ">Non<" not in Path("p/alice.html").read_text(encoding="utf-8")


def test_export_to_file_and_stdout(mini: Path) -> None:
    code, out, err = run("export", "mini.yaml", "--format", "gift")
    assert code == 0 and out.startswith("// Mini QCM") and "::q1::" in out
    code, _, err = run("export", str(COURSE_QUIZ), "--format", "moodle", "--out", "qcm.xml")
    assert code == 0
    assert "warning: tok-bpe-fusion: answers[1]: a regular expression" in err
    assert "warning: pool 'decodage': its questions are in the category" in err
    assert Path("qcm.xml").read_text(encoding="utf-8").count('<question type="') == 40


@pytest.mark.parametrize("command", ["score", "render", "export", "import", "validate", "schema"])
def test_help_has_an_example(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Example:" in out and f"grader quiz {command}" in out


def test_report_section_shows_the_letters_seen_and_the_option_feedback() -> None:
    from grader.quiz.render import render_quiz_section
    from grader.quiz.responses import Ticks
    from grader.quiz.scoring import score_quiz
    from grader.quiz.spec import parse_quiz

    quiz = parse_quiz(MINI, "mini.yaml").spec
    form = build_form(quiz, "alice")
    result = score_quiz(quiz, form, {"q1": Ticks(frozenset({"a", "b"}), "")})
    seen = form.get("q1")
    assert seen is not None
    with_quiz = render_quiz_section(result, quiz)
    assert f"<strong>{seen.label_of('b')}</strong> : Non" in with_quiz
    assert "<math" in with_quiz and "sans réponse" in with_quiz
    without_quiz = render_quiz_section(result)
    assert "<code>q1</code>" in without_quiz and "Mini" not in without_quiz


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed to parse the JS")
def test_quiz_page_script_is_valid_javascript(mini: Path) -> None:
    assert run("render", "mini.yaml", "--student", "alice", "--out", "c", "--self-check")[0] == 0
    page = Path("c/alice.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    key = re.search(r'<script type="application/json" id="key">(.*?)</script>', page, re.S)
    assert scripts and key
    assert json.loads(key.group(1))["q2"] == {"numbers": [[2.5, 0.01]]}
    Path("page.js").write_text(scripts[0], encoding="utf-8")
    checked = subprocess.run(["node", "--check", "page.js"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


FRENCH_EXCEL = (
    # what Excel or LibreOffice in French save as « CSV »: cp1252, `;`, decimal commas, quoted
    # cells, CRLF, and the columns the instructor keeps beside the answers
    "Nom;Prénom;étudiant;Courriel;q1;q2\r\n"
    'Lefèvre;Zoé;zoe;zoe@exemple.fr;"a;c";"2,5"\r\n'
    'Nguyen;Bao;bao;bao@exemple.fr;"a;c";"2,5"\r\n'
    'Œuvre;Chloé;chloé;c@exemple.fr;"a;x";"2,5"\r\n'
)


def test_french_spreadsheet_cp1252_semicolons_extra_columns(mini: Path) -> None:
    Path("reponses.csv").write_bytes(FRENCH_EXCEL.encode("cp1252"))
    code, out, err = run("score", "mini.yaml", "reponses.csv", "--out", "notes")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[:3]] == ["zoe", "bao", "chloé"]
    assert err.splitlines() == [
        "warning: reponses.csv: not UTF-8, read as cp1252 (use --encoding if the accents look "
        "wrong)",
        "warning: reponses.csv:1: columns that are not question ids are ignored: Nom, Prénom, "
        "Courriel",
        "warning: reponses.csv:4: chloé.q1: invalid option 'x'; expected one of: a, b, c, d; "
        "this answer scores 0",
    ]
    lines = Path("notes/gradebook.csv").read_text(encoding="utf-8").splitlines()
    rows = {r["student"]: r for r in csv.DictReader(lines)}
    assert rows["zoe"]["score"] == "20"
    assert (rows["chloé"]["q1"], rows["chloé"]["q2"]) == ("0", "1")
    chloe = json.loads(Path("notes/results/chloé.json").read_text(encoding="utf-8"))
    q1 = next(q for q in chloe["questions"] if q["question_id"] == "q1")
    assert (q1["reason"], q1["given"]) == ("invalid", "a;x")
    assert q1["problem"] == "option « x » inconnue (options possibles : a, b, c, d)"
    report = Path("notes/reports/chloé.html").read_text(encoding="utf-8")
    assert "option « x » inconnue" in report and "réponse invalide" in report


@pytest.mark.parametrize(
    ("data", "args", "first"),
    [
        ("\ufeffétudiant,q1\nzoé,a;c\n".encode(), [], "zoé"),
        ("étudiant;q1\nzoé;a,c\n".encode("latin-1"), ["--encoding", "latin-1"], "zoé"),
        ("étudiant;q1\nzoé;a,c\n".encode("utf-16"), ["--encoding", "utf-16"], "zoé"),
    ],
)
def test_answers_in_any_common_encoding(
    mini: Path, data: bytes, args: list[str], first: str
) -> None:
    Path("r.csv").write_bytes(data)
    code, out, err = run("score", "mini.yaml", "r.csv", "--out", "o", *args)
    assert (code, err) == (0, "")
    assert out.split()[0] == first


def test_yaml_answers_in_cp1252_are_read_too(mini: Path) -> None:
    Path("r.yaml").write_bytes("zoé: {q1: a;c, q2: '2,5'}\n".encode("cp1252"))
    code, out, err = run("score", "mini.yaml", "r.yaml", "--out", "o")
    assert code == 0
    assert out.split()[0] == "zoé"
    assert err.startswith("warning: r.yaml: not UTF-8, read as cp1252")


def test_a_wrong_encoding_is_one_line_naming_the_file(mini: Path) -> None:
    Path("r.csv").write_bytes("étudiant;q1\nzoé;a\n".encode("cp1252"))
    code, _, err = run("score", "mini.yaml", "r.csv", "--out", "o", "--encoding", "utf-8")
    assert code == 2
    assert err.startswith("grader: r.csv: cannot read the file as utf-8: ")


def test_warnings_are_one_clean_line_whatever_the_student_wrote(mini: Path) -> None:
    Path("r.csv").write_text(
        'student,q1\n"eve\x1b[31m\rroot\nx",zz\n', encoding="utf-8", newline=""
    )
    code, _, err = run("score", "mini.yaml", "r.csv", "--out", "o")
    assert code == 0
    assert len(err.splitlines()) == 1
    assert "\x1b" not in err and "\r" not in err
    assert err.startswith("warning: r.csv:4: eve\\x1b[31m\\rroot\\nx.q1: invalid option")
