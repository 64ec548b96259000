"""The grader's end of the Jupyter protocol, which trusts nothing a kernel sends.

A student's cell can do anything to its kernel's messages: patch the serialiser (every message
the same bytes), replay a signed message, sign with a wrong key, send an unsigned one, forge a
parent header that claims to answer a request the grader never sent, or split a message past
the size cap into frames under it. jupyter_client raises
ValueError, TypeError or KeyError on some of these, deep inside nbclient, and accepts others.
`GuardedSession` turns every one into a `ProtocolViolation` (and tells its owner, which kills
the kernel): that student's kernel ends with status protocol-error, never the grader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_client.session import Session

from grader.sandbox.bounded import JsonLimits, TooLarge, measure

# Any message a kernel sends, before json.loads builds it (probes bound their answers tighter).
# Outputs past these are truncated anyway; 60 MB of `{}` would cost the grader 1.7 GB to parse.
MESSAGE_JSON = JsonLimits(max_bytes=2**31, max_values=1_000_000, max_depth=100)


class ProtocolViolation(Exception):
    """A kernel sent a message the protocol does not allow; the text says how (for the
    instructor: it may quote the kernel's bytes, cut short)."""


# What the grader and nbclient read in a message's content, by message type: field -> the types
# it may have. A field may be absent; when present, it must have one of its types.
_TEXT = (str,)
_CONTENT_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "status": {"execution_state": _TEXT},
    "stream": {"name": _TEXT, "text": _TEXT},
    "display_data": {"data": (dict,), "metadata": (dict,), "transient": (dict, type(None))},
    "update_display_data": {"data": (dict,), "metadata": (dict,), "transient": (dict,)},
    "execute_result": {"data": (dict,), "metadata": (dict,), "transient": (dict, type(None))},
    "error": {"ename": _TEXT, "evalue": _TEXT, "traceback": (list,)},
    "clear_output": {"wait": (bool,)},
    "execute_input": {"code": _TEXT},
    "execute_reply": {"status": _TEXT},
    "kernel_info_reply": {"status": _TEXT, "language_info": (dict,)},
    "comm_open": {"comm_id": _TEXT, "target_name": _TEXT, "data": (dict,)},
    "comm_msg": {"comm_id": _TEXT, "data": (dict,)},
    "comm_close": {"comm_id": _TEXT, "data": (dict,)},
}
# Read with [] outside nbclient's handling of messages: nbclient's check of an execute_reply.
_REQUIRED = {"execute_reply": ("status",)}
_ENVELOPE = {"header": dict, "parent_header": dict, "metadata": dict, "content": dict}


class GuardedSession(Session):
    """A jupyter_client Session whose received messages are all checked: signed with this
    session's key, never seen before, well-formed, and answering a request the grader sent.

    Copies made by `clone` (each kernel client gets one) share the record of requests sent and
    the `on_violation` callback, so a reply to the manager's interrupt is known to the client.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: set[str] = set()  # the msg_id of every message sent through the sessions
        self.on_violation: Callable[[str], None] | None = None
        # ZeroMQ caps each frame of a message; this caps their sum (a kernel may send many).
        self.max_message_bytes: int | None = None
        self.unpack = _measured(self.unpack)

    def clone(self) -> GuardedSession:
        twin = super().clone()
        assert isinstance(twin, GuardedSession)  # Session.clone builds a type(self)
        twin.requests = self.requests
        twin.on_violation = self.on_violation
        twin.max_message_bytes = self.max_message_bytes
        return twin

    def msg(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        message = super().msg(*args, **kwargs)
        self.requests.add(message["header"]["msg_id"])
        return message

    def feed_identities(self, msg_list: Any, copy: bool = True) -> Any:
        try:
            return super().feed_identities(msg_list, copy)
        except Exception as exc:  # no delimiter frame
            raise violation(self, f"no message delimiter ({exc!r:.200})") from None

    def deserialize(self, msg_list: Any, content: bool = True, copy: bool = True) -> dict[str, Any]:
        size = sum(len(frame) for frame in msg_list)
        if self.max_message_bytes is not None and size > self.max_message_bytes:
            reason = f"{len(msg_list)} frames of {size} bytes in all, over the cap"
            raise violation(self, reason)
        try:
            message = super().deserialize(msg_list, content, copy)
        except TooLarge:  # a probe's answer over its bounds: that check's error, said in probe.py
            raise
        except Exception as exc:  # unsigned, wrong key, replayed, not JSON, too few frames...
            raise violation(self, f"{type(exc).__name__}: {exc!s:.300}") from None
        problem = message_problem(message, self.requests, content)
        if problem is not None:
            raise violation(self, problem)
        return message


def _measured(unpack: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """`unpack`, for frames within MESSAGE_JSON: past it, the message is a violation (deserialize
    turns a ValueError into one; a TooLarge is a probe's own bound, reported by its check)."""

    def measured(raw: bytes) -> Any:
        try:
            measure(raw, MESSAGE_JSON)
        except TooLarge as exc:
            raise ValueError(f"a frame of {exc.what.text('en')}") from None
        return unpack(raw)

    return measured


def violation(session: Session, reason: str) -> ProtocolViolation:
    """The exception for a message that breaks the protocol, once the session's `on_violation`
    heard of it (also for what the message's reader finds past deserialisation)."""
    if isinstance(session, GuardedSession) and session.on_violation is not None:
        session.on_violation(reason)
    return ProtocolViolation(reason)


def message_problem(message: dict[str, Any], requests: set[str], content: bool) -> str | None:
    """What makes a deserialised message unacceptable, or None: its envelope, its parent header
    (empty, or one of `requests`), and the content fields the grader and nbclient read (present
    where they must be, of the right type)."""
    for part, kind in _ENVELOPE.items():
        if (part != "content" or content) and not isinstance(message.get(part), kind):
            return f"the {part} is not a {kind.__name__}"
    header = message["header"]
    if not isinstance(header.get("msg_id"), str) or not isinstance(header.get("msg_type"), str):
        return "the header has no msg_id or msg_type string"
    parent = message["parent_header"]
    if parent and not (isinstance(parent.get("msg_id"), str) and parent["msg_id"] in requests):
        return f"a {header['msg_type']!r:.80} answers a request never sent ({parent!r:.200})"
    if not content:
        return None
    for name in _REQUIRED.get(header["msg_type"], ()):
        if name not in message["content"]:
            return f"a {header['msg_type']!r} without its {name}"
    fields = _CONTENT_FIELDS.get(header["msg_type"], {})
    for name, kinds in fields.items():
        if name in message["content"] and not isinstance(message["content"][name], kinds):
            return f"a {header['msg_type']!r} whose {name} is a {type(message['content'][name])}"
    return None
