"""The YAML specs of an assignment: assignments/<id>/assignment.yaml and rubrics/<id>.yaml."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from grader.sandbox.limits import Limits, format_size, parse_size
from grader.specfile import Spec

Size = int | str
WALL_BACKSTOP = 4  # a cell's wall-clock limit, in multiples of its CPU limit, by default
DEFAULT = Limits()


class LimitsSpec(Spec):
    """Per-submission limits; times in seconds, sizes in bytes or as "512 MiB"."""

    # The defaults are Limits' (the one source): a key absent from the YAML keeps its default.
    cell_timeout: float = Field(default=DEFAULT.cell_timeout_s, gt=0)  # CPU seconds of the kernel
    cell_wall_timeout: float | None = Field(default=None, gt=0)  # default: 4 × cell_timeout
    notebook_timeout: float = Field(default=DEFAULT.notebook_timeout_s, gt=0)
    memory: Size = format_size(DEFAULT.memory_bytes)
    processes: int = Field(default=DEFAULT.processes, ge=16)
    output_per_cell: Size = format_size(DEFAULT.output_bytes_per_cell)
    output: Size = format_size(DEFAULT.output_bytes)
    message_size: Size = format_size(DEFAULT.message_bytes)  # one larger message: a flood
    file_size: Size = format_size(DEFAULT.file_bytes)
    disk: Size = format_size(DEFAULT.disk_bytes)
    threads: int = Field(default=DEFAULT.cpu_threads, ge=1)
    submission_size: Size = format_size(DEFAULT.submission_bytes)  # the rest is skipped
    notebook_size: Size = format_size(DEFAULT.notebook_bytes)  # larger: not read, nor run
    probe_answer: Size = format_size(DEFAULT.probe_answer_bytes)  # decoded by the grader
    grader_memory: Size = format_size(DEFAULT.grader_memory_bytes)  # a worker's, per submission

    @field_validator(
        "memory",
        "output_per_cell",
        "output",
        "message_size",
        "file_size",
        "disk",
        "submission_size",
        "notebook_size",
        "probe_answer",
        "grader_memory",
    )
    @classmethod
    def _size(cls, value: Size) -> Size:
        parse_size(value)
        return value

    @model_validator(mode="after")
    def _backstop_above_limit(self) -> LimitsSpec:
        if self.cell_wall_timeout is not None and self.cell_wall_timeout < self.cell_timeout:
            raise ValueError(
                f"cell_wall_timeout ({self.cell_wall_timeout:g} s) must be at least "
                f"cell_timeout ({self.cell_timeout:g} s of CPU time)"
            )
        return self

    def to_limits(self) -> Limits:
        return Limits(
            cell_timeout_s=self.cell_timeout,
            cell_wall_timeout_s=self.cell_wall_timeout or WALL_BACKSTOP * self.cell_timeout,
            notebook_timeout_s=self.notebook_timeout,
            memory_bytes=parse_size(self.memory),
            processes=self.processes,
            output_bytes_per_cell=parse_size(self.output_per_cell),
            output_bytes=parse_size(self.output),
            message_bytes=parse_size(self.message_size),
            file_bytes=parse_size(self.file_size),
            disk_bytes=parse_size(self.disk),
            cpu_threads=self.threads,
            submission_bytes=parse_size(self.submission_size),
            notebook_bytes=parse_size(self.notebook_size),
            probe_answer_bytes=parse_size(self.probe_answer),
            grader_memory_bytes=parse_size(self.grader_memory),
        )


class LateSpec(Spec):
    """Late work: each started day after `due` costs `per_day` % of the maximum, up to `cap` %."""

    due: datetime  # "2026-12-01T23:59:00+01:00"; without an offset, UTC
    per_day: float = Field(default=10, ge=0, le=100)
    cap: float = Field(default=100, ge=0, le=100)


MODULE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"


class AssignmentSpec(Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    notebook: str  # the source notebook, with solutions between solution markers
    checks: str = "checks.py"
    rubric: str  # relative to the assignment's folder, e.g. ../../rubrics/tp-attention.yaml
    data: list[str] = []  # files of the assignment's folder copied next to every submission
    models: list[str] = []  # Hugging Face models the notebook loads, served by the offline mirror
    # Modules imported once per batch by the kernels' warm parent (grader/sandbox/warm.py);
    # "auto": those the solution imports, as `grader validate` recorded them.
    preload: list[Annotated[str, Field(pattern=MODULE_NAME)]] | Literal["auto"] = "auto"
    limits: LimitsSpec = LimitsSpec()
    late: LateSpec | None = None


class CriterionSpec(Spec):
    id: str
    title: str
    points: float = Field(ge=0)
    checks: list[str] = []  # check ids, or patterns such as "sdpa.*"
    scheme: Literal["proportional", "all-or-nothing"] = "proportional"
    manual: bool = False  # marked by the instructor; has no checks
    # « erreur reportée »: a check that passes with the reference of a wrong upstream function
    # (grader/checks/carry.py) counts as passed
    carry_forward: bool = True
    # In a released rubric only: the ids of the criterion's hidden checks, which the bundle does
    # not ship; a self-check names them and counts their points as still to come.
    hidden_checks: list[str] = []


class RubricSpec(Spec):
    assignment: str
    criteria: list[CriterionSpec] = Field(min_length=1)
