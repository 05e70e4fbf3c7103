"""What the trainer tells the runtime: one JSON object per line on stdout (the runtime stores metrics in SQLite as
they arrive and draws live curves from them). Human-readable logs go to stderr."""
from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from typing import Any, Dict, Optional

# Set by the runtime that starts the trainer (train/trainer-process.ts).
RUNTIME_PID_VARIABLE = "STEPHRL_RUNTIME_PID"


class Events:
    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled  # only the main process of a distributed run speaks
        self.stream = stream or sys.stdout

    def emit(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            return
        try:
            self.stream.write(json.dumps({"event": event, **fields}, allow_nan=False) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            # The runtime that started us is gone (killed): nobody records this run any more, so stop. The last
            # checkpoint stays; running the training again resumes from it.
            print("the runtime closed the event pipe; stopping", file=sys.stderr, flush=True)
            os._exit(141)

    def metrics(self, step: int, values: Dict[str, float]) -> Dict[str, Optional[float]]:
        """Emits one step's metrics; returns them as sent. JSON has no NaN/inf: a diverged value is reported as null
        so the runtime can flag it."""
        clean = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in values.items()}
        self.emit("metrics", step=step, values=clean)
        return clean

    def note(self, message: str) -> None:
        """What the run is doing between steps, for the user (the runtime logs it at info and shows it as progress)."""
        self.emit("note", message=message)

    def log(self, message: str) -> None:
        if self.enabled:
            print(message, file=sys.stderr, flush=True)


def exit_with_runtime(poll_seconds: float = 1.0) -> None:
    """Stops the trainer within a second of its runtime's death (kill -9, a crash), instead of at its next event,
    which a long step or a model still loading can put minutes away while it holds the GPU. The last checkpoint stays;
    running the training again resumes from it."""
    runtime = int(os.environ.get(RUNTIME_PID_VARIABLE, "0") or 0)
    if runtime <= 0:
        return
    parent = os.getppid()

    def gone() -> bool:
        # Started by the runtime itself: reparented the moment it exits. Under a launcher: the runtime's pid is gone.
        if parent == runtime and os.getppid() != runtime:
            return True
        try:
            os.kill(runtime, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not gone():
            time.sleep(poll_seconds)
        print("the runtime that started this trainer is gone; stopping", file=sys.stderr, flush=True)
        os._exit(141)

    threading.Thread(target=watch, name="exit-with-runtime", daemon=True).start()
