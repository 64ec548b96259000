"""What grading produces: outcomes as data, and the versioned GradeReport JSON.

Fields may be added to the JSON, never renamed; `schema_version` says which shape a file has.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from grader.messages import Message, known_key
from grader.text import MESSAGE_LIMIT, TextBudget, student_id

SCHEMA_VERSION = 1


class Outcome(StrEnum):
    PASSED = "passed"  # the check ran and the answer is right
    FAILED = "failed"  # the check ran and the answer is wrong
    ERROR = "error"  # it could not be judged: missing function, dead kernel, bad return type
    SKIPPED = "skipped"  # not run, e.g. a hidden check during a self-check
    # The check's own code raised (the instructor's checks.py, not the student's code behind a
    # probe): the student loses nothing, the criterion's points are held back for review.
    CHECK_ERROR = "check-error"


class Phase(StrEnum):
    LOAD = "load"
    EXECUTE = "execute"
    CHECK = "check"


class ExecutionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # a cell raised; the others ran
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output-limit"
    KILLED = "killed"
    PROTOCOL_ERROR = "protocol-error"  # the kernel sent a malformed, replayed or forged message
    STARTUP_FAILED = "startup-failed"


class CellStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUTPUT_LIMIT = "output-limit"
    KILLED = "killed"  # the kernel died while running it
    NOT_RUN = "not-run"  # after a kernel death or the notebook deadline


@dataclass(frozen=True)
class Section:
    """A section of the student's report that a check returns or fails with (a prompt-benchmark
    table, an array's differences); check authors import it from grader.checks.

    `kind` names its renderer (grader.report.sections.SECTION_RENDERERS); `data` is plain JSON.
    """

    kind: str
    title: str
    data: dict[str, Any]


@dataclass(frozen=True)
class CellRecord:
    index: int  # position in the notebook, 0-based as in nbformat; reports say index + 1
    status: CellStatus
    duration_s: float
    error: str | None = None  # "ZeroDivisionError: division by zero"


class SkipReason(StrEnum):
    """Why a file of the submission was not copied for the kernel (grader/submission.py)."""

    SYMLINK = "symlink"
    HARDLINK = "hardlink"  # a regular file with more than one link
    FIFO = "fifo"
    SOCKET = "socket"
    DEVICE = "device"
    BUDGET = "budget"  # past `limits.submission_size`: this file and the ones after it
    NOTEBOOK_SIZE = "notebook-size"  # a notebook past `limits.notebook_size`, never read
    DEPTH = "depth"  # a folder nested deeper than grader goes, or a path too long
    UNREADABLE = "unreadable"  # an error reading it or writing its copy
    TOO_MANY = "too-many"  # the walk stops after so many files skipped


@dataclass(frozen=True)
class SkippedFile:
    path: str  # relative to the submission; undecodable bytes and control characters escaped
    reason: SkipReason
    message: str  # the French sentence: "fichier ignoré : lien symbolique"


@dataclass(frozen=True)
class ExecutionRecord:
    status: ExecutionStatus
    duration_s: float
    cells: tuple[CellRecord, ...] = ()
    message: str | None = None  # the French sentence a student reads when a limit was hit
    sandbox: str = "none"
    detail: str | None = None  # for the instructor: a failed start's log, a protocol violation
    peak_memory_bytes: int | None = None  # the kernels' cgroup peak; None without a cgroup
    skipped_files: tuple[SkippedFile, ...] = ()  # what of the submission the kernel never saw
    message_key: str | None = None  # `message` as data (grader.messages), for other languages
    message_params: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckResult:
    id: str
    outcome: Outcome
    phase: Phase
    message: str  # the one line a student reads; for a hidden check, no expected value
    hidden: bool = False
    detail: str | None = None  # for the instructor: expected values, traceback
    duration_s: float = 0.0
    section: dict[str, Any] | None = None  # a report section the check produced: kind + data
    # « erreur reportée »: the upstream function whose failure this check did not penalise again
    carried_from: str | None = None
    message_key: str | None = None  # `message` as data (grader.messages); None: the author's
    message_params: dict[str, Any] | None = None


def carried_forward(check: CheckResult) -> bool:
    """The student's own run failed, and passed with the reference of a wrong upstream."""
    return check.carried_from is not None and check.outcome in (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True)
class CriterionScore:
    id: str
    title: str
    points: float
    max_points: float
    checks: tuple[CheckResult, ...] = ()
    manual: bool = False  # awaits an instructor's mark
    marked: bool = False  # a manual criterion the instructor has marked (grader manual import)
    comment: str | None = None  # the instructor's comment on a manual mark
    held_back: float = 0.0  # points of checks in check-error: neither given nor lost ("à revoir")
    carry_forward: bool = True  # the rubric credits its checks' `carried_from` (scoring/score.py)

    def carried(self, check: CheckResult) -> bool:
        """Credited through carry-forward: the student's own run failed only upstream."""
        return self.carry_forward and carried_forward(check)


@dataclass(frozen=True)
class Lateness:
    """A submission handed in after its due date, and what it cost."""

    submitted_at: str  # ISO 8601, UTC
    due: str  # the due date that applied, extension included
    days_late: int  # started days after the due date
    penalty: float  # points taken off the score (already subtracted from GradeReport.score)


@dataclass(frozen=True)
class Group:
    """The group a submission was handed in by (grader/gradebook/groups.py): each member gets
    the group's result as their own."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Adjustment:
    """An instructor's change to one member's total, recorded as such: points added (negative
    to take off) after the group's marks and the late penalty, and why."""

    points: float
    comment: str


@dataclass(frozen=True)
class GradeReport:
    assignment: str
    student: str
    score: float
    max_score: float
    criteria: tuple[CriterionScore, ...]
    execution: ExecutionRecord
    submission_hash: str = ""
    graded_at: str = ""
    late: Lateness | None = None
    group: Group | None = None  # handed in by a group: this is one member's row
    adjustment: Adjustment | None = None  # this member's individual adjustment
    # What the grade is a function of besides the submission (grader/fingerprint.py): one digest
    # per part (checks, rubric, data...), so a rerun knows what changed since.
    fingerprint: dict[str, str] = field(default_factory=dict)
    schema_version: int = field(default=SCHEMA_VERSION)

    @property
    def checks(self) -> list[CheckResult]:
        return [check for criterion in self.criteria for check in criterion.checks]

    @property
    def percent(self) -> float:
        return round(100 * self.score / self.max_score, 2) if self.max_score else 0.0

    @property
    def all_passed(self) -> bool:
        return all(c.outcome in (Outcome.PASSED, Outcome.SKIPPED) for c in self.checks)

    @property
    def not_passed(self) -> int:
        """Checks failed or in error, less those credited by carry-forward."""
        return sum(
            check.outcome in (Outcome.FAILED, Outcome.ERROR) and not criterion.carried(check)
            for criterion in self.criteria
            for check in criterion.checks
        )

    @property
    def check_errors(self) -> list[CheckResult]:
        """The checks whose own code raised: the instructor's to fix, the student's to keep."""
        return [c for c in self.checks if c.outcome is Outcome.CHECK_ERROR]


def message_fields(said: Message | None) -> dict[str, Any]:
    """The `message`, `message_key` and `message_params` fields of a result, from a message:
    the French text, and the message as data for reports in other languages."""
    if said is None:
        return {"message": None, "message_key": None, "message_params": None}
    return {"message": said.text("fr"), "message_key": said.key, "message_params": said.to_data()}


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURE_BYTES = 1024**2  # the largest image of a student's figure kept in a report
# A section's `images` (a PDF's pages: grader.pdf): a few small PNGs, the rest left out.
SECTION_IMAGES = 6
SECTION_IMAGE_BYTES = 400 * 1024


def figure_png(encoded: Any, most: int = FIGURE_BYTES) -> bytes | None:
    """The PNG of a `figure` section's data (base64 text, hostile when read back), or None
    when it is not a PNG of at most `most` bytes."""
    if not isinstance(encoded, str) or len(encoded) > (most + 2) // 3 * 4:
        return None
    try:
        png = base64.b64decode(encoded, validate=True)
    except ValueError:
        return None
    return png if png.startswith(PNG_MAGIC) else None


def _bounded_section(section: dict[str, Any] | None, budget: TextBudget) -> dict[str, Any] | None:
    """A section's texts within the budget; its images are no text: a figure's `png` kept whole
    when it is a PNG (it is the student's own image), a section's `images` (a PDF's pages) kept
    as a few small PNGs; anything else dropped."""
    if not isinstance(section, dict) or not isinstance(section.get("data"), dict):
        return budget.data(section)  # type: ignore[no-any-return]
    data = dict(section["data"])
    png = data.pop("png", None) if section.get("kind") == "figure" else None
    images = data.pop("images", None)
    bounded = budget.data({**section, "data": data})
    if figure_png(png) is not None:
        bounded["data"]["png"] = png
    if images is not None:
        listed = images[:SECTION_IMAGES] if isinstance(images, list) else []
        bounded["data"]["images"] = [i for i in listed if figure_png(i, SECTION_IMAGE_BYTES)]
    return bounded  # type: ignore[no-any-return]


def bounded_report(report: GradeReport) -> GradeReport:
    """`report` with every text that came from a submission or a kernel made safe (grader.text):
    the funnel every report passes before it is stored or rendered.

    Within the student's total, what the student reads comes first: the execution's message,
    the checks' messages and the cells' errors, then the details and the sections.
    """
    budget = TextBudget()
    execution = report.execution
    message = budget.optional(execution.message)
    messages = iter([budget.text(check.message) for check in report.checks])
    errors = [budget.optional(cell.error, MESSAGE_LIMIT) for cell in execution.cells]
    criteria = []
    for criterion in report.criteria:
        checks = []
        for check in criterion.checks:
            checks.append(
                replace(
                    check,
                    message=next(messages),
                    detail=budget.optional(check.detail),
                    section=_bounded_section(check.section, budget),
                    message_params=budget.data(check.message_params, MESSAGE_LIMIT),
                )
            )
        criteria.append(replace(criterion, checks=tuple(checks)))
    cells = tuple(
        replace(cell, error=error) for cell, error in zip(execution.cells, errors, strict=True)
    )
    execution = replace(
        execution,
        message=message,
        cells=cells,
        detail=budget.optional(execution.detail),
        message_params=budget.data(execution.message_params, MESSAGE_LIMIT),
    )
    group = report.group
    if group is not None:
        group = Group(student_id(group.name), tuple(student_id(m) for m in group.members))
    adjustment = report.adjustment
    if adjustment is not None:
        adjustment = replace(adjustment, comment=budget.text(adjustment.comment))
    return replace(
        report,
        student=student_id(report.student),
        criteria=tuple(criteria),
        execution=execution,
        group=group,
        adjustment=adjustment,
    )


def report_to_dict(report: GradeReport) -> dict[str, Any]:
    data = asdict(report)
    data["schema_version"] = report.schema_version
    return {"schema_version": data.pop("schema_version"), **data}


def report_from_dict(data: dict[str, Any]) -> GradeReport:
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"unsupported schema_version {version!r} (expected {SCHEMA_VERSION})")
    execution = data["execution"]
    report = GradeReport(
        assignment=data["assignment"],
        student=data["student"],
        score=data["score"],
        max_score=data["max_score"],
        criteria=tuple(
            CriterionScore(
                id=c["id"],
                title=c["title"],
                points=c["points"],
                max_points=c["max_points"],
                manual=c.get("manual", False),
                marked=c.get("marked", False),
                comment=c.get("comment"),
                held_back=c.get("held_back", 0.0),
                carry_forward=c.get("carry_forward", True),
                checks=tuple(
                    CheckResult(
                        id=r["id"],
                        outcome=Outcome(r["outcome"]),
                        phase=Phase(r["phase"]),
                        message=r["message"],
                        hidden=r.get("hidden", False),
                        detail=r.get("detail"),
                        duration_s=r.get("duration_s", 0.0),
                        section=r.get("section"),
                        carried_from=r.get("carried_from"),
                        message_key=known_key(r.get("message_key")),
                        message_params=r.get("message_params"),
                    )
                    for r in c["checks"]
                ),
            )
            for c in data["criteria"]
        ),
        execution=ExecutionRecord(
            status=ExecutionStatus(execution["status"]),
            duration_s=execution["duration_s"],
            message=execution.get("message"),
            sandbox=execution.get("sandbox", "none"),
            detail=execution.get("detail"),
            peak_memory_bytes=execution.get("peak_memory_bytes"),
            message_key=known_key(execution.get("message_key")),
            message_params=execution.get("message_params"),
            skipped_files=tuple(
                SkippedFile(path=f["path"], reason=SkipReason(f["reason"]), message=f["message"])
                for f in execution.get("skipped_files", ())
            ),
            cells=tuple(
                CellRecord(
                    index=cell["index"],
                    status=CellStatus(cell["status"]),
                    duration_s=cell["duration_s"],
                    error=cell.get("error"),
                )
                for cell in execution.get("cells", ())
            ),
        ),
        submission_hash=data.get("submission_hash", ""),
        graded_at=data.get("graded_at", ""),
        late=Lateness(**data["late"]) if data.get("late") else None,
        group=_group(data.get("group")),
        adjustment=Adjustment(**data["adjustment"]) if data.get("adjustment") else None,
        fingerprint={str(k): str(v) for k, v in (data.get("fingerprint") or {}).items()},
    )
    return bounded_report(report)  # stored by an older grader, or edited: hostile all the same


def _group(data: dict[str, Any] | None) -> Group | None:
    if not data:
        return None
    return Group(str(data["name"]), tuple(str(m) for m in data["members"]))
