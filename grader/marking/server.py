"""The marking page's web server: Flask on 127.0.0.1, every request checked before anything runs.

The token printed on the terminal opens the page (in its URL) and authorises each API call (in
the X-Grader-Token header, which no other site's page can send: that is the CSRF guard; no CORS
header is ever sent). Requests whose Host is not this server's loopback address are refused (a
DNS-rebinding page would name its own host). Each request opens its own connection to the
gradebook; every mark is one SQLite transaction (grader/marking/store.py).
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
from collections.abc import Iterator
from contextlib import closing as _closing
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, make_response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from grader.gradebook.manual import notebook_cells
from grader.graded_folder import rerender
from grader.marking.answers import (
    Part,
    Section,
    answer_parts,
    criterion_sections,
    sections,
)
from grader.marking.store import Answer, Conflict, Item, MarkingStore, Refused, answer_of
from grader.report.i18n import Lang
from grader.results import CriterionScore, GradeReport
from grader.sandbox.limits import Limits
from grader.text import safe_text

TOKEN_HEADER = "X-Grader-Token"
COMMENT_LIMIT = 5000
_PAGE = resources.files("grader.marking").joinpath("page.html")


@dataclass
class Session:
    """One `grader mark` server: its gradebook, assignment and secrets."""

    out: Path
    assignment: str
    title: str
    lang: Lang
    anonymous: bool
    template: set[str]
    limits: Limits
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    port: int = 0
    _run: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _names: dict[str, str] = field(default_factory=dict)  # what the page shows -> student id
    _groups: dict[str, str] = field(default_factory=dict)  # a group's first member -> its name

    def store(self) -> MarkingStore:
        return MarkingStore(self.out / "gradebook.sqlite")

    def run(self, store: MarkingStore) -> int:
        """The gradebook run of this session's marks, started at the first one (as `grader
        manual import` starts one per sheet)."""
        with self._lock:
            if not self._run:
                self._run = store.start_run(self.assignment, 0, "manual", self.title)
            return self._run

    def shown(self, store: MarkingStore, student: str) -> str:
        name = store.pseudonym(student) if self.anonymous else self._groups.get(student, student)
        self._names[name] = student
        return name

    def markable(self, store: MarkingStore) -> dict[str, GradeReport]:
        """The current results, a group's once: its first member's, which the page names after
        the group and its members (a mark given there is every member's: MarkingStore)."""
        current = {s: c.report for s, c in store.current(self.assignment).items()}
        once = {}
        for student, report in current.items():
            group = report.group
            if group is not None:
                if student != next((m for m in group.members if m in current), student):
                    continue
                self._groups[student] = f"{group.name} ({', '.join(group.members)})"
            once[student] = report
        return once

    def student(self, store: MarkingStore, shown: object) -> str:
        """The student a name of the page stands for (404 for any other)."""
        if isinstance(shown, str) and shown not in self._names:
            for student in self.markable(store):
                self.shown(store, student)
        if not isinstance(shown, str) or shown not in self._names:
            abort(404)
        return self._names[shown]


class _QuietHandler(WSGIRequestHandler):
    """No line per request on the marker's terminal (the page's address holds the token)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve(session: Session, port: int) -> BaseWSGIServer:
    """The server of `session` bound to 127.0.0.1:`port` (0: any free one), not yet serving."""
    server = make_server(
        "127.0.0.1", port, create_app(session), threaded=True, request_handler=_QuietHandler
    )
    session.port = server.server_port
    return server


def create_app(session: Session) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.before_request
    def guard() -> None:
        if request.host not in (f"127.0.0.1:{session.port}", f"localhost:{session.port}"):
            abort(421)
        given = request.headers.get(TOKEN_HEADER, "")
        if request.path == "/" and request.method == "GET":
            given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), session.token.encode()):
            abort(403)
        if request.method == "POST" and not request.is_json:
            abort(415)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.get("/")
    def page() -> Response:
        nonce = secrets.token_urlsafe(16)
        html = _PAGE.read_text(encoding="utf-8").replace("{{nonce}}", nonce)
        response = Response(html.replace("{{token}}", session.token), mimetype="text/html")
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        return response

    @app.get("/api/state")
    def state() -> Response:
        with _closing(session.store()) as store:
            current = session.markable(store)
            marks = store.marks(session.assignment)
            students = sorted(
                (session.shown(store, s), s) for s, r in current.items() if _manual(r)
            )
            items = store.items(session.assignment)
        criteria = {c.id: c for r in current.values() for c in r.criteria if c.manual}
        return jsonify(
            title=session.title,
            anonymous=session.anonymous,
            criteria=[
                {"id": c.id, "title": c.title, "max_points": c.max_points}
                for c in criteria.values()
            ],
            students=[shown for shown, _ in students],
            items=[asdict(i) for i in items],
            marks={
                shown: {
                    c.id: _answer_json(answer_of(marks.get((student, c.id)), c)) for c in _manual(r)
                }
                for shown, student in students
                for r in [current[student]]
            },
        )

    @app.get("/api/answer")
    def answer() -> Response:
        criterion = request.args.get("criterion", "")
        with _closing(session.store()) as store:
            student = session.student(store, request.args.get("student"))
            result = store.current_result(session.assignment, student)
        if result is None:
            abort(404)
        score = next((c for c in result.report.criteria if c.id == criterion and c.manual), None)
        if score is None:
            abort(404)
        found = notebook_cells(result.submission, session.limits) if result.submission else []
        cells = sections(found)
        parts, headings = answer_parts(cells, criterion, score.title, session.template)
        return jsonify(
            parts=[asdict(p) for p in [*parts, *_pdf_pages(result.report)]],
            headings=headings,
            automatic=_automatic(result.report, headings, cells, session.template),
        )

    @app.post("/api/mark")
    def mark() -> tuple[Response, int]:
        body = _body()
        applied = body.get("items")
        if not isinstance(applied, list) or not all(isinstance(i, int) for i in applied):
            abort(400)
        given = (
            list(dict.fromkeys(applied)),
            _points(body.get("free_points"), optional=True),
            _comment(body.get("comment")),
        )
        with _closing(session.store()) as store, _store_answers(refused=400):
            student = session.student(store, body.get("student"))
            saved = store.save_mark(
                session.assignment,
                (student, str(body.get("criterion"))),
                given,
                _mark_version(body),
                session.run(store),
            )
        return jsonify(mark=_answer_json(saved)), 200

    @app.post("/api/items")
    def add_item() -> Response:
        body = _body()
        with _closing(session.store()) as store:
            current = store.current(session.assignment)
            if not any(
                c.id == body.get("criterion") for r in current.values() for c in _manual(r.report)
            ):
                abort(400)
            item = store.add_item(
                session.assignment,
                str(body["criterion"]),
                _points(body.get("points")) or 0.0,
                _comment(body.get("comment")),
            )
        return jsonify(item=asdict(item))

    @app.get("/api/items/<int:item>/uses")
    def uses(item: int) -> Response:
        with _closing(session.store()) as store:
            found = store.item_uses(session.assignment, item)
            return jsonify(
                count=len(found), students=[session.shown(store, m.student) for m in found]
            )

    @app.post("/api/items/<int:item>")
    def edit_item(item: int) -> tuple[Response, int]:
        body = _body()
        with _closing(session.store()) as store, _store_answers(refused=404):
            edited, changed = store.edit_item(
                session.assignment,
                item,
                _points(body.get("points")) or 0.0,
                _comment(body.get("comment")),
                _item_version(body),
                session.run(store),
            )
            marks = [
                {"student": session.shown(store, student), **_answer_json(answer)}
                for student, answer in changed.items()
            ]
        return jsonify(item=asdict(edited), marks=marks), 200

    @app.post("/api/render")
    def render() -> Response:
        return jsonify(reports=len(rerender(session.out, session.lang)))

    return app


def _manual(report: GradeReport) -> list[CriterionScore]:
    return [c for c in report.criteria if c.manual]


def _pdf_pages(report: GradeReport) -> list[Part]:
    """The pages of the submission's PDF report, as a check drew them (grader.pdf; already
    bounded PNGs), shown with every manual criterion: the report is marked by hand."""
    return [
        Part("plot", image)
        for criterion in report.criteria
        for check in criterion.checks
        if check.section and check.section.get("kind") == "pdf-pages"
        for image in check.section["data"].get("images", [])
    ]


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "items": list(answer.items),
        "free_points": answer.free_points,
        "comment": answer.free_comment,
        "points": answer.points,
        "marked": answer.marked,
        "version": answer.version,
    }


@contextmanager
def _store_answers(refused: int) -> Iterator[None]:
    """The store's Conflict as a 409 with what the mark or item is now, its Refused as a
    `refused` with why."""
    try:
        yield
    except Conflict as conflict:
        abort(make_response(jsonify(conflict=_conflict_json(conflict)), 409))
    except Refused as error:
        abort(make_response(jsonify(error=str(error)), refused))


def _conflict_json(conflict: Conflict) -> dict[str, Any]:
    if isinstance(conflict.current, Item):
        return {"item": asdict(conflict.current)}
    return {"mark": _answer_json(conflict.current)}


def _automatic(
    report: GradeReport, headings: list[str], cells: list[Section], template: set[str]
) -> list[dict[str, Any]]:
    """The automatic criteria of the answer's sections (by their titles), or all of them."""
    found = [
        {"title": c.title, "points": c.points, "max_points": c.max_points}
        for c in report.criteria
        if not c.manual
        and any(s.heading in headings for s in criterion_sections(cells, c.id, c.title, template))
    ]
    return found or [
        {"title": c.title, "points": c.points, "max_points": c.max_points}
        for c in report.criteria
        if not c.manual
    ]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _points(value: object, optional: bool = False) -> float | None:
    if optional and (value is None or value == ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        abort(400)
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        abort(400)
    if not math.isfinite(number) or abs(number) > 1000:
        abort(400)
    return round(number, 2)


def _comment(value: object) -> str:
    if value is not None and not isinstance(value, str):
        abort(400)
    return safe_text((value or "").strip(), COMMENT_LIMIT)


def _item_version(body: dict[str, Any]) -> int:
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        abort(400)
    return version


def _mark_version(body: dict[str, Any]) -> str:
    version = body.get("version")
    if not isinstance(version, str) or len(version) > 64:
        abort(400)
    return version
