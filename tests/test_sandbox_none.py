"""The `none` backend: trusted code only. It shows what the boxes prevent (the same hostile
cells succeed here), and that the ZeroMQ message cap holds without any sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import zmq
import zmq.asyncio

from grader.results import ExecutionStatus
from grader.sandbox.boxes import CappedKernelClient, UnsandboxedBox
from grader.sandbox.limits import Limits
from tests.hostile import cells
from tests.hostile.harness import run_cells
from tests.hostile.secrets import SECRET, process_with_secret

pytestmark = pytest.mark.kernel


def test_unconfined_kernel_reads_host_secrets(tmp_path: Path) -> None:
    box = UnsandboxedBox(tmp_path, Limits())
    with process_with_secret() as pid:
        result = asyncio.run(run_cells(box, cells.look_for_secret(SECRET)))
    assert f"/proc/{pid}/environ" in result.text(0)


def test_oversized_message_kills_the_kernel_with_status_output_limit(tmp_path: Path) -> None:
    box = UnsandboxedBox(tmp_path, Limits(message_bytes=4 * 1024**2))
    result = asyncio.run(
        run_cells(box, "print('small')", "print('x' * 20_000_000)", "print('after')")
    )
    assert result.statuses == ["ok", "dead", "not-run"]
    assert result.text(0) == "small\n"
    assert result.death == ExecutionStatus.OUTPUT_LIMIT


def test_monitor_endpoints_do_not_collide_with_a_closed_sockets_monitor() -> None:
    """pyzmq names a monitor after its socket's file descriptor; a socket that reuses the
    descriptor of one whose monitor is still bound would fail with "Address already in use".
    Here every such name is taken in the client's context before its channels connect."""

    async def connect_shell() -> None:
        context = zmq.asyncio.Context()
        holder = context.socket(zmq.PAIR)
        for descriptor in range(4096):
            holder.bind(f"inproc://monitor.s-{descriptor}")
        client = CappedKernelClient(context=context, ip="127.0.0.1", shell_port=1)
        client.on_disconnect = lambda channel: None
        try:
            assert client.shell_channel.socket is not None
        finally:
            client.stop_channels()
            holder.close(linger=0)
            context.term()

    asyncio.run(connect_shell())
