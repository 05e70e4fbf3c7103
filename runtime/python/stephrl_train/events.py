"""What the trainer tells the runtime: one JSON object per line on stdout (the runtime stores metrics in SQLite as
they arrive and draws live curves from them). Human-readable logs go to stderr."""
from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Dict


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

    def metrics(self, step: int, values: Dict[str, float]) -> None:
        # JSON has no NaN/inf: a diverged value is reported as null so the runtime can flag it.
        clean = {k: (float(v) if math.isfinite(float(v)) else None) for k, v in values.items()}
        self.emit("metrics", step=step, values=clean)

    def log(self, message: str) -> None:
        if self.enabled:
            print(message, file=sys.stderr, flush=True)
