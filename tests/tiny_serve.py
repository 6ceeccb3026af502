"""A small WSGI application on kg serve's server (kg.web.server), for test_server_limits.py:
``python tests/tiny_serve.py PORT '{"threads": 1, ...}'`` (the :class:`Connections` fields);
SIGINT stops it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from kg.web.server import Connections, make_server

BIG = 200 << 20  # bytes of /big's answer


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or 3))
        body = b"slow\n"
    elif path == "/big":
        body = b"x" * BIG
    elif path == "/fail":
        raise ValueError("a bug in the application")
    elif environ["REQUEST_METHOD"] == "POST":
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    else:
        body = b"hello\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":
    server = make_server("127.0.0.1", int(sys.argv[1]), app, Connections(**json.loads(sys.argv[2])))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
