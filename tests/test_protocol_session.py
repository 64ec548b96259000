"""The grader's session refuses every message the protocol forbids, without a kernel: a kernel's
Session (the same class ipykernel uses) signs the frames, the grader's GuardedSession reads them.
The whole pipeline's behaviour is in tests/hostile/test_protocol.py."""

from __future__ import annotations

from typing import Any

import pytest
from jupyter_client.session import Session

from grader.sandbox.protocol import GuardedSession, ProtocolViolation

KEY = b"the-connection-file-key"


@pytest.fixture
def grader() -> GuardedSession:
    session = GuardedSession(key=KEY)
    session.max_message_bytes = 1024**2
    return session


def frames(kernel: Session, kind: str, content: Any, parent: Any, **options: Any) -> list[bytes]:
    """What a kernel would put on the wire, less the topic and the delimiter."""
    return [
        bytes(part) for part in kernel.serialize(kernel.msg(kind, content, parent), **options)[1:]
    ]


def test_a_well_formed_answer_to_a_request_is_read(grader: GuardedSession) -> None:
    request = grader.msg("execute_request", {"code": "1"})
    reply = frames(Session(key=KEY), "execute_reply", {"status": "ok"}, request)
    assert grader.deserialize(reply)["content"] == {"status": "ok"}


@pytest.mark.parametrize(
    ("key", "kind", "content", "reason"),
    [
        (b"another-key", "stream", {"name": "stdout", "text": "x"}, "Invalid Signature"),
        (b"", "stream", {"name": "stdout", "text": "x"}, "Unsigned Message"),
        (KEY, "stream", {"name": "stdout", "text": 5}, "whose text is"),
        (KEY, "execute_reply", {}, "without its status"),
        (KEY, "comm_msg", {"comm_id": "c", "data": []}, "whose data is"),
    ],
)
def test_a_bad_signature_or_content_is_a_violation(
    grader: GuardedSession, key: bytes, kind: str, content: dict[str, Any], reason: str
) -> None:
    request = grader.msg("execute_request", {"code": "1"})
    heard: list[str] = []
    grader.on_violation = heard.append
    with pytest.raises(ProtocolViolation, match=reason):
        grader.deserialize(frames(Session(key=key), kind, content, request))
    assert len(heard) == 1 and reason in heard[0]


def test_a_replayed_message_is_a_violation(grader: GuardedSession) -> None:
    request = grader.msg("execute_request", {"code": "1"})
    message = frames(Session(key=KEY), "stream", {"name": "stdout", "text": "x"}, request)
    grader.deserialize(message)
    with pytest.raises(ProtocolViolation, match="Duplicate Signature"):
        grader.deserialize(message)


def test_constant_bytes_are_a_violation(grader: GuardedSession) -> None:
    kernel = Session(key=KEY)
    kernel.pack = lambda _: b"patched"  # what a patched json.dumps makes of the 'json' packer
    with pytest.raises(ProtocolViolation, match="JSONDecodeError"):
        grader.deserialize(frames(kernel, "stream", {}, None))


def test_an_answer_to_a_request_never_sent_is_a_violation(grader: GuardedSession) -> None:
    twin = grader.clone()  # a client's session: requests sent through either count
    request = twin.msg("execute_request", {"code": "1"})
    kernel = Session(key=KEY)
    assert grader.deserialize(frames(kernel, "status", {"execution_state": "idle"}, request))
    forged = {"msg_id": "never-sent", "msg_type": "execute_request"}
    with pytest.raises(ProtocolViolation, match="answers a request never sent"):
        grader.deserialize(frames(kernel, "status", {"execution_state": "idle"}, forged))


def test_frames_over_the_cap_together_are_a_violation(grader: GuardedSession) -> None:
    request = grader.msg("execute_request", {"code": "1"})
    buffers = [b"x" * 600_000] * 2  # each frame under the 1 MiB cap, not their sum
    message = frames(Session(key=KEY), "stream", {"name": "stdout", "text": ""}, request)
    with pytest.raises(ProtocolViolation, match="over the cap"):
        grader.deserialize([*message, *buffers])
    assert grader.deserialize([*message, buffers[0]])["buffers"]
