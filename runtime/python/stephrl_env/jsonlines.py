"""The JSON-lines request loop shared by every worker.

Engines and their libraries print freely (TextWorld, py4j, ALFWorld's loaders). The protocol therefore gets a private
copy of the original stdout, and file descriptor 1 is pointed at stderr, which the runtime drains into its log. A
stray print can then never corrupt the protocol stream.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Callable, Dict

from .errors import WorkerError

Handler = Callable[[Dict[str, Any]], Any]


def _claim_stdout():
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


def serve(handlers: Dict[str, Handler], ready: Callable[[], Dict[str, Any]]) -> int:
    out = _claim_stdout()

    def send(message: Dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")
        out.flush()

    try:
        info = ready()
    except WorkerError as error:
        send({"event": "fatal", "error": {"code": error.code, "message": error.message}})
        return 3
    send({"event": "ready", **info})

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request_id = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise WorkerError("bad_request", "a request must be a JSON object")
            request_id = request.get("id")
            method = request.get("method")
            params = request.get("params") or {}
            if not isinstance(request_id, int):
                raise WorkerError("bad_request", "a request needs an integer id")
            if method not in handlers:
                raise WorkerError("unknown_method", f"unknown method {method!r}; known: {sorted(handlers)}")
            if not isinstance(params, dict):
                raise WorkerError("bad_request", "params must be a JSON object")
            result = handlers[method](params)
            send({"id": request_id, "ok": True, "result": result})
            if method == "close":
                return 0
        except WorkerError as error:
            send({"id": request_id, "ok": False, "error": {"code": error.code, "message": error.message}})
        except json.JSONDecodeError as error:
            send({"id": None, "ok": False, "error": {"code": "bad_request", "message": f"invalid JSON: {error}"}})
        except Exception as error:  # the engine failed: report it with its traceback and keep serving
            traceback.print_exc(file=sys.stderr)
            send({"id": request_id, "ok": False,
                  "error": {"code": "engine_error", "message": f"{type(error).__name__}: {error}"}})
    return 0
