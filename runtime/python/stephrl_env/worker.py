"""Entry point of one environment worker: `python -m stephrl_env.worker scienceworld|alfworld`.

Methods (params -> result; shapes in runtime/src/protocol/env-worker.ts):
  reset          ScienceWorld {task, variation, simplifications?, maxSteps?, expert?} | ALFWorld {game, maxSteps?, expert?, seed?}
  step           {action}
  expertAction   {} -> {action: string | null}   (the next expert action for the current state)
  expertPlan     {} -> {actions: [...]}           (ScienceWorld only: the whole gold sequence)
  validActions   {} -> {actions: [...]}
  listSplit      {split, tasks?, data?} -> {episodes: [...]}
  taskNames      {} -> {tasks: [...]}             (ScienceWorld only)
  close          {}
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Tuple

from .errors import WorkerError
from .jsonlines import serve
from .params import opt_bool, opt_int, opt_str, req_str

DEFAULT_MAX_STEPS = 50


Handlers = Dict[str, Callable[[Dict[str, Any]], Any]]


def _closed(session: Any) -> Dict[str, Any]:
    session.close()
    return {}


def _tasks_param(params: Dict[str, Any]):
    tasks = params.get("tasks")
    if tasks is not None and (not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks)):
        raise WorkerError("bad_request", "'tasks' must be a list of strings")
    return tasks


def scienceworld_handlers(state: Dict[str, Any]) -> Tuple[Handlers, Callable[[], Dict[str, Any]]]:
    from .scienceworld_session import DEFAULT_SIMPLIFICATIONS, ScienceWorldSession, engine_info

    def ready():
        state["session"] = ScienceWorldSession()
        return {"engine": engine_info(), "pid": os.getpid()}

    def s() -> ScienceWorldSession:
        return state["session"]

    handlers = {
        "reset": lambda p: s().reset(req_str(p, "task"), opt_int(p, "variation", 0),
                                     opt_str(p, "simplifications", DEFAULT_SIMPLIFICATIONS) or "",
                                     opt_int(p, "maxSteps", DEFAULT_MAX_STEPS, 1), opt_bool(p, "expert", False)),
        "step": lambda p: s().step(req_str(p, "action")),
        "expertAction": lambda p: {"action": s().expert_action()},
        "expertPlan": lambda p: {"actions": s().expert_plan()},
        "validActions": lambda p: {"actions": s().valid_actions()},
        "listSplit": lambda p: {"episodes": s().list_split(req_str(p, "split"), _tasks_param(p))},
        "taskNames": lambda p: {"tasks": list(s().task_names)},
        "close": lambda p: _closed(s()),
    }
    return handlers, ready


def alfworld_handlers(state: Dict[str, Any]) -> Tuple[Handlers, Callable[[], Dict[str, Any]]]:
    def ready():
        from .alfworld_session import AlfworldSession, engine_info  # textworld import takes about a second
        state["session"] = AlfworldSession()
        return {"engine": engine_info(), "pid": os.getpid()}

    def s():
        return state["session"]

    def list_split(p):
        from .alfworld_games import list_games
        data = opt_str(p, "data", None) or os.environ.get("ALFWORLD_DATA")
        if not data:
            raise WorkerError("data_missing", "no ALFWorld data directory: pass 'data' or set ALFWORLD_DATA")
        return {"episodes": list_games(data, req_str(p, "split"), _tasks_param(p))}

    handlers = {
        "reset": lambda p: s().reset(req_str(p, "game"), opt_int(p, "maxSteps", DEFAULT_MAX_STEPS, 1),
                                     opt_bool(p, "expert", False), opt_int(p, "seed", 0)),
        "step": lambda p: s().step(req_str(p, "action")),
        "expertAction": lambda p: {"action": s().expert_action()},
        "validActions": lambda p: {"actions": s().valid_actions()},
        "listSplit": list_split,
        "close": lambda p: _closed(s()),
    }
    return handlers, ready


def main(argv) -> int:
    if len(argv) != 1 or argv[0] not in ("scienceworld", "alfworld"):
        print("usage: python -m stephrl_env.worker scienceworld|alfworld", file=sys.stderr)
        return 2
    state: Dict[str, Any] = {}
    handlers, ready = scienceworld_handlers(state) if argv[0] == "scienceworld" else alfworld_handlers(state)
    return serve(handlers, ready)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
