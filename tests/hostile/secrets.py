"""A host process holding a secret in its environment, as the grader's own would."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SECRET = "s3cr3t-token-value"


@contextmanager
def process_with_secret() -> Iterator[int]:
    """A sleeping host process whose initial environment holds SECRET; yields its pid."""
    sleeper = subprocess.Popen(["sleep", "120"], env={"GRADER_TEST_SECRET": SECRET})
    try:
        environ = Path(f"/proc/{sleeper.pid}/environ")
        for _attempt in range(200):  # until sleep has been exec'd with its environment
            if SECRET.encode() in environ.read_bytes():
                break
            time.sleep(0.01)
        else:
            raise RuntimeError("the secret must be readable from the host")
        yield sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()
