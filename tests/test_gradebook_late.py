"""Late work: started days after the due date, per-day penalty, cap, extensions, LMS times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from grader.assignment.spec import LateSpec
from grader.errors import ConfigError
from grader.gradebook.late import (
    LatePolicy,
    apply_lateness,
    lateness,
    read_extensions,
    read_lms_times,
)
from tests.report_builders import make_report

DUE = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "per_day", "cap", "days", "penalty"),
    [
        (timedelta(seconds=-1), 10, 100, None, None),  # on time
        (timedelta(0), 10, 100, None, None),  # at the due minute: on time
        (timedelta(minutes=1), 10, 100, 1, 2.0),  # a started day counts
        (timedelta(days=1), 10, 100, 1, 2.0),
        (timedelta(days=1, seconds=1), 10, 100, 2, 4.0),
        (timedelta(days=5), 10, 30, 5, 6.0),  # capped at 30 % of 20
        (timedelta(days=30), 25, 100, 30, 20.0),  # never more than the maximum
    ],
)
def test_penalty_table(
    after: timedelta, per_day: float, cap: float, days: int | None, penalty: float | None
) -> None:
    policy = LatePolicy(DUE, per_day, cap, {})
    late = lateness(policy, "alice", DUE + after, max_score=20)
    found = (late.days_late, late.penalty) if late else (None, None)
    assert found == (days, penalty)


def test_an_extension_moves_the_due_date_of_one_student(tmp_path: Path) -> None:
    sheet = tmp_path / "extensions.yaml"
    sheet.write_text("alice: 2\nbruno: 2026-11-25T12:00:00+01:00\n")
    extensions = read_extensions(sheet, DUE)
    assert extensions["alice"] == DUE + timedelta(days=2)
    assert extensions["bruno"] == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    policy = LatePolicy(DUE, 10, 100, extensions)
    assert lateness(policy, "alice", DUE + timedelta(days=1), 20) is None
    assert lateness(policy, "chloe", DUE + timedelta(days=1), 20) is not None


def test_extensions_from_csv(tmp_path: Path) -> None:
    sheet = tmp_path / "extensions.csv"
    sheet.write_text("student,extension\nalice,1.5\n")
    assert read_extensions(sheet, DUE) == {"alice": DUE + timedelta(days=1.5)}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "ext.yaml",
            "alice: bientôt\n",
            "ext.yaml: alice: expected a due date or a number of extra days, got 'bientôt'",
        ),
        (
            "ext.csv",
            "student,extension\nalice,demain\n",
            "ext.csv:2: alice: expected a due date or a number of extra days, got 'demain'",
        ),
        (
            "ext.csv",
            "etudiant,jours\nalice,2\n",
            "ext.csv:1: expected the columns student and extension",
        ),
        ("ext.yaml", "- alice\n", "ext.yaml: expected a mapping student: due date or extra days"),
    ],
)
def test_bad_extensions_name_file_line_and_field(
    tmp_path: Path, name: str, text: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as error:
        read_extensions(Path(name), DUE)
    assert str(error.value) == message


def test_times_from_an_lms_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    export = Path("moodle.csv")
    export.write_text(
        "student,Dernière modification\nalice,2026-11-21T10:00:00+01:00\nbruno,hier\n"
    )
    with pytest.raises(ConfigError) as error:
        read_lms_times(export, "Dernière modification")
    assert str(error.value).startswith("moodle.csv:3: Dernière modification: expected a date")
    export.write_text("student,Dernière modification\nalice,2026-11-21T10:00:00+01:00\n")
    assert read_lms_times(export, "Dernière modification") == {
        "alice": datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    }
    with pytest.raises(ConfigError, match="no column 'Submitted'"):
        read_lms_times(export, "Submitted")


def test_the_penalty_comes_off_the_score_never_below_zero() -> None:
    report = make_report()  # 4 / 14
    policy = LatePolicy.from_spec(LateSpec(due=DUE, per_day=20, cap=100))
    penalised = apply_lateness(report, lateness(policy, "alice", DUE + timedelta(hours=30), 14))
    assert penalised.late is not None and penalised.late.days_late == 2
    assert penalised.score == 0.0  # 5.6 points off 4
    assert apply_lateness(report, None) is report


@pytest.mark.parametrize(
    ("late_yaml", "message"),
    [
        ("late:\n  due: 2026-11-20T23:59:00+01:00\n  per_day: 150\n", "late.per_day"),
        ("late:\n  due: bientôt\n", "late.due"),
        ("late:\n  due: 2026-11-20T23:59:00Z\n  par_jour: 10\n", "unknown key 'par_jour'"),
    ],
)
def test_bad_late_section_names_the_field(tmp_path: Path, late_yaml: str, message: str) -> None:
    from grader import load_assignment
    from tests.test_batch_resume import make_course

    with pytest.raises(ConfigError) as error:
        load_assignment(make_course(tmp_path, late_yaml))
    assert "assignment.yaml:" in str(error.value) and message in str(error.value)


def test_late_section_and_extensions_make_the_policy(tmp_path: Path) -> None:
    from grader import late_policy, load_assignment
    from tests.test_batch_resume import make_course

    folder = make_course(tmp_path, "late:\n  due: 2026-11-20T23:59:00Z\n  per_day: 5\n  cap: 20\n")
    (tmp_path / "ext.yaml").write_text("alice: 1\n")
    policy = late_policy(load_assignment(folder), tmp_path / "ext.yaml")
    assert policy is not None and (policy.per_day, policy.cap) == (5, 20)
    assert policy.due_for("alice") == DUE + timedelta(days=1)
