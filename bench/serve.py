"""Run the stand-in server (tests/standin) in its own process for the runtime benchmark.

usage: python bench/serve.py   (prints ``http://127.0.0.1:PORT`` on one line, serves until stdin closes)

Response validation is off here: the server's own cost must stay small and constant, the runtime
benchmark measures the client side.  One process, so the client under test never shares the server's GIL.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn

from tests.standin.app import StandInState, create_app
from tests.standin.server import _bind_free_port


def main() -> None:
    sock = _bind_free_port()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    port = sock.getsockname()[1]
    app = create_app(StandInState())
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.02)
    print(f"http://127.0.0.1:{port}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()
