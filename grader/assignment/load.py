"""Load an assignment: its spec, its rubric and its checks, cross-checked with file:line errors."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.assignment.preload import PreloadRecord, recorded
from grader.assignment.spec import AssignmentSpec, RubricSpec
from grader.checks.runner import Check, load_checks
from grader.errors import ConfigError
from grader.mirror import DEFAULT_MODELS
from grader.sandbox.limits import Limits
from grader.specfile import Loaded, load_spec
from grader.submission import read_notebook


@dataclass(frozen=True)
class Assignment:
    root: Path
    spec: AssignmentSpec
    rubric: RubricSpec
    checks: list[Check]
    rubric_path: Path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def limits(self) -> Limits:
        return self.spec.limits.to_limits()

    @cached_property
    def preload_record(self) -> PreloadRecord | None:
        """What `validate` measured of this version of the assignment (None: nothing yet)."""
        return recorded(self)

    @property
    def preload(self) -> tuple[str, ...]:
        """The modules the warm parent imports: `preload:`, or, for `auto`, those recorded."""
        if self.spec.preload != "auto":
            return tuple(self.spec.preload)
        return self.preload_record.modules if self.preload_record is not None else ()

    @property
    def source_notebook(self) -> Path:
        return self.root / self.spec.notebook

    @property
    def checks_path(self) -> Path:
        return self.root / self.spec.checks

    def criterion_checks(self) -> dict[str, list[str]]:
        """Criterion id -> the ids of its checks, in checks.py order."""
        return {
            criterion.id: [
                c.id
                for c in self.checks
                if any(fnmatch.fnmatchcase(c.id, p) for p in criterion.checks)
            ]
            for criterion in self.rubric.criteria
        }

    def hidden_checks(self) -> dict[str, list[str]]:
        """Criterion id -> the ids of its hidden checks: those checks.py defines, or, in a
        released bundle, those its rubric names without shipping them."""
        hidden = {c.id for c in self.checks if c.hidden}
        return {
            criterion.id: [i for i in checks if i in hidden] + criterion.hidden_checks
            for criterion, checks in zip(
                self.rubric.criteria, self.criterion_checks().values(), strict=True
            )
        }


def load_assignment(path: str | Path) -> Assignment:
    """`path` is the assignment's folder or its assignment.yaml."""
    path = Path(path)
    spec_path = path if path.suffix in (".yaml", ".yml") else path / "assignment.yaml"
    if not spec_path.exists():
        raise ConfigError(spec_path, "file not found: is this an assignment folder?")
    root = spec_path.parent
    loaded = load_spec(AssignmentSpec, spec_path)
    spec = loaded.spec
    for field, relative in (
        ("notebook", spec.notebook),
        ("rubric", spec.rubric),
        ("checks", spec.checks),
    ):
        if not (root / relative).is_file():
            raise loaded.error((field,), f"no such file: {root / relative}")
    for position, relative in enumerate(spec.data):
        if not (root / relative).exists():
            raise loaded.error(("data", position), f"no such file: {root / relative}")
    for position, model in enumerate(spec.models):
        if model not in DEFAULT_MODELS:
            raise loaded.error(
                ("models", position),
                f"unknown model '{model}'; the offline mirror serves: {', '.join(DEFAULT_MODELS)}",
            )
    rubric_path = root / spec.rubric
    rubric = load_spec(RubricSpec, rubric_path)
    if rubric.spec.assignment != spec.id:
        raise rubric.error(
            ("assignment",), f"is '{rubric.spec.assignment}', but {spec_path} has id '{spec.id}'"
        )
    checks = load_checks(root / spec.checks)
    _cross_check(rubric, checks, root / spec.checks)
    return Assignment(root, spec, rubric.spec, checks, rubric_path)


def find_assignment(notebook: Path) -> Path:
    """The assignment of a student's notebook, from its metadata (`grader.assignment`).

    Looked for beside the notebook (a released bundle), in its parent folders, and in
    ./assignments/<id>. The notebook is read as grading reads it (grader/submission.py): a
    link, a FIFO or a file past the default notebook_size is not.
    """
    found = read_notebook(notebook, Limits())
    if found.content is None:
        raise ConfigError(notebook, f"cannot read the notebook: {found.problem}")
    try:
        metadata = json.loads(found.content.decode("utf-8")).get("metadata", {})
    except ValueError as exc:
        raise ConfigError(notebook, f"cannot read the notebook: {exc}") from None
    assignment_id = (metadata.get("grader") or {}).get("assignment")
    if not assignment_id:
        raise ConfigError(notebook, "metadata.grader.assignment: missing; pass --assignment")
    folder = notebook.resolve().parent
    candidates: list[Path] = [folder, *list(folder.parents)[:3]]
    candidates.append(Path.cwd() / "assignments" / str(assignment_id))
    for candidate in candidates:
        spec = candidate / "assignment.yaml"
        if spec.is_file() and _declares_id(spec, assignment_id):
            return candidate
    raise ConfigError(
        notebook,
        f"assignment '{assignment_id}' not found beside the notebook "
        "or in ./assignments; pass --assignment",
        field="metadata.grader.assignment",
    )


def _declares_id(spec: Path, assignment_id: str) -> bool:
    try:
        return bool(load_spec(AssignmentSpec, spec).spec.id == assignment_id)
    except ConfigError:
        return False


def _cross_check(rubric: Loaded[RubricSpec], checks: list[Check], checks_path: Path) -> None:
    """Every pattern names a check; every check counts in exactly one criterion."""
    owner: dict[str, str] = {}
    seen_ids: set[str] = set()
    for number, criterion in enumerate(rubric.spec.criteria):
        if criterion.id in seen_ids:
            raise rubric.error(
                ("criteria", number, "id"), f"criterion '{criterion.id}' appears twice"
            )
        seen_ids.add(criterion.id)
        if criterion.manual and criterion.checks:
            raise rubric.error(("criteria", number, "checks"), "a manual criterion has no checks")
        if not criterion.manual and not (criterion.checks or criterion.hidden_checks):
            raise rubric.error(("criteria", number), "lists no checks (or set manual: true)")
        for position, check_id in enumerate(criterion.hidden_checks):
            if any(c.id == check_id for c in checks):
                raise rubric.error(
                    ("criteria", number, "hidden_checks", position),
                    f"'{check_id}' is defined in {checks_path.name}: list it in `checks`",
                )
        for position, pattern in enumerate(criterion.checks):
            matched = [c.id for c in checks if fnmatch.fnmatchcase(c.id, pattern)]
            if not matched:
                known = ", ".join(c.id for c in checks)
                raise rubric.error(
                    ("criteria", number, "checks", position),
                    f"no check matches '{pattern}' in {checks_path.name} (checks: {known})",
                )
            for check_id in matched:
                if check_id in owner and owner[check_id] != criterion.id:
                    raise rubric.error(
                        ("criteria", number, "checks", position),
                        f"check '{check_id}' already counts in criterion '{owner[check_id]}'",
                    )
                owner[check_id] = criterion.id
    for check in checks:
        if check.id not in owner:
            raise ConfigError(
                checks_path,
                f"check '{check.id}' counts in no criterion of {rubric.path.name}",
                line=check.line,
            )
