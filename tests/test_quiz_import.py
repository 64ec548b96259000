"""`grader quiz import`: Moodle XML, GIFT, AMC-TXT and Markdown banks become quizzes that score.

The Moodle XML and GIFT files here are written by hand from Moodle's documentation of the two
formats (docs.moodle.org/en/Moodle_XML_format, /GIFT_format and the importer's examples), not
produced by grader. What cannot be imported is listed with its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.errors import ConfigError
from grader.quiz.answers import AnswerSheet
from grader.quiz.cli import quiz
from grader.quiz.export import to_gift, to_moodle_xml
from grader.quiz.importers import import_quiz
from grader.quiz.render import render_quiz_page
from grader.quiz.run import score_sheets
from grader.quiz.schemes import Reason
from grader.quiz.shuffle import key_form
from grader.quiz.spec import Quiz, load_quiz, parse_quiz

COURSE = Path(__file__).parents[1] / "quizzes" / "qcm-transformers.yaml"

MOODLE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Géographie</text></category>
  </question>
  <question type="multichoice">
    <name><text>Capitale</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Quelle est la capitale de l'<b>Australie</b> ?</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text>Canberra depuis 1913.</text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html"><text>Canberra</text>
      <feedback format="html"><text>Oui.</text></feedback></answer>
    <answer fraction="0" format="html"><text>Sydney</text>
      <feedback format="html"><text>La plus grande ville, pas la capitale.</text></feedback></answer>
    <answer fraction="-50" format="html"><text>Vienne</text></answer>
  </question>
  <question type="category">
    <category><text>$course$/top/Géographie/Fleuves</text></category>
  </question>
  <question type="multichoice">
    <name><text>Fleuves d'Europe</text></name>
    <questiontext format="moodle_auto_format"><text>Lesquels traversent l'Europe ?
Cochez-les tous.</text></questiontext>
    <single>false</single>
    <shuffleanswers>0</shuffleanswers>
    <answer fraction="50"><text>Le Danube</text></answer>
    <answer fraction="50"><text>Le Rhin</text></answer>
    <answer fraction="-100"><text>Le Nil</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Plat</text></name>
    <questiontext format="html"><text>La Terre est plate.</text></questiontext>
    <answer fraction="0"><text>true</text><feedback><text>Non.</text></feedback></answer>
    <answer fraction="100"><text>false</text><feedback><text>Exact.</text></feedback></answer>
  </question>
  <question type="shortanswer">
    <name><text>Océan</text></name>
    <questiontext format="html"><text>Le plus grand océan ?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>Pacifique</text></answer>
    <answer fraction="50"><text>*Pacif*</text></answer>
  </question>
  <question type="numerical">
    <name><text>Everest</text></name>
    <questiontext format="html"><text>Altitude de l'Everest, en mètres ?</text></questiontext>
    <answer fraction="100"><text>8849</text><tolerance>10</tolerance></answer>
    <answer fraction="0"><text>*</text><feedback><text>Non.</text></feedback></answer>
  </question>
  <question type="essay">
    <name><text>Rédaction</text></name>
    <questiontext format="html"><text>Décrivez un volcan.</text></questiontext>
  </question>
  <question type="matching">
    <name><text>Pays et capitales</text></name>
    <questiontext format="html"><text>Associez.</text></questiontext>
  </question>
</quiz>
"""

GIFT = """\
// Exemples de la documentation de Moodle (GIFT format)
$CATEGORY: $course$/Grant

::Tombe::Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}

//comment before a question
::Faux::Grant is buried in Grant's tomb.{F}

::Qui::Who's buried in Grant's tomb?{=no one =nobody}

::Naissance::When was Ulysses S. Grant born?{#1822:5}

::Poids::What two people are entombed in Grant's tomb? {
   ~%-50%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-50%Grant's father
}

::Pi::What is the value of pi (to 3 decimal places)? {#3.141..3.142 ~#Non, 3,14159…}

::Soleil::The sun rises in the East.{T#Non, à l'est.#Oui.}

::Escapes::Which answer equals 5? {
   ~ \\= 2 + 2
   = \\= 2 + 3
   ~ \\= 2 + 4
}

Grant is {~buried =entombed ~living} in Grant's tomb.

Match the following countries with their corresponding capitals. {
   =Canada -> Ottawa
   =Italy  -> Rome
}

Write a short biography of Dag Hammarskjöld. {}
"""


def imported(tmp_path: Path, name: str, text: str, **options: object) -> tuple[Quiz, list[str]]:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    yaml_text, draft = import_quiz(source, **options)  # type: ignore[arg-type]
    skipped = [f"{item.line}: {item.what}" for item in draft.skipped]
    return parse_quiz(yaml_text).spec, skipped


def score(quiz_: Quiz, student: str, answers: dict[str, object]) -> dict[str, float]:
    sheet = AnswerSheet(student, answers, Path("r.csv"), 2)  # type: ignore[arg-type]
    results, warnings = score_sheets(quiz_, [sheet])
    assert warnings == []
    return {q.question_id: q.points for q in results[0].questions}


def test_moodle_xml_from_the_documentation(tmp_path: Path) -> None:
    bank, skipped = imported(tmp_path, "geo.xml", MOODLE_XML)
    assert skipped == [
        "56: question 'Rédaction' of type 'essay'",
        "60: question 'Pays et capitales' of type 'matching'",
    ]
    assert bank.title == "Géographie"
    assert [q.id for q in bank.questions] == [
        "Capitale",
        "Fleuves-d-Europe",
        "Plat",
        "Ocean",
        "Everest",
    ]
    capital = bank.question("Capitale")
    assert (capital.kind, capital.points, capital.format) == ("single", 2, "html")
    rivers = bank.question("Fleuves-d-Europe")
    assert rivers.topics == ("Fleuves",)
    assert rivers.text == "Lesquels traversent l'Europe ?<br>\nCochez-les tous."
    marks = score(
        bank,
        "ana",
        {
            "Capitale": "c",  # Vienne: -50 %
            "Fleuves-d-Europe": "a;b;c",  # 50 + 50 - 100
            "Plat": "faux",
            "Ocean": "pacifique",
            "Everest": "8 840",
        },
    )
    assert marks == {
        "Capitale": -1,
        "Fleuves-d-Europe": 0,
        "Plat": 1,
        "Ocean": 1,
        "Everest": 1,
    }
    assert score(bank, "bob", {"Ocean": "Océan Pacifique"})["Ocean"] == 0.5  # *Pacif*
    # and back to Moodle with the same fractions
    exported = to_moodle_xml(bank).text
    assert 'fraction="-50"' in exported and 'fraction="-100"' in exported


def test_gift_from_the_documentation(tmp_path: Path) -> None:
    bank, skipped = imported(tmp_path, "grant.gift", GIFT)
    assert skipped == [
        "30: 'Grant is {~buried =entombed ~living} in ': a missing-word question (text after "
        "the answers)",
        "32: 'Match the following countries with their': a matching question",
        "37: 'Write a short biography of Dag Hammarskj': an essay (empty answer block)",
    ]
    assert bank.title == "Grant"
    kinds = {q.id: q.kind for q in bank.questions}
    assert kinds == {
        "Tombe": "single",
        "Faux": "true-false",
        "Qui": "short-text",
        "Naissance": "numeric",
        "Poids": "multiple",
        "Pi": "numeric",
        "Soleil": "true-false",
        "Escapes": "single",
    }
    sun = bank.question("Soleil")
    assert (sun.answer, sun.feedback_true, sun.feedback_false) == (True, "Oui.", "Non, à l'est.")
    assert to_gift(bank).text.count("{T#Non, à l'est.#Oui.}") == 1
    escapes = bank.question("Escapes")
    assert escapes.options[1].text == "= 2 + 3" and escapes.options[1].correct
    marks = score(
        bank,
        "ana",
        {
            "Tombe": "c",
            "Faux": "faux",
            "Qui": "Nobody",
            "Naissance": "1826",
            "Poids": "b;d",  # 50 - 50
            "Pi": "3,1415",
            "Soleil": "vrai",
            "Escapes": "b",
        },
    )
    assert marks == {
        "Tombe": 1,
        "Faux": 1,
        "Qui": 1,
        "Naissance": 1,
        "Poids": 0,
        "Pi": 1,
        "Soleil": 1,
        "Escapes": 1,
    }
    assert score(bank, "bob", {"Poids": "b;c", "Naissance": "1828"}) == {
        **dict.fromkeys(kinds, 0.0),
        "Poids": 1,
    }


AMC_TXT = """\
# Source AMC-TXT (syntax of AMC's reader, AMC-perl/AMC/Filter/plain.pm)
Title: Géographie (AMC)
Lang: FR

* Quelle est la capitale de la France ?
+ Paris
- Lyon
-Marseille

*(
**[id=villes]{b=2,m=-1} Lesquelles de ces villes
sont en Europe ?
+ Rome
+ Oslo
- Lima
- Quito
*)

**{haut=3} Lesquels sont des fleuves ?
+ Seine
+ Loire
- Alpes

*<lines=3> Expliquez pourquoi.

*[indicative] Aimez-vous la géographie ?
+ Oui
- Non

**{formula=NB} Inconnu ?
+ a
- b

* Un barème par réponse ?
+{b=2} a
- b
"""


def test_amc_txt_sums_raw_scores_as_amc(tmp_path: Path) -> None:
    bank, skipped = imported(tmp_path, "geo.txt", AMC_TXT)
    assert skipped == [
        "3: global option 'Lang: FR' has no counterpart in grader",
        "24: an open question (*<…>) is not a choice question",
        "26: an indicative question is not scored",
        "30: scoring 'formula=NB': 'formula=NB' is not key=number",
        "34: a scoring on an answer ({…} after + or -) is not kept",
    ]
    assert bank.title == "Géographie (AMC)"
    assert [(q.id, q.kind) for q in bank.questions] == [
        ("q1", "single"),
        ("villes", "multiple"),
        ("q3", "multiple"),
        ("q4", "multiple"),
        ("q5", "single"),
    ]
    assert [option.text for option in bank.question("q1").options] == ["Paris", "Lyon", "Marseille"]
    assert bank.question("villes").text == "Lesquelles de ces villes\nsont en Europe ?"
    marks = score(bank, "ana", {"q1": "a", "villes": "a;c", "q3": "a;b", "q4": "a"})
    # b=2, m=-1 over 4 boxes: a, d well handled (2 + 2), b, c wrong (-1 - 1); haut=3: 3 - 0;
    # q4 keeps the default (its formula is not imported): 2 boxes well handled
    assert marks == {"q1": 1, "villes": 2, "q3": 3, "q4": 2, "q5": 0}


CHECKLIST = """\
# QCM — Attention

## Question 1
Que calcule le produit $QK^\\top$ ? (plusieurs réponses possibles)

- [ ] Les valeurs
- [ ] Les scores d'attention, avant le softmax
- [ ] Une matrice de taille $n \\times n$

**2.** Quelle fonction normalise les scores ?

- [ ] ReLU
- [ ] softmax

3. Combien de têtes a BERT-base ?

4. Quel module mélange les positions ?
- [ ] l'attention
- [ ] le MLP
- [ ] la normalisation

## Corrigé
1. B, C
2. b
3. 12
4. D
"""


def test_markdown_checklist_with_its_corrige(tmp_path: Path) -> None:
    bank, skipped = imported(tmp_path, "attention.md", CHECKLIST)
    assert skipped == ["26: the key gives 'D' to question 4, which has 3 options"]
    assert bank.title == "QCM — Attention"
    first = bank.question("q1")
    assert (first.kind, first.text) == ("multiple", "Que calcule le produit $QK^\\top$ ?")
    assert [option.correct for option in first.options] == [False, True, True]
    assert bank.question("q2").kind == "single"
    assert bank.question("q3").kind == "numeric"
    assert score(bank, "ana", {"q1": "b;c", "q2": "b", "q3": "12"}) == {
        "q1": 1,
        "q2": 1,
        "q3": 1,
    }


def test_markdown_key_in_a_separate_file(tmp_path: Path) -> None:
    questions = CHECKLIST.split("## Corrigé")[0]
    key = tmp_path / "corrige.md"
    key.write_text("Corrigé\n- Q1 : b et c\n- Q2 : B\n- Q3 : 12\n- Q4 : A\n", encoding="utf-8")
    bank, skipped = imported(tmp_path, "attention.md", questions, key=key)
    assert skipped == []
    assert bank.question("q4").options[0].correct


@pytest.mark.parametrize("kind", ["moodle", "gift"])
def test_round_trip_of_the_course_quiz_is_identical(tmp_path: Path, kind: str) -> None:
    course = load_quiz(COURSE).spec
    export = to_moodle_xml if kind == "moodle" else to_gift
    first = export(course).text
    source = tmp_path / ("qcm.xml" if kind == "moodle" else "qcm.gift")
    source.write_text(first, encoding="utf-8")
    yaml_text, draft = import_quiz(source)
    assert draft.skipped == []
    again = parse_quiz(yaml_text).spec
    assert export(again).text == first
    # the imported quiz (scheme moodle, the exported fractions) scores as the course quiz
    student = AnswerSheet("zoe", {"tok-sous-mots": "a;b", "qkv-roles": "a"}, source, 2)
    for question_id in ("tok-sous-mots", "qkv-roles"):
        here = score_sheets(course, [student])[0][0].question(question_id)
        there = score_sheets(again, [student])[0][0].question(question_id)
        assert here is not None and there is not None
        assert (here.points, here.reason) == (there.points, there.reason)


def test_hostile_sources(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<quiz>&lol2;</quiz>\n'
    )
    with pytest.raises(ConfigError, match=r"bomb.xml:1: a DOCTYPE is not accepted"):
        imported(tmp_path, "bomb.xml", bomb)
    huge = tmp_path / "huge.gift"
    with huge.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: its size is what is refused
    with pytest.raises(ConfigError, match=r"huge.gift: too large to import \(22020096 bytes"):
        import_quiz(huge)
    with pytest.raises(ConfigError, match=r"broken.xml:3: invalid XML: mismatched tag"):
        imported(tmp_path, "broken.xml", "<quiz>\n<question type='x'>\n</quiz>")
    script = MOODLE_XML.replace(
        "<![CDATA[<p>Quelle", "<![CDATA[<script>alert(1)</script><p onclick='x()'>Quelle"
    )
    bank, _ = imported(tmp_path, "geo.xml", script)
    page = render_quiz_page(bank, key_form(bank))
    assert "alert(1)" not in page and "x()" not in page
    assert "<b>Australie</b>" in page


def test_cli_lists_what_was_skipped_and_writes_a_quiz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("grant.gift").write_bytes(GIFT.encode("cp1252", errors="replace"))
    result = CliRunner().invoke(quiz, ["import", "grant.gift", "--out", "quizzes/grant.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "quizzes/grant.yaml: 8 questions, 3 items skipped\n"
    assert result.stderr.splitlines()[0] == (
        "warning: grant.gift:30: not imported: 'Grant is {~buried =entombed ~living} in ': "
        "a missing-word question (text after the answers)"
    )
    data = yaml.safe_load(Path("quizzes/grant.yaml").read_text(encoding="utf-8"))
    assert data["id"] == "grant" and data["scheme"] == {"kind": "moodle"}
    assert load_quiz("quizzes/grant.yaml").spec.question("Poids").kind == "multiple"
    result = CliRunner().invoke(quiz, ["import", "absent.xml", "--out", "x.yaml"])
    assert (result.exit_code, result.stderr) == (2, "grader: absent.xml: file not found\n")


def test_reasons_are_kept_for_an_imported_question(tmp_path: Path) -> None:
    bank, _ = imported(tmp_path, "geo.xml", MOODLE_XML)
    sheet = AnswerSheet("eve", {"Capitale": "z"}, Path("r.csv"), 3)
    results, warnings = score_sheets(bank, [sheet])
    assert warnings and results[0].question("Capitale").reason == Reason.INVALID  # type: ignore[union-attr]
