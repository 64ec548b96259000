"""The worker processes of a local batch: each grades one submission at a time for the grader.

When the batch's kernels fork from a warm parent, the workers fork from it too: grader's workers
and the students' kernels then hold one copy of torch, transformers and the other preloaded
libraries between them, not two. Otherwise each worker is `python -m grader.workers FD`, which
imports the assignment's `preload:` itself while its first kernel runs (preload_imports.py).

The grader and a worker speak over a socket pair, in frames (an 8-byte length, then a pickle):
the grader sends a task (the assignment's folder, a submission, the options) and the worker
answers with its report, or with the Crash of a bug in grader. A worker that dies mid-task is
replaced and its submission graded again by another worker; a second death records a bug.
A worker handles the kernels' untrusted answers: its data segment is bounded while it grades
(limits.grader_memory), so that what slips past the probe's bounds costs a MemoryError, which
fails that check, and never the host's memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import cast

from grader.assignment.load import Assignment, load_assignment
from grader.crashes import Crash, guarded
from grader.errors import GraderError
from grader.grading import GradeOptions, Submission, grade_submission
from grader.results import GradeReport
from grader.sandbox.warm import ask_warm_parent, exit_status

HEADER = struct.Struct("!Q")
TRIES = 2  # a submission whose worker dies this many times is recorded as a bug


def send(connection: socket.socket, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    connection.sendall(HEADER.pack(len(data)) + data)


def receive(connection: socket.socket) -> object | None:
    """The next frame's value; None when the other side has closed the connection."""
    header = _read(connection, HEADER.size)
    if header is None:
        return None
    data = _read(connection, HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


def _read(connection: socket.socket, size: int) -> bytes | None:
    chunks, missing = [], size
    while missing:
        try:
            chunk = connection.recv(min(missing, 1 << 20))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


# ---- inside a worker ----------------------------------------------------------------------


def serve(fd: int) -> None:
    """Grade each task the grader sends on `fd` until it closes the connection. SIGTERM (the
    grader interrupted) ends the grading under way as an exception would, closing its box."""
    signal.signal(signal.SIGTERM, _terminate)
    with socket.socket(fileno=fd) as connection:
        while (task := receive(connection)) is not None:
            path, submission, options = cast(tuple[str, Submission, GradeOptions], task)
            send(
                connection, guarded(submission.student, partial(_grade, path, submission, options))
            )


def _grade(path: str, submission: Submission, options: GradeOptions) -> GradeReport:
    assignment = worker_assignment(path)
    limit_memory(assignment.limits.grader_memory_bytes)
    return grade_submission(assignment, submission, options)


def limit_memory(size: int) -> None:
    """Bound this worker's data (RLIMIT_DATA: what it allocates, not the address space that
    torch's libraries and threads reserve): a kernel's answer that slips past the probe's bounds
    costs one student a MemoryError, never the host its memory. The soft limit only: the next
    submission's may be higher."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = size if hard == resource.RLIM_INFINITY else min(size, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _terminate(number: int, _frame: object) -> None:
    raise SystemExit(128 + number)


@lru_cache(maxsize=4)
def worker_assignment(path: str) -> Assignment:
    """The assignment at `path`, loaded once per worker process (a Dask worker's too)."""
    return load_assignment(Path(path))


def main(argv: Sequence[str]) -> int:
    """python -m grader.workers FD: a worker started afresh."""
    serve(int(argv[0]))
    return 0


# ---- in the grader ------------------------------------------------------------------------


class Worker:
    """One worker process, seen from the grader: its connection, and how to end it."""

    def __init__(
        self, connection: socket.socket, pid: int, process: subprocess.Popen[bytes] | socket.socket
    ) -> None:
        self.connection = connection
        self.pid = pid
        # A process started here, or the warm parent's connection for the worker it forked: the
        # parent says there how the worker ended, and kills it if that connection closes.
        self.process = process

    @classmethod
    def start(cls) -> Worker:
        ours, theirs = socket.socketpair()
        with theirs:
            command = [sys.executable, "-m", "grader.workers", str(theirs.fileno())]
            process = subprocess.Popen(
                command,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=2,  # grader's standard output may be JSON for a program
                start_new_session=True,  # Ctrl-C is the grader's to handle
            )
        return cls(ours, process.pid, process)

    @classmethod
    def fork(cls, warm_parent: Path) -> Worker:
        """A worker forked from the batch's warm parent (listening on `warm_parent`)."""
        ours, theirs = socket.socketpair()
        request = json.dumps({"worker": True}).encode()
        try:
            with theirs:
                parent, pid = ask_warm_parent(warm_parent, request, [2, 2, theirs.fileno()])
        except OSError as exc:
            ours.close()
            raise GraderError(f"warm start: no worker from the warm parent: {exc}") from exc
        setup = {"module": __name__, "sys_path": sys.path, "cwd": os.getcwd()}
        send(ours, {**setup, "environment": dict(os.environ)})
        return cls(ours, pid, parent)

    def end(self) -> str:
        """Stop the worker and say how it ended. An idle worker leaves when its connection
        closes; a busy one (the grader is interrupted) gets SIGTERM, which closes its box."""
        self.connection.close()
        for number, seconds in ((0, 2.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if number:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, number)
            if (how := self._wait(seconds)) is not None:
                return how
        return "still running"

    def _wait(self, seconds: float) -> str | None:
        """How the worker ended; None if it is still running after `seconds`."""
        if isinstance(self.process, subprocess.Popen):
            try:
                return f"exit status {self.process.wait(timeout=seconds)}"
            except subprocess.TimeoutExpired:
                return None
        self.process.settimeout(seconds)
        try:
            message = self.process.recv(1 << 16)
        except TimeoutError:
            return None
        except OSError:
            message = b""
        self.process.close()
        code = exit_status(message)
        return "ended with the warm parent" if code is None else f"exit status {code}"


class WorkerPool:
    """`jobs` worker processes, forked from the warm parent when the batch has one."""

    def __init__(self, jobs: int, warm_parent: Path | None) -> None:
        self.jobs = jobs
        self.warm_parent = warm_parent

    def _start(self) -> Worker:
        if self.warm_parent is not None:
            return Worker.fork(self.warm_parent)
        return Worker.start()

    def grade(
        self, assignment: Path, submissions: Sequence[Submission], options: GradeOptions
    ) -> Iterator[GradeReport | Crash]:
        """Each student's report, or the Crash of a bug, as each is done."""
        pending = deque(submissions)
        deaths: Counter[str] = Counter()
        workers: list[Worker] = []
        idle: list[Worker] = []
        busy: dict[Worker, Submission] = {}
        with selectors.DefaultSelector() as selector:
            try:
                while pending or busy:
                    while pending and (idle or len(workers) < self.jobs):
                        if not idle:
                            workers.append(self._start())
                            idle.append(workers[-1])
                        worker, submission = idle.pop(), pending.popleft()
                        busy[worker] = submission
                        selector.register(worker.connection, selectors.EVENT_READ, worker)
                        with contextlib.suppress(OSError):  # a dead worker: seen just below
                            send(worker.connection, (str(assignment), submission, options))
                    for key, _events in selector.select():
                        worker, submission = key.data, busy.pop(key.data)
                        selector.unregister(worker.connection)
                        outcome = receive(worker.connection)
                        if isinstance(outcome, GradeReport | Crash):
                            idle.append(worker)
                            yield outcome
                            continue
                        how = worker.end()  # it died: another worker takes its submission
                        workers.remove(worker)
                        student = submission.student
                        deaths[student] += 1
                        if deaths[student] < TRIES:
                            pending.appendleft(submission)
                        else:
                            yield Crash(
                                student, f"the worker grading {student} died {TRIES} times ({how})"
                            )
            finally:
                for worker in workers:
                    worker.end()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
