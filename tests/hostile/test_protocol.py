"""Kernels that break the Jupyter protocol, through `grader grade` beside a normal student.

Each hostile notebook is alice's (20/20) plus one cell that makes its kernel send what the
protocol forbids: the same bytes over and over (a patched serialiser), a replayed message, a
parent header naming a request the grader never sent, a wrong key, no signature, a content of
the wrong shape, a message past the size cap in one frame or in several, a message under the
cap whose JSON holds millions of values. That kernel is killed
with a status and a French sentence, the notebook goes on in a fresh kernel without the cell,
and the grading never fails: exit code 0 or 1, the class files written, the others graded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from tests.conftest import EXAMPLES, IN_BWRAP_BOXES, gradebook_rows, grader_command

pytestmark = [*IN_BWRAP_BOXES, pytest.mark.slow]

MESSAGE_SIZE = 8 * 2**20  # the assignment's message cap in these tests

# Send from the student's cell through the kernel's own session and iopub socket.
KERNEL = "kernel = get_ipython().kernel\n"
FORGER = KERNEL + (
    "from jupyter_client.session import Session\n"
    "def forged(key):\n"
    "    return Session(key=key, session=kernel.session.session, username='grader')\n"
)


def stream(text: str) -> str:
    return f"{{'name': 'stdout', 'text': {text}}}"


ATTACKS = {
    # The cell, packed as without orjson: every message is the same bytes, not JSON.
    "constant": (
        "import json\n"
        "json.dumps = lambda *a, **k: 'patched'\n"
        "get_ipython().kernel.session.packer = 'json'\n"
        "print('a'); print('b')"
    ),
    "replayed": KERNEL
    + f"message = kernel.session.msg('stream', {stream(repr('twice'))}, parent=kernel.get_parent())\n"
    "kernel.session.send(kernel.iopub_socket, message)\n"
    "kernel.session.send(kernel.iopub_socket, message)",
    "forged-parent": KERNEL + "kernel.session.send(kernel.iopub_socket, 'status', "
    "{'execution_state': 'idle'}, parent={'msg_id': 'never-sent', 'msg_type': 'execute_request'})",
    "wrong-key": FORGER
    + f"forged(b'not-the-key').send(kernel.iopub_socket, 'stream', {stream(repr('x'))}, "
    "parent=kernel.get_parent())",
    "unsigned": FORGER + f"forged(b'').send(kernel.iopub_socket, 'stream', {stream(repr('x'))}, "
    "parent=kernel.get_parent())",
    "wrong-shape": KERNEL + "kernel.session.send(kernel.iopub_socket, 'comm_msg', "
    "{'comm_id': 'w', 'data': {'state': 5}}, parent=kernel.get_parent())",
    "reply-without-status": KERNEL + "send = kernel.session.send\n"
    "def strip(stream, kind, content=None, *args, **kwargs):\n"
    "    return send(stream, kind, {} if kind == 'execute_reply' else content, *args, **kwargs)\n"
    "kernel.session.send = strip",
    "oversized": KERNEL
    + f"kernel.session.send(kernel.iopub_socket, 'stream', {stream(repr('x') + ' * ' + str(MESSAGE_SIZE + 1))}, "
    "parent=kernel.get_parent())",
    # Under the size cap, but 2.5 million values: json.loads would build them all (300 MB).
    "json-bomb": KERNEL + "kernel.session.send(kernel.iopub_socket, 'display_data', "
    "{'data': {'application/json': [{}] * 2_500_000}, 'metadata': {}}, parent=kernel.get_parent())",
    "oversized-in-frames": KERNEL
    + f"kernel.session.send(kernel.iopub_socket, 'stream', {stream(repr('x'))}, "
    f"parent=kernel.get_parent(), buffers=[b'x' * {MESSAGE_SIZE // 2}] * 3)",
}
STATUS = {name: "protocol-error" for name in ATTACKS} | {"oversized": "output-limit"}
SENTENCE = {
    "protocol-error": "le noyau a envoyé au correcteur un message que le protocole Jupyter interdit",
    "output-limit": "a produit trop de sortie (plus de 8 Mio d'un coup) ; le noyau a été arrêté",
}

# The kernel answers every probe twice with the same signed message: a replay during the checks.
REPLAYS_PROBE_ANSWERS = KERNEL + (
    "send = kernel.session.send\n"
    "def send_twice(stream, kind, content=None, parent=None, ident=None, buffers=None,\n"
    "               track=False, header=None, metadata=None):\n"
    "    if kind != 'comm_msg':\n"
    "        return send(stream, kind, content, parent, ident, buffers, track, header, metadata)\n"
    "    message = kernel.session.msg(kind, content, parent, metadata=metadata)\n"
    "    send(stream, message, ident=ident, buffers=buffers)\n"
    "    return send(stream, message, ident=ident, buffers=buffers)\n"
    "kernel.session.send = send_twice"
)


def hostile(folder: Path, name: str, cell: str) -> Path:
    notebook = nbformat.read(EXAMPLES / "alice.ipynb", as_version=4)
    notebook.cells.append(new_code_cell(cell))
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


def result(out: Path, student: str) -> dict[str, Any]:
    return dict(json.loads((out / "results" / f"{student}.json").read_text()))


# Fresh kernels cost a cold start each (and a second one to go on without the cell): the issue's
# four misbehaviours there, every one with the warm start.
FRESH = ("constant", "forged-parent", "wrong-key", "oversized-in-frames")


@pytest.mark.parametrize("kernels", ["warm", "fresh"])
def test_a_kernel_that_breaks_the_protocol_is_stopped_and_the_class_is_graded(
    kernels: str, tmp_path: Path, assignment_copy: Path, course_mirror: Path
) -> None:
    spec = assignment_copy / "assignment.yaml"
    # Generous time limits: a loaded machine must not turn a protocol error into a timeout.
    spec.write_text(
        spec.read_text()
        .replace("cell_timeout: 15", "cell_timeout: 90")
        .replace("notebook_timeout: 120", "notebook_timeout: 900")
        .replace("  output: 5 MiB", "  output: 5 MiB\n  message_size: 8 MiB")
    )
    attacks = FRESH if kernels == "fresh" else tuple(ATTACKS)
    notebooks = tmp_path / "submissions"
    notebooks.mkdir()
    shutil.copyfile(EXAMPLES / "alice.ipynb", notebooks / "normal.ipynb")
    paths = [notebooks / "normal.ipynb", *(hostile(notebooks, n, ATTACKS[n]) for n in attacks)]
    if kernels == "warm":
        paths.append(hostile(notebooks, "probe-replay", REPLAYS_PROBE_ANSWERS))
    out = tmp_path / "out"
    fresh = ["--fresh-kernels"] if kernels == "fresh" else []
    completed = grader_command(
        "grade", str(assignment_copy), *map(str, paths), "--out", str(out), "-j", "2",
        "--seed", "5", "--sandbox", "bwrap", "--mirror", str(course_mirror), *fresh,
    )  # fmt: skip
    assert completed.returncode <= 1, completed.stdout + completed.stderr
    warm_started = "kernels fork from it" in completed.stdout
    assert warm_started == (kernels == "warm"), completed.stdout
    for name in ("gradebook.csv", "gradebook.json", "summary.html", "moodle.csv"):
        assert (out / name).is_file(), name
    assert {row["student"] for row in gradebook_rows(out)} == {path.stem for path in paths}
    normal = result(out, "normal")
    assert (normal["score"], normal["execution"]["status"]) == (20, "ok")
    cell = len(nbformat.read(EXAMPLES / "alice.ipynb", as_version=4).cells) + 1
    for name in attacks:
        execution = result(out, name)["execution"]
        message = execution["message"] or ""
        assert execution["status"] == STATUS[name], (name, execution)
        assert SENTENCE[STATUS[name]] in message, (name, message)
        assert f"sans la cellule {cell}" in message, (name, message)  # went on without it
        assert result(out, name)["score"] == 20, name  # what ran before it is graded
        report = (out / "reports" / f"{name}.html").read_text()
        assert ("protocole Jupyter enfreint" in report) == (STATUS[name] == "protocol-error")
    if kernels == "warm":
        assert_probe_replay_is_a_check_error(result(out, "probe-replay"))


def assert_probe_replay_is_a_check_error(probed: dict[str, Any]) -> None:
    """The notebook ran; its first probe met the replay, which stopped the kernel: every check
    that needs the kernel is an error saying so."""
    assert probed["execution"]["status"] == "ok"
    checks = [check for criterion in probed["criteria"] for check in criterion["checks"]]
    messages = [check["message"] for check in checks]
    sentence = "le noyau a envoyé un message que le protocole Jupyter interdit : il a été arrêté"
    assert sum(sentence in message for message in messages) == 1, messages
    assert all(check["outcome"] in ("passed", "error") for check in checks), messages
    assert probed["score"] < 20
