"""The benchmark's baseline: the same engine sessions and the same actions, driven in-process with no worker.

stdin: {"env": "scienceworld"|"alfworld", "episodes": [{"episode": {...}, "actions": [...]}], "repeats": n, "warmup": bool}
stdout: {"steps": n, "seconds": s, "resetSeconds": s}   (the warm-up pass, when asked for, is not counted)
"""
import json
import sys
import time
from typing import Any


def main() -> int:
    job = json.load(sys.stdin)
    if job["env"] == "scienceworld":
        from .scienceworld_session import ScienceWorldSession
        session: Any = ScienceWorldSession()

        def reset(e):
            return session.reset(e["task"], e["variation"], e.get("simplifications", "easy"), 10 ** 6, False)
    else:
        from .alfworld_session import AlfworldSession
        session = AlfworldSession()
        def reset(e):
            return session.reset(e["game"], 10 ** 6, False, 0)
    steps = 0
    step_seconds = 0.0
    reset_seconds = 0.0
    passes = job.get("repeats", 1) + (1 if job.get("warmup") else 0)
    for index in range(passes):
        timed = index > 0 or not job.get("warmup")
        for item in job["episodes"]:
            t0 = time.perf_counter()
            reset(item["episode"])
            t1 = time.perf_counter()
            for action in item["actions"]:
                session.step(action)
            if timed:
                steps += len(item["actions"])
                reset_seconds += t1 - t0
                step_seconds += time.perf_counter() - t1
    session.close()
    print(json.dumps({"steps": steps, "seconds": step_seconds, "resetSeconds": reset_seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
