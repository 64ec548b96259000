"""The probe channel: ask the student's kernel for values, and get back data, never code.

At the first question the grader installs a small program in the kernel, reached through a
Jupyter comm; each question is then one comm message (inputs as `.npy` bytes inside JSON) and
each answer one comm message whose buffer holds JSON, arrays as `.npy` read here without pickle.
A comm message skips what every execute request costs the kernel (IPython's cell machinery,
stream flushes, a 0.5 ms sleep): a round trip takes ~2 ms instead of ~10. Student code may tamper
with all of this inside its kernel: the only effect is on the values it sends back, which are
exactly what is being judged.

So answers are bounded before they are decoded (issue 16): while probing, every frame the kernel
sends is measured before jupyter_client parses it, the answer (a raw buffer, which the Session
leaves alone) before json.loads, and each string and `.npy` header before it becomes a value. A
bombed answer is the check's error "réponse trop volumineuse", in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import io
import json
import math
import os
import re
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import messages
from grader.checks.figures import Figure, read_figures
from grader.messages import Message, say
from grader.results import ExecutionRecord, ExecutionStatus
from grader.sandbox.bounded import JsonLimits, TooLarge, bounded_unpacker, loads
from grader.sandbox.execute import ExecutedNotebook
from grader.sandbox.limits import Limits
from grader.sandbox.protocol import ProtocolViolation

if TYPE_CHECKING:
    from grader.checks.carry import StandIn

_ALLOWED_DTYPE_KINDS = "biufc"  # bool, integers, floats, complex: nothing that needs pickle
_PLAIN_FILE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")

# What one answer may hold, beside its size in bytes (Limits.probe_answer_bytes): far above what
# a check needs (an array travels as one string), far below what hurts the grader.
ANSWER_VALUES = 100_000  # containers and items: 100 000 small dicts, decoded, peak at 20 MB
ANSWER_DEPTH = 64  # the kernel side nests 21 levels of values at most, each one or two in JSON
ANSWER_TEXT_CHARS = 1_000_000  # one string that is not an array


class ProbeError(Exception):
    """The value could not be obtained; `message` is the French sentence a student reads,
    `said` the same as data (grader.messages) when the grader wrote it."""

    def __init__(self, message: str | Message, detail: str | None = None) -> None:
        text = message.text("fr") if isinstance(message, Message) else message
        super().__init__(text)
        self.message = text
        self.said = message if isinstance(message, Message) else None
        self.detail = detail


class MissingName(ProbeError):
    pass


class StudentCodeRaised(ProbeError):
    pass


class KernelUnavailable(ProbeError):
    pass


@dataclass(frozen=True)
class Unsupported:
    """A value of a type that cannot travel as data (a function, a model, a file handle)."""

    type_name: str


# Runs inside the kernel once, in a namespace of its own (it leaves no name in the student's):
# registers the comm target TARGET, whose every message is one request, answered by one comm
# message holding JSON. Whatever it sends back is untrusted. An in-notebook self-check
# (grader.selfcheck) runs the same answers in the student's own process, without the comm.
KERNEL_ANSWERS = r"""
import base64, io, json, traceback
import numpy as np

def decode(value):
    if isinstance(value, dict) and "__ndarray__" in value:
        array = np.load(io.BytesIO(base64.b64decode(value["__ndarray__"])), allow_pickle=False)
        if value.get("torch"):
            import torch
            return torch.from_numpy(array)
        return array
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value

def encode(value, depth=0):
    if depth > 20:
        return {"__unsupported__": "structure trop profonde"}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [encode(v, depth + 1) for v in value]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: encode(v, depth + 1) for k, v in value.items()}
    torch_like = type(value).__module__.startswith("torch") and hasattr(value, "detach")
    if torch_like:
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(value), allow_pickle=False)
        raw = base64.b64encode(buffer.getvalue()).decode()
        return {"__ndarray__": raw, "torch": torch_like}
    return {"__unsupported__": type(value).__name__}

MISSING = object()

def answer(request):
    # Carry-forward: the student's functions replaced by public references for this request.
    ns = get_ipython().user_ns
    saved = {}
    try:
        for name, (source, function) in (request.get("stand_ins") or {}).items():
            space = {}
            exec(compile(source, "<grader-reference>", "exec"), space)
            saved[name] = ns.get(name, MISSING)
            ns[name] = space[function]
        return respond(request, ns)
    except BaseException as exc:
        return raised(exc)
    finally:
        for name, value in saved.items():
            if value is MISSING:
                ns.pop(name, None)
            else:
                ns[name] = value

def raised(exc):
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"__raised__": {"type": type(exc).__name__, "message": str(exc)[:500],
                           "traceback": "".join(lines[-6:])[-3000:]}}

def respond(request, ns):
    try:
        if request["op"] == "figures":
            recorded = getattr(get_ipython(), "grader_figures", None)
            return {"value": encode(recorded() if callable(recorded) else None)}
        if request["name"] is not None and request["name"] not in ns:
            return {"__missing__": request["name"]}
        if request["op"] == "get":
            return {"value": encode(ns[request["name"]])}
        if request["op"] == "call":
            args = decode(request["args"])
            kwargs = decode(request["kwargs"])
            return {"value": encode(ns[request["name"]](*args, **kwargs))}
        import ast
        scope = dict(ns)
        scope.update(decode(request["inputs"]))
        tree = ast.parse(request["source"])
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<grader>", "exec"), scope)
        result = None
        if last is not None:
            result = eval(compile(ast.Expression(last.value), "<grader>", "eval"), scope)
        return {"value": encode(result)}
    except BaseException as exc:
        return raised(exc)
"""

# The kernel side proper: a comm target whose every message is one request.
_KERNEL_COMM = r"""
def opened(comm, open_message):
    def reply(message):
        request = json.loads(message["content"]["data"]["request"])
        comm.send({}, buffers=[json.dumps(answer(request)).encode()])
    comm.on_msg(reply)

get_ipython().kernel.comm_manager.register_target(TARGET, opened)
"""
_KERNEL_SIDE = KERNEL_ANSWERS + _KERNEL_COMM

# Evaluated as a user expression of an empty execute request, the target's name appended: not
# as cell code, which ipykernel hashes in pure Python (~0.4 ms per KB) and IPython tokenises.
_SETUP_CALL = (
    "(lambda program, target: exec(program, {'get_ipython': get_ipython, 'TARGET': target}))"
    f"({_KERNEL_SIDE!r}, "
)


def encode_value(value: Any) -> Any:
    """Grader -> kernel: arrays and tensors as `.npy` bytes inside JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    is_torch = type(value).__module__.startswith("torch")
    array = value.detach().cpu().numpy() if is_torch else np.asarray(value)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return {"__ndarray__": base64.b64encode(buffer.getvalue()).decode(), "torch": is_torch}


def decode_value(value: Any, depth: int = 0, max_bytes: int = Limits.probe_answer_bytes) -> Any:
    """Kernel -> grader: untrusted JSON back into Python values and numpy arrays. A string or an
    array over its limit (an array's is `max_bytes`) raises TooLarge."""
    if depth > 25:
        raise ValueError("structure too deep")
    if isinstance(value, str) and len(value) > ANSWER_TEXT_CHARS:
        limit = say("large.characters", count=ANSWER_TEXT_CHARS)
        raise TooLarge(say("large.text_chars", count=len(value)), limit)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode_value(v, depth + 1, max_bytes) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"unexpected JSON value {type(value).__name__}")
    if "__ndarray__" in value:
        raw = base64.b64decode(str(value["__ndarray__"]), validate=True)
        return ProbedArray.wrap(read_npy(raw, max_bytes), from_torch=bool(value.get("torch")))
    if "__tuple__" in value:
        items = value["__tuple__"]
        if not isinstance(items, list):
            raise ValueError("malformed tuple")
        return tuple(decode_value(v, depth + 1, max_bytes) for v in items)
    if "__unsupported__" in value:
        return Unsupported(str(value["__unsupported__"]))
    return {str(k): decode_value(v, depth + 1, max_bytes) for k, v in value.items()}


def read_npy(raw: bytes, max_bytes: int) -> np.ndarray:
    """The array in `.npy` bytes, its header read first: numbers only (never a pickle), and no
    allocation for a shape that the data sent does not fill (np.load allocates it first)."""
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version not in _NPY_HEADERS:
        raise ValueError(f".npy version {version} is not accepted")
    shape, fortran_order, dtype = _NPY_HEADERS[version](stream)
    if dtype.kind not in _ALLOWED_DTYPE_KINDS or dtype.hasobject:
        raise ValueError(f"array of dtype {dtype} is not accepted")
    if any(length < 0 for length in shape):
        raise ValueError(f"array of shape {shape} is not accepted")
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        what = say("large.array", shape=str(shape)[:60], count=size)
        raise TooLarge(what, messages.size(max_bytes))
    if size != len(raw) - stream.tell():
        raise ValueError(f"an array of shape {shape} and dtype {dtype} with other data")
    data = np.frombuffer(bytearray(raw), dtype, offset=stream.tell())  # writable, as np.load's
    return data.reshape(shape, order="F" if fortran_order else "C")


_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def too_large(subject: Message, exc: TooLarge) -> ProbeError:
    """The error of a probe whose answer passed a limit, saying which."""
    return ProbeError(say("probe.too_large", subject=subject, what=exc.what, limit=exc.limit))


def _raised(subject: Message, raised: Any) -> Message:
    """« la fonction `f` a levé ValueError : … »; a function whose NotImplementedError says
    nothing is one the student has not written yet."""
    raised = raised if isinstance(raised, dict) else {}
    kind, text = str(raised.get("type")), str(raised.get("message") or "")
    if kind == "NotImplementedError" and not text.strip() and subject.key == "subject.function":
        return say("probe.not_implemented", subject=subject)
    if not text.strip():
        return say("probe.raised_bare", subject=subject, type=kind)
    return say("probe.raised", subject=subject, type=kind, message=text)


def _without_frames(problem: ProbeError) -> ProbeError:
    """`problem` without its traceback and context. Through asyncio, those hold a cycle (the
    frames hold the future that holds the error) and the kernel's messages in the frames'
    variables: dozens of MB per refused answer, kept until the next collection."""
    problem.__context__ = None
    return problem.with_traceback(None)


def _send(kc: Any, msg_type: str, content: dict[str, Any]) -> str:
    """Send one shell message to the kernel; its id."""
    message = kc.session.msg(msg_type, content)
    kc.shell_channel.send(message)
    return str(message["header"]["msg_id"])


class ProbedArray(np.ndarray):
    """A numpy array from the kernel that remembers whether it was a torch tensor there."""

    from_torch: bool = False

    @classmethod
    def wrap(cls, array: np.ndarray, from_torch: bool) -> ProbedArray:
        wrapped = array.view(cls)
        wrapped.from_torch = from_torch
        return wrapped


class Notebook:
    """The probe handle a check receives as `nb`: values from the executed submission."""

    def __init__(
        self,
        executed: ExecutedNotebook,
        source: str | Callable[[], str],
        probe_timeout_s: float,
        loop: asyncio.AbstractEventLoop,
        workdir: Path | None = None,
        answer_bytes: int = Limits.probe_answer_bytes,
    ) -> None:
        self._executed = executed
        self._workdir = workdir  # the kernel's working folder, where the notebook writes files
        # the submission's code, magics turned into Python; a callable computes it when a check
        # first reads it (IPython's transformer takes a second to import)
        self._source = source
        self._timeout = probe_timeout_s
        self._loop = loop
        self._alive = executed.alive
        self._comm_id: str | None = None  # the comm to the kernel side, once installed
        self._answer_limits = JsonLimits(answer_bytes, ANSWER_VALUES, ANSWER_DEPTH)
        self.called: set[str] = set()  # the student functions called (grader/checks/carry.py)
        self._stand_ins: dict[str, tuple[str, str]] = {}  # replaced for the current re-run

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def source(self) -> str:
        if callable(self._source):
            self._source = self._source()
        return self._source

    @contextlib.contextmanager
    def standing_in(self, stand_ins: Sequence[StandIn]) -> Iterator[None]:
        """Every probe within: the student's functions replaced by these references."""
        self._stand_ins = {s.name: (s.source, s.function) for s in stand_ins}
        try:
            yield
        finally:
            self._stand_ins = {}

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the student's function `name` in the kernel with these inputs."""
        self.called.add(name)
        request = {
            "op": "call",
            "name": name,
            "args": encode_value(list(args)),
            "kwargs": encode_value(kwargs),
        }
        return self._ask(request, say("subject.function", name=name))

    def get(self, name: str) -> Any:
        """The value of the student's variable `name`."""
        return self._ask({"op": "get", "name": name}, say("subject.variable", name=name))

    def run(self, source: str, **inputs: Any) -> Any:
        """Run `source` against the student's names (and `inputs`); the last expression's value."""
        request = {"op": "run", "name": None, "source": source, "inputs": encode_value(inputs)}
        return self._ask(request, say("subject.your_code"))

    def outputs(self, cell: int) -> list[dict[str, Any]]:
        """What cell `cell` (0-based) displayed when it ran: untrusted, for display checks."""
        cells = self._executed.notebook.cells
        if not 0 <= cell < len(cells):
            return []
        return [dict(output) for output in cells[cell].get("outputs", [])]

    def images(self, cell: int) -> list[bytes]:
        """The PNG images cell `cell` displayed."""
        return [
            base64.b64decode(output["data"]["image/png"])
            for output in self.outputs(cell)
            if "image/png" in output.get("data", {})
        ]

    def figures(self) -> list[Figure]:
        """The matplotlib figures the notebook's cells made, as data (grader.checks.figures),
        in the order they were made; each says which cell made it."""
        answer = self._ask({"op": "figures", "name": None}, say("subject.figures"))
        try:
            return read_figures(answer, self._executed.notebook.cells)
        except ValueError as exc:
            subject = say("subject.figures")
            raise ProbeError(say("probe.unreadable", subject=subject), detail=repr(exc)) from None

    @property
    def execution(self) -> ExecutionRecord:
        """How the notebook ran: its status and every cell's (ok, error, timeout...)."""
        return self._executed.record

    def cells(self) -> list[tuple[str, str]]:
        """Every cell as (cell type, source), in notebook order: markdown text included."""
        return [
            (str(cell.get("cell_type", "")), str(cell.get("source", "")))
            for cell in self._executed.notebook.cells
        ]

    def read_file(self, name: str, max_bytes: int) -> bytes:
        """A file the notebook wrote in its working folder: a plain name, never through a link."""
        if not _PLAIN_FILE_NAME.match(name) or self._workdir is None:
            raise ProbeError(say("probe.file_unreadable", name=name))
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            descriptor = os.open(self._workdir / name, flags)
        except FileNotFoundError:
            raise ProbeError(say("probe.file_missing", name=name)) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ProbeError(say("probe.file_symlink", name=name)) from None
            raise ProbeError(say("probe.file_unreadable", name=name), repr(exc)) from None
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ProbeError(say("probe.file_not_regular", name=name))
            content = handle.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise ProbeError(say("probe.file_too_large", name=name, limit=messages.size(max_bytes)))
        return content

    def _ask(self, request: dict[str, Any], subject: Message) -> Any:
        try:
            answer = self._answer(request, subject)
        except ProbeError as problem:
            raise _without_frames(problem) from None
        return self._value(answer, request, subject)

    def _answer(self, request: dict[str, Any], subject: Message) -> dict[str, Any]:
        """The kernel's answer to `request`, bounded and parsed, not yet decoded."""
        if not self._alive or self._executed.client is None:
            raise KernelUnavailable(say("probe.kernel_gone", subject=subject))
        return self._loop.run_until_complete(
            self._exchange(self._executed.client, request, subject)
        )

    def _value(self, answer: dict[str, Any], request: dict[str, Any], subject: Message) -> Any:
        """The value an answer holds, or the probe's error it says."""
        if "__missing__" in answer:
            key = "probe.missing_function" if request["op"] == "call" else "probe.missing_variable"
            raise MissingName(say(key, name=str(answer["__missing__"])))
        if "__raised__" in answer:
            raised = answer["__raised__"]
            raise StudentCodeRaised(_raised(subject, raised), detail=str(raised.get("traceback")))
        try:
            return decode_value(answer["value"], max_bytes=self._answer_limits.max_bytes)
        except TooLarge as exc:
            raise too_large(subject, exc) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ProbeError(say("probe.unreadable", subject=subject), detail=repr(exc)) from None

    async def _exchange(
        self, client: Any, request: dict[str, Any], subject: Message
    ) -> dict[str, Any]:
        if self._comm_id is None:
            await self._open_channel(client, subject)
        content = {"comm_id": self._comm_id, "data": {"request": self._request(request)}}
        payload = await self._until_done(client, _send(client.kc, "comm_msg", content), subject)
        return self._parsed(payload, subject)

    def _request(self, request: dict[str, Any]) -> str:
        """The request as the kernel side reads it, with the current stand-ins."""
        if self._stand_ins:
            request = {**request, "stand_ins": self._stand_ins}
        return json.dumps(request)

    def _parsed(self, payload: bytes | None, subject: Message) -> dict[str, Any]:
        """The kernel side's JSON answer, within the answer's bounds."""
        if payload is None:
            raise ProbeError(say("probe.no_value", subject=subject))
        try:
            answer = loads(payload, self._answer_limits)
        except TooLarge as exc:
            raise too_large(subject, exc) from None
        except ValueError as exc:
            raise ProbeError(say("probe.unreadable", subject=subject), detail=repr(exc)) from None
        if not isinstance(answer, dict):
            raise ProbeError(say("probe.unreadable", subject=subject))
        return answer

    async def _open_channel(self, client: Any, subject: Message) -> None:
        """Bound what the kernel sends from now on; install the kernel side, then open a comm
        to it (each step awaited: ipykernel may dispatch a comm message before the execute
        request sent ahead of it has finished)."""
        session = client.kc.session  # the execution is over: only probes read from it now
        session.unpack = bounded_unpacker(session.unpack, self._answer_limits)
        target = f"grader.probe.{uuid.uuid4().hex}"
        msg_id = client.kc.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={"probe": f"{_SETUP_CALL}{target!r})"},
            allow_stdin=False,
        )
        await self._until_done(client, msg_id, subject)
        comm_id = uuid.uuid4().hex
        content = {"comm_id": comm_id, "target_name": target, "data": {}}
        await self._until_done(client, _send(client.kc, "comm_open", content), subject)
        self._comm_id = comm_id

    async def _until_done(self, client: Any, msg_id: str, subject: Message) -> bytes | None:
        """The answer to request `msg_id` as soon as it comes; None if the kernel handled the
        request without answering."""
        kc = client.kc
        deadline = time.monotonic() + self._timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._interrupt(client, msg_id)
                limit = messages.seconds(self._timeout)
                raise ProbeError(say("probe.timeout", subject=subject, limit=limit))
            try:
                msg = await kc.get_iopub_msg(timeout=min(remaining, 1.0))
            except TooLarge as exc:  # any message: while probing, the kernel only answers
                raise too_large(subject, exc) from None
            except ProtocolViolation as violation:  # the box kills the kernel
                self._alive = False
                raise KernelUnavailable(
                    say("probe.protocol", subject=subject), detail=str(violation)
                ) from None
            except Exception:  # queue.Empty: check the kernel is still there
                if not await client.async_km.is_alive():
                    self._alive = False
                    if self._executed.box.death_cause() is ExecutionStatus.OUTPUT_LIMIT:
                        raise ProbeError(say("probe.too_large_killed", subject=subject)) from None
                    raise KernelUnavailable(say("probe.kernel_died", subject=subject)) from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg.get("msg_type")
            content = msg.get("content", {})
            if kind == "comm_msg" and self._comm_id and content.get("comm_id") == self._comm_id:
                buffers = msg.get("buffers") or []
                if buffers:  # its size is capped by the box's message limit
                    return bytes(buffers[0])  # the "idle" that follows: skipped by the next wait
            elif kind == "status" and content.get("execution_state") == "idle":
                return None

    async def _interrupt(self, client: Any, msg_id: str) -> None:
        """A probe that hangs: interrupt it; a kernel that ignores that is not asked again."""
        await client.async_km.interrupt_kernel()
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                msg = await client.kc.get_iopub_msg(timeout=0.5)
            except Exception:
                continue
            if (
                msg.get("parent_header", {}).get("msg_id") == msg_id
                and msg.get("msg_type") == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                return
        self._alive = False
