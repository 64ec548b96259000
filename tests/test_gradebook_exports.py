"""Exports derived from graded results: JUnit XML (against a schema), Gradescope, Moodle, JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from grader.gradebook.export import gradebook_csv, gradebook_json, junit_xml
from grader.gradebook.exporters import EXPORTERS, ClassInfo
from grader.gradebook.lms import gradescope_results, moodle_csv
from grader.output_tree import write_class_files
from grader.results import Outcome, report_from_dict
from tests.report_builders import SECRET, late, make_report

# The JUnit XML format as Ant, Maven Surefire, Jenkins and GitLab read it, written as an XSD:
# testsuites > testsuite > testcase > failure | error | skipped | system-out | system-err.
JUNIT_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="count"><xs:restriction base="xs:nonNegativeInteger"/></xs:simpleType>
  <xs:simpleType name="seconds"><xs:restriction base="xs:decimal">
    <xs:minInclusive value="0"/></xs:restriction></xs:simpleType>
  <xs:complexType name="outcome" mixed="true">
    <xs:attribute name="message" type="xs:string"/>
    <xs:attribute name="type" type="xs:string"/>
  </xs:complexType>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="count"/>
      <xs:attribute name="failures" type="count"/>
      <xs:attribute name="errors" type="count"/>
      <xs:attribute name="skipped" type="count"/>
      <xs:attribute name="time" type="seconds"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType><xs:sequence>
            <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
              <xs:complexType>
                <xs:attribute name="name" type="xs:string" use="required"/>
                <xs:attribute name="value" type="xs:string" use="required"/>
              </xs:complexType>
            </xs:element>
          </xs:sequence></xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:choice minOccurs="0">
                <xs:element name="failure" type="outcome"/>
                <xs:element name="error" type="outcome"/>
                <xs:element name="skipped" type="outcome"/>
              </xs:choice>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              <xs:element name="system-err" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="seconds"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="count" use="required"/>
      <xs:attribute name="failures" type="count" use="required"/>
      <xs:attribute name="errors" type="count" use="required"/>
      <xs:attribute name="skipped" type="count"/>
      <xs:attribute name="time" type="seconds"/>
      <xs:attribute name="timestamp" type="xs:dateTime"/>
      <xs:attribute name="hostname" type="xs:string"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(JUNIT_XSD.encode()))


def test_junit_validates_against_the_schema(junit_schema: etree.XMLSchema) -> None:
    reports = [make_report("alice"), replace(make_report("bruno"), graded_at="")]
    document = etree.fromstring(junit_xml(reports).encode())
    junit_schema.assertValid(document)
    assert document.get("tests") == "8" and document.get("failures") == "6"


def test_the_schema_rejects_what_it_should(junit_schema: etree.XMLSchema) -> None:
    bad = junit_xml([make_report()]).replace('failures="3"', 'failures="trois"', 1)
    assert not junit_schema.validate(etree.fromstring(bad.encode()))


def test_junit_keeps_hidden_details_out() -> None:
    assert str(SECRET) not in junit_xml([make_report()])


# The fields of Gradescope's autograder results.json (its "Autograder Specifications").
GRADESCOPE_TOP = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
GRADESCOPE_TEST = {"score", "max_score", "name", "number", "output", "tags", "visibility", "status"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def test_gradescope_results_have_the_documented_fields() -> None:
    results = gradescope_results(late(make_report()))
    json.dumps(results)  # serialisable as is
    assert set(results) >= GRADESCOPE_TOP
    assert results["score"] == 2.6 and results["visibility"] in VISIBILITIES
    assert "pénalité 1,4" in results["output"]  # French: a decimal comma
    for test in results["tests"]:
        assert set(test) >= GRADESCOPE_TEST
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["status"] in {"passed", "failed"} and test["visibility"] in VISIBILITIES
    attention, tokens, manual = results["tests"]
    assert attention["visibility"] == "after_published"  # it holds a hidden check
    assert tokens["visibility"] == "visible" and tokens["max_score"] == 4.0
    assert "en attente" in manual["output"]
    assert str(SECRET) not in json.dumps(results)


def test_moodle_csv_has_an_identifier_the_grade_and_feedback() -> None:
    text = moodle_csv([make_report("bruno", 4.0), late(make_report("alice"))], "TP mini")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Username", "TP mini", "TP mini (feedback)"]
    assert rows[1][:2] == ["alice", "2.60"] and "retard de 1 jour(s)" in rows[1][2]
    assert rows[2][:2] == ["bruno", "8.00"]


def test_json_export_round_trips_every_report() -> None:
    reports = [late(make_report("alice")), make_report("bruno", 4.0)]
    payload = json.loads(gradebook_json(reports))
    assert payload["schema_version"] == 1
    assert [report_from_dict(r) for r in payload["results"]] == reports


def test_csv_has_the_design_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(gradebook_csv([make_report()]))))
    assert list(rows[0]) == ["student", "score", "max_score", "percent", "attention", "tokens",
                             "redaction", "status"]  # fmt: skip


def test_the_class_files_are_the_exporters_files(tmp_path: Path) -> None:
    """Every exporter of the registry is written, and nothing else: a format is one line."""
    reports = [make_report("alice"), make_report("bruno", score_shift=-2)]
    write_class_files(tmp_path, reports, "tp-attention", "TP attention")
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    about = ClassInfo("tp-attention", "TP attention", "fr")
    assert written == {path for export in EXPORTERS.values() for path in export(reports, about)}
    assert written == {
        "gradebook.csv",
        "gradebook.json",
        "moodle.csv",
        "summary.html",
        "gradescope/alice.json",
        "gradescope/bruno.json",
    }
    assert json.loads((tmp_path / "gradescope/bruno.json").read_text()) == gradescope_results(
        reports[1]
    )


def test_junit_counts_a_check_error_as_an_error_and_a_carried_check_as_passed(
    junit_schema: etree.XMLSchema,
) -> None:
    report = make_report("bruno")
    attention, *others = report.criteria
    poids, carte, cachee = attention.checks
    checks = (
        replace(poids, carried_from="softmax"),
        replace(carte, outcome=Outcome.CHECK_ERROR, detail="Traceback: TypeError in checks.py"),
        cachee,
    )
    report = replace(report, criteria=(replace(attention, checks=checks), *others))
    document = etree.fromstring(junit_xml([report]).encode())
    junit_schema.assertValid(document)
    cases = {case.get("name"): case for case in document.iter("testcase")}
    assert cases["sdpa.poids"].find("failure") is None
    assert "erreur reportée de `softmax`" in cases["sdpa.poids"].findtext("system-out")
    error = cases["sdpa.carte"].find("error")
    assert error is not None and error.get("type") == "check-error"
    assert "TypeError in checks.py" in (error.text or "")
    assert (document.get("failures"), document.get("errors")) == ("2", "1")
