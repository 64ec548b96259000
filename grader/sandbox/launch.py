"""Kernel launcher, run outside the box as `python -I -S launch.py [--join FILE]... -- ARGV`.

It joins the kernel's cgroups first, so that the box and everything below it inherit the memory
and process limits from their first instruction, then replaces itself with ARGV (bwrap or the
Landlock inner launcher). Standard library only: it must start in a few milliseconds.
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> None:
    separator = args.index("--")
    options, argv = args[:separator], args[separator + 1 :]
    pid = str(os.getpid())
    for flag, procs_file in zip(options[::2], options[1::2], strict=True):
        if flag != "--join":
            raise SystemExit(f"launch.py: unknown option {flag}")
        # Failing here fails the start: a kernel never runs without its limits.
        with open(procs_file, "w") as procs:
            procs.write(pid)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
