"""The `none` backend: trusted code only. It shows what the boxes prevent (the same hostile
cells succeed here), and that the ZeroMQ message cap holds without any sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from grader.results import ExecutionStatus
from grader.sandbox.boxes import UnsandboxedBox
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
