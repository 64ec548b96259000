"""Tables of outputs as spreadsheets write them (issue 20, point 6): cp1252 and `;` from a
French Excel, BOMs, UTF-16, tabs; one bad cell loses only itself; every warning on stderr."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.bench.cli import bench
from grader.bench.records import read_outputs
from grader.errors import ConfigError

RUBRIC = Path(__file__).parent.parent / "rubrics" / "tp3-prompting-bench.yaml"

# As French Excel saves "CSV (séparateur : point-virgule)": cp1252, `;`, CRLF, a "nom" column,
# a decimal comma, a grade of 3, a quoted output over two lines, a hostile student id.
EXCEL_ROWS = [
    "student;nom;case;prompt;output;grade",
    "alice;Ève Lœuvre;a01;zero-shot;positif;2",  # line 2
    "alice;Ève Lœuvre;a02;zero-shot;négatif;3",  # line 3: bad grade, output still scored
    'alice;Ève Lœuvre;a03;zero-shot;"neutre,\r\nje crois";2,0',  # lines 4-5
    "alice;Ève Lœuvre;a01;zero-shot;négatif;0",  # line 6: duplicate (case, prompt)
    "alice;Ève Lœuvre;z99;zero-shot;positif;1",  # line 7: unknown case
    "alice;Ève Lœuvre;a04;zero-shot-v2;positif;1",  # line 8: unknown prompt
    "../bob;Bob;a01;zero-shot;positif;2",  # line 9: hostile student id
    "carol;Carol;a01;zero-shot",  # line 10: no output (a row cut short)
]


@pytest.fixture(scope="module")
def excel_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("excel")
    table = folder / "sorties.csv"
    table.write_bytes("\r\n".join(EXCEL_ROWS).encode("cp1252") + b"\r\n")
    result = CliRunner().invoke(bench, ["score", str(RUBRIC), str(table), "--out", str(folder)])
    return folder, result


def test_a_cp1252_semicolon_table_is_scored(excel_run: tuple[Path, object]) -> None:
    folder, result = excel_run
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    alice = json.loads((folder / "results/alice.json").read_text(encoding="utf-8"))
    cases = {c["case"]: c for c in alice["prompts"][0]["cases"]}
    assert cases["a01"]["output"] == "positif"  # the first of the duplicates
    assert cases["a02"]["output"] == "négatif"  # read as cp1252
    assert cases["a02"]["student_grade"] is None  # the bad grade only is lost
    assert cases["a02"]["grade"] == 2
    assert cases["a03"]["output"] == "neutre,\r\nje crois"
    assert cases["a03"]["student_grade"] == 2  # "2,0", a French decimal comma
    assert not (folder / "results/carol.json").exists()  # her only row had no output


def test_every_problem_is_in_the_report_and_on_stderr(excel_run: tuple[Path, object]) -> None:
    folder, result = excel_run
    stderr = result.stderr  # type: ignore[attr-defined]
    table = folder / "sorties.csv"
    expected_on_terminal = [
        f"warning: {table}: not UTF-8, read as cp1252",
        f"warning: {table}: column(s) nom ignored",
        f"warning: {table}:3: grade: expected 0, 1 or 2, got '3'; the grade is ignored",
        f"warning: {table}:9: student: student id '../bob' may hold only letters",
        f"warning: {table}:10: output: required, but missing; row ignored",
        "warning: alice: sortie en double pour le cas « a01 » et le prompt « zero-shot »",
        "warning: alice: cas inconnu « z99 » ignoré (prompt « zero-shot »)",
        "warning: alice: prompt inconnu « zero-shot-v2 » ignoré (cas « a04 »)",
    ]
    for line in expected_on_terminal:
        assert line in stderr, (line, stderr)
    assert "warning" not in result.stdout  # type: ignore[attr-defined]
    alice = json.loads((folder / "results/alice.json").read_text(encoding="utf-8"))
    assert (
        "ligne 3 du tableau, colonne grade : note « 3 » ignorée : attendu 0, 1 ou 2"
        in (alice["warnings"])
    )
    assert any("sortie en double" in w for w in alice["warnings"])
    page = (folder / "reports/alice.html").read_text(encoding="utf-8")
    assert "note « 3 » ignorée" in page


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "student,case,prompt,output\nalice,a01,p,été\n".encode(), "utf-8"),
        ("student\tcase\tprompt\toutput\nalice\ta01\tp\tété\n".encode("utf-16"), "utf-16"),
        ("student;case;prompt;output\nalice;a01;p;été\n".encode("latin-1"), "cp1252"),
        ("student,case,prompt,output\nalice,a01,p,été\n".encode(), "utf-8"),
    ],
)
def test_common_encodings_and_separators(tmp_path: Path, data: bytes, encoding: str) -> None:
    table = tmp_path / "t.csv"
    table.write_bytes(data)
    read = read_outputs(table)
    assert [(r.student, r.case, r.prompt, r.output) for r in read.rows] == [
        ("alice", "a01", "p", "été")
    ]
    notices = [] if encoding == "utf-8" else [f"{table}: not UTF-8, read as {encoding}"]
    assert read.notices == notices


def test_lone_surrogates_and_controls_are_made_safe(tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl"
    row = {
        "student": "alice",
        "case": "a01",
        "prompt": "zero-shot",
        "output": "positif \ud800\x1b[2J",
    }
    table.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = CliRunner().invoke(bench, ["score", str(RUBRIC), str(table), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    alice = json.loads((tmp_path / "results/alice.json").read_text(encoding="utf-8"))
    assert alice["prompts"][0]["cases"][0]["output"] == "positif \ufffd\\x1b[2J"


def test_a_bad_jsonl_line_loses_only_that_line(tmp_path: Path) -> None:
    table = tmp_path / "t.jsonl"
    good = {"student": "alice", "case": "a01", "prompt": "p", "output": "x", "grade": 7}
    table.write_text(f"{json.dumps(good)}\n{{oops\n[1]\n" + json.dumps({**good, "case": "a02"}))
    read = read_outputs(table)
    assert [r.case for r in read.rows] == ["a01", "a02"]
    assert [(p.error.line, p.error.field) for p in read.problems] == [
        (1, "grade"),
        (2, None),
        (3, None),
        (4, "grade"),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["--encoding", "utf-8"], ":3: not valid utf-8: invalid continuation byte"),
    ],
)
def test_a_wrong_encoding_is_an_error_naming_the_line(
    tmp_path: Path, options: list[str], message: str
) -> None:
    table = tmp_path / "t.csv"
    table.write_bytes(
        "student;case;prompt;output\nalice;a01;p;x\nalice;a02;p;été\n".encode("cp1252")
    )
    result = CliRunner().invoke(
        bench, ["score", str(RUBRIC), str(table), "--out", str(tmp_path), *options]
    )
    assert result.exit_code == 2
    assert message in result.output
    with pytest.raises(ConfigError):
        read_outputs(table, options[1])
