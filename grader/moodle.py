"""Moodle's "Download all submissions": its folder names, its zip, and the grading worksheet.

Moodle names each participant's folder `<Full name>_<participant number>_assignsubmission_file_`
(the number is the assignment's own, shown as "Participant 12345" in the grading worksheet). Such
a folder becomes the student id `<Full name>_<number>`, or, given the worksheet as roster
(`--roster`), the participant's username (its email address when the worksheet has no username
column): then moodle.csv imports as is. Folders of other submission plugins (online text) hold
no notebook and are left out.

The zip is hostile like every submission: it is extracted by grader, never by a library that
trusts it. A member whose path is absolute, climbs out (`..`), is too deep or too long, is a
link or a special file, or repeats an earlier one refuses the whole archive, naming the member
(Moodle writes none of those). So do more than MAX_MEMBERS members, a member larger than a
whole submission (`limits.submission_bytes`), and an archive whose bytes, counted as they are
decompressed (the sizes it declares are not trusted), pass MAX_ARCHIVE_BYTES.
"""

from __future__ import annotations

import csv
import os
import re
import stat
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import ConfigError, GraderError
from grader.sandbox.limits import Limits
from grader.submission import MAX_DEPTH, MAX_PATH_BYTES
from grader.text import student_id

FOLDER = re.compile(r"(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_")
MAX_MEMBERS = 20_000  # files and folders of one archive (a class of 300 hands in ~1,000)
MAX_ARCHIVE_BYTES = 8 * 1024**3  # decompressed, all members together
_CHUNK = 1024**2
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

# The grading worksheet's columns, in English and in French.
IDENTIFIER = ("Identifier", "Identifiant")
USERNAME = ("Username", "Nom d'utilisateur")
EMAIL = ("Email address", "Adresse de courriel", "Adresse courriel")
PARTICIPANT = re.compile(r"\s*Participant\s+(\d+)\s*")


@dataclass(frozen=True)
class MoodleFolder:
    """What a Moodle folder name says: the participant's full name and number, the plugin."""

    name: str
    participant: str
    plugin: str


def parse_folder(name: str) -> MoodleFolder | None:
    """The parts of a Moodle folder name; None for any other name."""
    found = FOLDER.fullmatch(name)
    if found is None:
        return None
    return MoodleFolder(found["name"], found["participant"], found["plugin"])


def read_roster(path: Path) -> dict[str, str]:
    """Participant number -> username (or email address) from Moodle's grading worksheet
    ("Download grading worksheet", in English or French)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"cannot read the roster: {error}") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    identifier = next((c for c in IDENTIFIER if c in header), None)
    login = next((c for c in (*USERNAME, *EMAIL) if c in header), None)
    if identifier is None or login is None:
        raise ConfigError(
            path,
            f"not a Moodle grading worksheet: it needs the columns {IDENTIFIER[0]!r} and "
            f"{USERNAME[0]!r} or {EMAIL[0]!r}; found {', '.join(map(repr, header)) or 'none'}",
            line=1,
        )
    roster: dict[str, str] = {}
    for row in reader:
        number = PARTICIPANT.fullmatch(row.get(identifier) or "")
        user = (row.get(login) or "").strip()
        if number is None or not user:
            field, value = (identifier, row.get(identifier)) if number is None else (login, user)
            raise ConfigError(
                path, f"expected a {field!r} here, got {value!r}", reader.line_num, field
            )
        roster[number[1]] = user
    return roster


def moodle_student(path: Path, roster: Mapping[str, str] | None) -> str | None:
    """The student id of a Moodle submission folder; None when `path` is not one."""
    folder = parse_folder(path.name)
    if folder is None or folder.plugin != "file":
        return None
    if roster is not None and folder.participant in roster:
        return student_id(roster[folder.participant])
    return student_id(f"{folder.name}_{folder.participant}")


def is_moodle_archive(path: Path) -> bool:
    """A zip whose top-level entries are Moodle submission folders."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            tops = {PurePosixPath(info.filename).parts[:1] for info in archive.infolist()[:100]}
    except (OSError, zipfile.BadZipFile):
        return False
    return bool(tops) and all(top and parse_folder(top[0]) for top in tops)


def extract_archive(archive: Path, into: Path, limits: Limits) -> list[Path]:
    """Extract Moodle's zip into the empty folder `into`; return its submission folders."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = opened.infolist()
            if len(members) > MAX_MEMBERS:
                raise GraderError(f"{archive}: more than {MAX_MEMBERS} members; not extracted")
            total = 0
            for info in members:
                total += _extract(opened, info, into, limits, MAX_ARCHIVE_BYTES - total)
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:  # RuntimeError: encrypted
        raise GraderError(f"{archive}: not a readable zip archive ({error})") from None
    except _Refused as refused:
        raise GraderError(f"{archive}: member {refused.member!r} {refused.reason}") from None
    return sorted(entry for entry in into.iterdir() if entry.is_dir() and parse_folder(entry.name))


class _Refused(Exception):
    def __init__(self, member: str, reason: str) -> None:
        self.member = member[:300]
        self.reason = reason


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    name = info.filename
    parts = tuple(part for part in name.split("/") if part)
    if name.startswith("/") or "\\" in name or "\0" in name:
        raise _Refused(name, "has an absolute or Windows path; the archive was refused")
    if not parts or any(part in (".", "..") for part in parts):
        raise _Refused(name, "leaves its folder (..); the archive was refused")
    if len(parts) > MAX_DEPTH or len(os.fsencode(name)) > MAX_PATH_BYTES:
        raise _Refused(name, "is too deep or its path too long; the archive was refused")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _Refused(name, "is a link or a special file; the archive was refused")
    return parts


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, limits: Limits, room: int
) -> int:
    """Write one member below `into` (folders made as needed); return its size in bytes."""
    parts = _member_parts(info)
    target = into.joinpath(*parts)
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    most = min(limits.submission_bytes, room)
    try:
        fd = os.open(target, _CREATE, 0o644)
    except FileExistsError:
        raise _Refused(info.filename, "appears twice; the archive was refused") from None
    written = 0
    with os.fdopen(fd, "wb") as out, archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            written += len(chunk)
            if written > most:
                raise _Refused(info.filename, f"is larger than {most} bytes; not extracted")
            out.write(chunk)
    return written


def expand_archives(
    paths: Sequence[Path], archives: Sequence[Path], scratch: Path, limits: Limits
) -> list[Path]:
    """The submissions to grade: `paths`, where each Moodle zip among them (and each of
    `archives`) is replaced by the submission folders extracted from it below `scratch`."""
    expanded: list[Path] = []
    for number, path in enumerate([*archives, *paths]):
        if path in archives or is_moodle_archive(path):
            into = scratch / f"moodle-{number}"
            into.mkdir()
            expanded.extend(extract_archive(path, into, limits))
        else:
            expanded.append(path)
    return expanded
