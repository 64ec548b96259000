"""Exports of graded results: the gradebook CSV, JSON and JUnit XML for CI."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from grader.results import SCHEMA_VERSION, GradeReport, Outcome, report_to_dict
from grader.text import SpreadsheetWriter


def gradebook_csv(reports: Sequence[GradeReport]) -> str:
    """student, score, max_score, percent, one column per criterion, status; and when a group
    handed in, the member's group and individual adjustment (empty: none)."""
    criteria: list[str] = []
    for report in reports:
        for criterion in report.criteria:
            if criterion.id not in criteria:
                criteria.append(criterion.id)
    grouped = any(report.group for report in reports)
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    extra = ["group", "adjustment"] if grouped else []
    writer.writerow(["student", "score", "max_score", "percent", *criteria, "status", *extra])
    for report in sorted(reports, key=lambda r: r.student):
        points = {c.id: c.points for c in report.criteria}
        adjustment = report.adjustment.points if report.adjustment else ""
        writer.writerow(
            [
                report.student,
                report.score,
                report.max_score,
                report.percent,
                *(points.get(c, "") for c in criteria),
                report.execution.status.value,
                *([report.group.name if report.group else "", adjustment] if grouped else []),
            ]
        )
    return out.getvalue()


def junit_xml(reports: Sequence[GradeReport]) -> str:
    """One testsuite per submission, one testcase per check; hidden checks show no detail."""
    suites = ET.Element("testsuites", name="grader")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in sorted(reports, key=lambda r: r.student):
        checks = [(c, check) for c in report.criteria for check in c.checks]
        counts = {
            "tests": len(checks),
            "failures": sum(k.outcome is Outcome.FAILED and not c.carried(k) for c, k in checks),
            "errors": sum(
                k.outcome in (Outcome.ERROR, Outcome.CHECK_ERROR) and not c.carried(k)
                for c, k in checks
            ),
            "skipped": sum(k.outcome is Outcome.SKIPPED for _, k in checks),
        }
        attributes = {key: str(value) for key, value in counts.items()}
        attributes["name"] = f"{report.assignment}.{report.student}"
        attributes["time"] = f"{report.execution.duration_s:.3f}"
        if report.graded_at:  # JUnit's timestamp is an xs:dateTime: omitted rather than empty
            attributes["timestamp"] = report.graded_at
        suite = ET.SubElement(suites, "testsuite", attributes)
        for criterion, check in checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{report.assignment}.{report.student}.{criterion.id}",
                name=check.id,
                time=f"{check.duration_s:.3f}",
            )
            detail = None if check.hidden else check.detail
            if criterion.carried(check):  # credited: « erreur reportée »
                ET.SubElement(
                    case, "system-out"
                ).text = f"erreur reportée de `{check.carried_from}` : {check.message}"
            elif check.outcome is Outcome.CHECK_ERROR:  # the check's own bug: the instructor's
                ET.SubElement(
                    case, "error", message=check.message, type="check-error"
                ).text = check.detail
            elif check.outcome is Outcome.FAILED:
                ET.SubElement(case, "failure", message=check.message).text = detail
            elif check.outcome is Outcome.ERROR:
                ET.SubElement(case, "error", message=check.message).text = detail
            elif check.outcome is Outcome.SKIPPED:
                ET.SubElement(case, "skipped", message=check.message)
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        if key != "skipped":
            suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def gradebook_json(reports: Sequence[GradeReport]) -> str:
    """Every current result in one versioned document, students in order."""
    payload = {
        "schema_version": SCHEMA_VERSION,
        "results": [report_to_dict(r) for r in sorted(reports, key=lambda r: r.student)],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
