"""What `grader mark` costs per request on a class of N students, no kernel, no browser.

Records N results in a real gradebook, serves the marking app on 127.0.0.1 in a thread (the
real server and Flask app of `grader mark`), then times over HTTP: the page's state (the whole
class), one answer's material, one mark (one SQLite transaction with the rescored result), and
the edit of a rubric item applied to every answer. Prints the figures; asserts nothing.

    PYTHONPATH=. python benchmarks/bench_marking.py [--students 200]
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.recorded_class import recorded_class
from grader.marking.server import TOKEN_HEADER, Session, serve
from grader.sandbox.limits import Limits


def main() -> None:
    with recorded_class() as recorded:
        out, students = recorded.folder, recorded.students
        session = Session(out, "tp-mini", "TP mini", "fr", False, set(), Limits())
        server = serve(session, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        call = Caller(session.port, session.token)
        print(f"students: {len(students)}")
        seconds, _ = timed(lambda: call("GET", "/api/state"))
        print(f"page state (the whole class): {1000 * seconds:.0f} ms")
        seconds, _ = timed(lambda: call("GET", "/api/answer?student=s0000&criterion=redaction"))
        print(f"one answer's material: {1000 * seconds:.1f} ms")
        item = call(
            "POST", "/api/items", {"criterion": "redaction", "points": 3, "comment": "Bien."}
        )
        versions = call("GET", "/api/state")["marks"]
        marks = [
            {
                "student": s,
                "criterion": "redaction",
                "items": [item["item"]["id"]],
                "version": versions[s]["redaction"]["version"],
            }
            for s in students
        ]
        seconds, _ = timed(lambda: [call("POST", "/api/mark", mark) for mark in marks])
        each = 1000 * seconds / len(marks)
        print(f"one mark saved (request, transaction, rescored result): {each:.1f} ms")
        edit = {"points": 2.5, "comment": "Bien, sans plus.", "version": item["item"]["version"]}
        path = f"/api/items/{item['item']['id']}"
        seconds, edited = timed(lambda: call("POST", path, edit))
        count = len(edited["marks"])
        print(f"an item applied to {count} answers edited, all remarked: {seconds:.2f} s")
        server.shutdown()


class Caller:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {TOKEN_HEADER: self.token, "Content-Type": "application/json"}
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    main()
