"""A student's hand-in, read without trusting its file system.

Grader often runs as root, on files a student chose. Whatever a submission holds, a symbolic
link to /etc/shadow or to the hidden checks, a hard link to another file, a FIFO that blocks its
reader, a device that never ends, a link loop, a name with a newline or undecodable bytes, is
neither followed nor read. Each entry is looked at with lstat relative to its parent folder's
descriptor, then opened with O_NOFOLLOW | O_NONBLOCK and checked again on the descriptor
(fstat: the same inode, still a regular file or a folder), so what is read is what was checked.
Only regular files and folders are read; anything else is skipped and named in the student's
report with its reason ("fichier ignoré : lien symbolique").

Hard links: a regular file with more than one link is skipped, whoever owns it. Ownership proves
nothing when grader runs as root on folders a root process unpacked, and a hard link can name
any file of the same file system (the hidden checks, another student's work). Zip archives, what
an LMS hands out, cannot hold hard links: a student loses nothing.

Sizes: every file or folder copied costs at least one block (4 KiB) of `limits.submission_bytes`,
a file its size when larger; at the first one that does not fit the copy stops, and that file
is named. A notebook (the submitted file, or a top-level *.ipynb of a folder) is counted against
`limits.notebook_bytes` instead, and never read past it. Folders deeper than MAX_DEPTH and paths
longer than MAX_PATH_BYTES are not copied either: both sides of the copy go by descriptor, but
the kernel and the hand-over to its user name files by path.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.messages import Message, say, size
from grader.results import SkippedFile, SkipReason
from grader.sandbox.limits import Limits

BLOCK = 4096  # the least a file or a folder costs of the budget: one block on disk
MAX_DEPTH = 32  # folders below this are not entered
# Longer relative paths are not copied: the kernel and the code that hands the copy over to its
# user name files by path, and PATH_MAX (4096) must leave room for the working folder's own.
MAX_PATH_BYTES = 3000
MAX_SKIPPED = 100  # named in the report, then the walk stops (no student hands in 100 FIFOs)
_CHUNK = 1024**2
_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC


def display_path(parts: tuple[str, ...]) -> str:
    """A relative path a report can show: undecodable bytes and control characters escaped
    (b"a\\xff\\n" -> "a\\\\xff\\\\x0a"), at most 300 characters."""
    text = b"/".join(os.fsencode(part) for part in parts).decode("utf-8", "backslashreplace")
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return shown if len(shown) <= 300 else shown[:299] + "…"


def _refusal(found: os.stat_result) -> SkipReason | None:
    """Why an entry is not read, from its own (not followed) status; None: it may be."""
    mode = found.st_mode
    if stat.S_ISDIR(mode):
        return None
    if stat.S_ISREG(mode):
        return SkipReason.HARDLINK if found.st_nlink > 1 else None
    if stat.S_ISLNK(mode):
        return SkipReason.SYMLINK
    if stat.S_ISFIFO(mode):
        return SkipReason.FIFO
    if stat.S_ISSOCK(mode):
        return SkipReason.SOCKET
    return SkipReason.DEVICE


@dataclass(frozen=True)
class Found:
    """A regular file or a folder of the submission, open for the time of one step of a walk."""

    parts: tuple[str, ...]  # from the submission's folder (a notebook file: its own name)
    fd: int
    status: os.stat_result
    notebook: bool  # the submitted file, or a top-level *.ipynb of a folder

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.status.st_mode)


class Walk:
    """One pass over a submission, in sorted order: yields what may be read, with its
    descriptor open until the next step, and keeps what was skipped, and why."""

    def __init__(self, path: Path, limits: Limits, notebooks_only: bool = False) -> None:
        self.path = path
        self.limits = limits
        self.notebooks_only = notebooks_only  # the submitted file, or a folder's top-level ones
        self.refused: list[tuple[tuple[str, ...], SkipReason]] = []
        self.spent = 0
        self.stopped = False

    @property
    def skipped(self) -> tuple[SkippedFile, ...]:
        return tuple(skipped_file(parts, reason) for parts, reason in self.refused)

    def refuse(self, parts: tuple[str, ...], reason: SkipReason) -> None:
        """Name a file skipped; past the budget, or MAX_SKIPPED of them, the walk stops."""
        parts = parts or (self.path.name,)
        self.refused.append((parts, reason))
        if len(self.refused) == MAX_SKIPPED and reason != SkipReason.BUDGET:
            self.refused.append((parts, SkipReason.TOO_MANY))
        self.stopped = reason == SkipReason.BUDGET or len(self.refused) >= MAX_SKIPPED

    def __iter__(self) -> Iterator[Found]:
        # The folders above the submission are the instructor's: only its own name is not followed.
        parent = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield from self._visit(parent, self.path.name, (), 0)
        finally:
            os.close(parent)

    def _visit(self, dir_fd: int, name: str, parts: tuple[str, ...], depth: int) -> Iterator[Found]:
        if self.notebooks_only and depth == 1 and not name.endswith(".ipynb"):
            return  # looking for the notebook: the other files cost nothing, and are not named
        root = depth == 0
        try:
            before = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            self.refuse(parts, SkipReason.UNREADABLE)
            return
        if root and not stat.S_ISDIR(before.st_mode):
            parts = (name,)  # a notebook handed in alone: named from its folder, as before
        reason = _refusal(before)
        if len(os.fsencode("/".join(parts))) > MAX_PATH_BYTES:
            reason = SkipReason.DEPTH
        notebook = not stat.S_ISDIR(before.st_mode) and (
            root or (depth == 1 and name.endswith(".ipynb"))
        )
        if reason is None and not root and not notebook:
            reason = self._charge(before)
        if reason is not None:
            self.refuse(parts, reason)
            return
        yield from self._open(dir_fd, name, parts, depth, before, notebook)

    def _charge(self, found: os.stat_result) -> SkipReason | None:
        cost = max(found.st_size if stat.S_ISREG(found.st_mode) else 0, BLOCK)
        if self.spent + cost > self.limits.submission_bytes:
            return SkipReason.BUDGET
        self.spent += cost
        return None

    def _open(
        self,
        dir_fd: int,
        name: str,
        parts: tuple[str, ...],
        depth: int,
        before: os.stat_result,
        notebook: bool,
    ) -> Iterator[Found]:
        try:
            fd = os.open(name, _OPEN, dir_fd=dir_fd)
        except OSError as error:  # replaced by a link since lstat: ELOOP
            self.refuse(
                parts, SkipReason.SYMLINK if error.errno == errno.ELOOP else SkipReason.UNREADABLE
            )
            return
        try:
            status = os.fstat(fd)
            if (status.st_dev, status.st_ino) != (before.st_dev, before.st_ino):
                self.refuse(parts, _refusal(status) or SkipReason.UNREADABLE)
                return
            yield Found(parts, fd, status, notebook)
            if stat.S_ISDIR(status.st_mode):
                yield from self._children(fd, parts, depth)
        finally:
            os.close(fd)

    def _children(self, fd: int, parts: tuple[str, ...], depth: int) -> Iterator[Found]:
        if self.notebooks_only and depth >= 1:
            return
        if depth >= MAX_DEPTH:
            self.refuse(parts, SkipReason.DEPTH)
            return
        names = self._names(fd, parts)
        for name in names:
            if self.stopped:
                return
            yield from self._visit(fd, name, (*parts, name), depth + 1)

    def _names(self, fd: int, parts: tuple[str, ...]) -> list[str]:
        """The folder's names, sorted; a folder with more than the budget can hold is cut
        where it stops fitting (its names are not all read into memory)."""
        most = self.limits.submission_bytes // BLOCK + 1
        try:
            with os.scandir(fd) as entries:
                names = [entry.name for entry in itertools.islice(entries, most + 1)]
        except OSError:
            self.refuse(parts, SkipReason.UNREADABLE)
            return []
        if len(names) > most:
            self.refuse(parts, SkipReason.BUDGET)
            return []
        return sorted(names)


def is_folder(path: Path) -> bool:
    """A student's folder: a real one, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def skipped_file(parts: tuple[str, ...], reason: SkipReason) -> SkippedFile:
    message = say("skipped_file", reason=say(f"skip.{reason}")).text("fr")
    return SkippedFile(display_path(parts), reason, message)


def read_chunks(fd: int, most: int) -> Iterator[bytes]:
    """The file's bytes from where its descriptor is, at most `most` of them."""
    left = most
    while left > 0:
        chunk = os.read(fd, min(_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def submission_hash(path: Path, limits: Limits) -> str:
    """Content hash of everything the student handed in (keys the gradebook): the regular files'
    names and bytes in sorted order (notebooks up to their budget), then what was skipped."""
    digest = hashlib.sha256()
    walk = Walk(path, limits)
    try:
        for found in walk:
            if not found.is_dir:
                digest.update(os.fsencode("/".join(found.parts)))
                most = limits.notebook_bytes if found.notebook else found.status.st_size
                for chunk in read_chunks(found.fd, most):
                    digest.update(chunk)
    except OSError:  # the instructor's folder above the submission is gone
        return ""
    for parts, reason in walk.refused:
        digest.update(b"\0" + reason.encode() + b"\0" + os.fsencode("/".join(parts)))
    return digest.hexdigest()


def copy_submission(path: Path, workdir: Path, limits: Limits) -> tuple[SkippedFile, ...]:
    """Copy a student's folder into `workdir` (made by the caller), but for its notebook, and
    return what was skipped. A notebook handed in alone has nothing else to copy."""
    if not is_folder(path):
        return ()
    walk = Walk(path, limits)
    targets: list[tuple[tuple[str, ...], int]] = [
        ((), os.open(workdir, os.O_RDONLY | os.O_DIRECTORY))
    ]
    try:
        for found in walk:
            if found.parts and not found.notebook:
                _copy(found, targets, walk)
    finally:
        for _, fd in targets:
            os.close(fd)
    return walk.skipped


def _copy(found: Found, targets: list[tuple[tuple[str, ...], int]], walk: Walk) -> None:
    """Copy one entry of a pre-order walk; `targets` is the stack of the copy's open folders."""
    while len(targets) > 1 and not _ancestor(targets[-1][0], found.parts):
        os.close(targets.pop()[1])
    if targets[-1][0] != found.parts[:-1]:
        return  # in a folder that could not be copied, which is named already
    parent, name = targets[-1][1], found.parts[-1]
    try:
        if found.is_dir:
            os.mkdir(name, dir_fd=parent)
            targets.append((found.parts, os.open(name, _OPEN | os.O_DIRECTORY, dir_fd=parent)))
        else:
            _copy_file(found, name, parent)
    except OSError:  # a name the assignment's data took, or the scratch space is full
        walk.refuse(found.parts, SkipReason.UNREADABLE)


def _ancestor(folder: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    return len(folder) < len(parts) and parts[: len(folder)] == folder


def _copy_file(found: Found, name: str, parent: int) -> None:
    """The file's bytes as a new file `name` of `parent`; nothing is left of a failed copy."""
    target = os.open(name, _CREATE, 0o666, dir_fd=parent)
    try:
        for chunk in read_chunks(found.fd, found.status.st_size):
            while chunk:
                chunk = chunk[os.write(target, chunk) :]
    except OSError:
        os.unlink(name, dir_fd=parent)
        raise
    finally:
        os.close(target)


@dataclass(frozen=True)
class NotebookFile:
    """The notebook a submission hands in, as bytes, or why there is none to run."""

    content: bytes | None
    said: Message | None  # for the student: why nothing was run
    skipped: tuple[SkippedFile, ...]  # the notebooks that were not read

    @property
    def problem(self) -> str | None:
        """Why nothing was run, in French."""
        return self.said.text("fr") if self.said else None


def read_notebook(path: Path, limits: Limits) -> NotebookFile:
    """The submitted notebook, or a folder's one top-level *.ipynb: a regular file with one link,
    read up to `limits.notebook_bytes`. Links, FIFOs, devices and larger files are not read."""
    walk = Walk(path, limits, notebooks_only=True)
    contents: list[tuple[str, bytes | None]] = []
    try:
        for found in walk:
            if found.notebook:
                contents.append((found.parts[-1], _bounded(found.fd, limits.notebook_bytes)))
    except OSError:
        return NotebookFile(None, say("load.missing", name=display_path((path.name,))), ())
    refused = list(walk.refused)
    for name, content in contents:
        if content is None:
            refused.append(((name,), SkipReason.NOTEBOOK_SIZE))
    skipped = tuple(skipped_file(parts, reason) for parts, reason in refused)
    readable = [content for _, content in contents if content is not None]
    if len(readable) == 1 and len(contents) == 1:
        return NotebookFile(readable[0], None, skipped)
    return NotebookFile(None, _no_notebook(path, contents, refused, limits), skipped)


def _bounded(fd: int, most: int) -> bytes | None:
    """The file's bytes, or None when it holds more than `most` (only `most` + 1 are read)."""
    content = b"".join(read_chunks(fd, most + 1))
    return None if len(content) > most else content


def _no_notebook(
    path: Path,
    contents: list[tuple[str, bytes | None]],
    refused: list[tuple[tuple[str, ...], SkipReason]],
    limits: Limits,
) -> Message:
    if len(contents) == 1:  # the one notebook is too large
        name = display_path((contents[0][0],))
        return say("load.too_large", name=name, limit=size(limits.notebook_bytes))
    if not is_folder(path):  # a notebook handed in alone, and refused
        reason = say(f"skip.{refused[0][1]}") if refused else say("load.not_found")
        return say("load.refused", name=display_path((path.name,)), reason=reason)
    names = ", ".join(display_path((name,)) for name, _ in contents)
    found: Message | str = names or say("load.none")
    if not refused:
        return say("load.not_one", found=found)
    ignored = [
        say("load.ignored", name=display_path(parts), reason=say(f"skip.{reason}"))
        for parts, reason in refused
    ]
    return say("load.not_one_ignored", found=found, ignored=say("join.clauses", items=ignored))
