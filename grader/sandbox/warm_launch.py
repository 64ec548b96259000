"""A warm-started kernel's command line: ask the batch's warm parent for the kernel.

    python -I -S warm_launch.py SOCKET REQUEST_JSON -f CONNECTION_FILE [KERNEL_ARGS...]

jupyter_client starts this as the kernel's process. It sends the parent (warm_parent.py) one
message, REQUEST_JSON and the kernel's arguments separated by NUL bytes, with its stdout and
stderr (the box's log), then waits for the parent's word: `pid N` when the kernel is forked,
`exit N` when it ends (this process then exits with that status) or `error REASON`. When this
process dies, the parent kills the kernel.

One launcher starts per submission, on the kernel's critical path: it imports nothing but
`socket` and `sys`, and starts in about 5 ms where the warm parent's module takes 25.
"""

import socket
import sys


def main(socket_path: str, request: str, kernel_args: list[str]) -> int:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(socket_path)
    except OSError as exc:
        print(f"warm start: the warm parent is gone ({exc})", file=sys.stderr)
        return 1
    socket.send_fds(connection, ["\0".join([request, *kernel_args]).encode()], [1, 2])
    while True:
        message = connection.recv(1 << 16).decode("utf-8", "replace")
        if not message:
            print("warm start: the warm parent stopped", file=sys.stderr)
            return 1
        word, _, value = message.partition(" ")
        if word == "error":
            print(f"warm start: {value}", file=sys.stderr)
            return 1
        if word == "exit":
            return int(value) & 0xFF


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
