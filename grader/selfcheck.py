"""The in-notebook self-check: `verifier("softmax")` and `verifier()` in the student's kernel.

The released template's first cell calls `load_self_check` with the public bundle it carries
(grader.assignment.self_check_cells). `verifier` then runs the public checks against the live
namespace of the kernel it runs in: no file, no second kernel, no sandbox (public checks hold no
secret, and the code they call is the student's own). The probes answer through the same code
as a graded kernel's (grader.checks.probe's kernel side, run in this process, its JSON read
within the same bounds), the public checks draw the same inputs (grader.checks.runner's public
seed) and the lines are grader check's (grader.report.check_lines): one verdict, three roads.

It needs neither `__file__` nor a saved notebook, nor the network: in Colab as in Jupyter. What
a live kernel cannot tell as a graded one does: how the cells ran, what they displayed and the
markdown (a check that reads them says to run `grader check` on the file), and the code as
saved (IPython's input history stands for it: every version run).
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
import yaml

from grader.assignment.load import Assignment, load_assignment
from grader.assignment.self_check_cells import (
    BUNDLE_FILES,
    DATA_BYTES,
    DATA_TEXT,
    decode_bundle,
)
from grader.checks.figures import Figure
from grader.checks.probe import ANSWER_DEPTH, ANSWER_VALUES, KERNEL_ANSWERS, Notebook, ProbeError
from grader.checks.runner import PUBLIC_SEED, Check, run_checks
from grader.checks.static import notebook_source
from grader.distribution import DISTRIBUTION, version
from grader.messages import Message, say
from grader.report.check_lines import check_lines
from grader.results import CheckResult, ExecutionRecord, ExecutionStatus
from grader.sandbox.bounded import JsonLimits
from grader.scoring.indicative import indicative


class LiveNotebook(Notebook):
    """The probe handle on the running kernel's own namespace."""

    def __init__(self, namespace: dict[str, Any], answer_bytes: int) -> None:
        self._namespace = namespace
        self._workdir = Path.cwd()
        history = namespace.get("In")
        cells = [c for c in history if isinstance(c, str)] if isinstance(history, list) else []
        self._source = partial(notebook_source, cells)
        self._answer_limits = JsonLimits(answer_bytes, ANSWER_VALUES, ANSWER_DEPTH)
        self.called: set[str] = set()
        self._stand_ins: dict[str, tuple[str, str]] = {}
        self._answers = _kernel_answers(namespace)

    @property
    def alive(self) -> bool:
        return True

    # How the cells ran, what they showed (figures too), the markdown: only the saved notebook
    # holds them.
    @property
    def execution(self) -> ExecutionRecord:
        raise ProbeError(say("selfcheck.saved_notebook_only"))

    def outputs(self, cell: int) -> list[dict[str, Any]]:
        raise ProbeError(say("selfcheck.saved_notebook_only"))

    def cells(self) -> list[tuple[str, str]]:
        raise ProbeError(say("selfcheck.saved_notebook_only"))

    def figures(self) -> list[Figure]:
        raise ProbeError(say("selfcheck.saved_notebook_only"))

    def _answer(self, request: dict[str, Any], subject: Message) -> dict[str, Any]:
        answer = self._answers(json.loads(self._request(request)))
        return self._parsed(json.dumps(answer).encode(), subject)


def _kernel_answers(namespace: dict[str, Any]) -> Any:
    """The kernel side's `answer(request)`, bound to `namespace` instead of IPython's."""

    class Shell:
        user_ns = namespace

    space: dict[str, Any] = {"get_ipython": Shell}
    exec(compile(KERNEL_ANSWERS, "<grader-probe>", "exec"), space)
    return space["answer"]


class Verifier:
    """`verifier(*parts)`: the public checks of these parts (rubric criteria), or of all."""

    def __init__(
        self,
        assignment: Assignment,
        namespace: dict[str, Any],
        folder: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.assignment = assignment
        self._namespace = namespace
        self._folder = folder  # the bundle's files, removed with the verifier

    def __call__(self, *parts: str) -> None:
        print("\n".join(self.lines(parts)))

    def __repr__(self) -> str:
        return say("selfcheck.usage", parts=", ".join(self._parts())).text()

    def lines(self, parts: Sequence[str] = ()) -> list[str]:
        """What `verifier(*parts)` prints, in French."""
        known = self._parts()
        unknown = [p for p in parts if p not in known]
        if unknown:
            return [
                say("selfcheck.unknown_part", part=p, parts=", ".join(known)).text()
                for p in unknown
            ]
        title = say("selfcheck.title_live", title=self.assignment.spec.title).text()
        results = self.results(parts)
        lines = [title, *check_lines(self.assignment, results, parts)]
        if not parts:
            lines.append(indicative(self.assignment, results).line())
        return lines

    def results(self, parts: Sequence[str] = ()) -> list[CheckResult]:
        """The public checks of the parts up to the last one named (an earlier part's function
        may be a later one's input: carry-forward judges them together), or of every part."""
        nb = LiveNotebook(self._namespace, self.assignment.limits.probe_answer_bytes)
        record = ExecutionRecord(ExecutionStatus.OK, 0.0)
        checks = self._checks_until(parts)  # public checks draw their inputs from PUBLIC_SEED
        return run_checks(checks, nb, record, PUBLIC_SEED, "", public_only=True)

    def _parts(self) -> list[str]:
        checks = self.assignment.criterion_checks()
        return [c.id for c in self.assignment.rubric.criteria if checks[c.id] or c.hidden_checks]

    def _checks_until(self, parts: Sequence[str]) -> list[Check]:
        public = [c for c in self.assignment.checks if not c.hidden]
        if not parts:
            return public
        order = [c.id for c in self.assignment.rubric.criteria]
        last = max(order.index(p) for p in parts)
        checks = self.assignment.criterion_checks()
        wanted = {i for part in order[: last + 1] for i in checks[part]}
        return [c for c in public if c.id in wanted]


def load_self_check(
    payload: str, namespace: dict[str, Any] | None = None, released_with: str | None = None
) -> Verifier:
    """The `verifier` of the bundle `payload`, on `namespace`: IPython's user namespace when
    there is one, else the caller's globals. A bundle released with another grader than the
    one installed is said first: checks may judge differently from one version to the next."""
    installed = version()
    if released_with is not None and released_with != installed:
        print(
            say(
                "selfcheck.other_version",
                released=released_with,
                installed=installed,
                distribution=DISTRIBUTION,
            ).text()
        )
    files = decode_bundle(payload)
    # the checks' folder lives as long as the verifier: a check may read a data file beside it
    folder = tempfile.TemporaryDirectory(prefix="grader-selfcheck-")
    root = Path(folder.name)
    for name, content in files.items():
        if name.startswith(DATA_TEXT):
            _write_data(root, name.removeprefix(DATA_TEXT), content.encode("utf-8"))
        elif name.startswith(DATA_BYTES):
            _write_data(root, name.removeprefix(DATA_BYTES), base64.b64decode(content))
    for name in BUNDLE_FILES:  # after the data, as `grader release` writes them: they win
        (root / name).write_text(files.get(name, ""), encoding="utf-8")
    # the running notebook is the one checked: the loader only needs its file to exist
    spec = yaml.safe_load(files.get("assignment.yaml", ""))
    notebook = spec.get("notebook") if isinstance(spec, dict) else None
    if isinstance(notebook, str) and Path(notebook).name not in ("", *BUNDLE_FILES):
        nbformat.write(nbformat.v4.new_notebook(), root / Path(notebook).name)  # type: ignore[no-untyped-call]
    assignment = load_assignment(root)
    namespace = namespace if namespace is not None else _user_namespace()
    return Verifier(assignment, namespace, folder)


def _write_data(root: Path, relative: str, content: bytes) -> None:
    """A data file of the bundle, at its place below `root` and nowhere else."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise ValueError(f"not a self-check bundle: a data file named {relative!r}")
    target = root.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()  # type: ignore[no-untyped-call]
    except ImportError:
        shell = None
    if shell is not None:
        namespace: dict[str, Any] = shell.user_ns
        return namespace
    return sys._getframe(2).f_globals
