"""One ScienceWorld episode at a time on one JVM.

Steps go straight to the JVM methods (step, getScore, getCompleted, free look and inventory) instead of the Python
wrapper's step(), which also computes the full valid-action list on every step (about 70 ms, 10x the step itself).
The valid list is computed only when asked for.
"""
from __future__ import annotations

import shutil
from importlib.metadata import version
from typing import Any, Dict, List, Optional

from .errors import WorkerError
from .scienceworld_splits import SPLITS, SPLIT_SIZES, split_size

REJECTED = "No known action matches that input."
DEFAULT_SIMPLIFICATIONS = "easy"


def engine_info() -> Dict[str, str]:
    return {"name": "scienceworld", "version": version("scienceworld")}


class ScienceWorldSession:
    def __init__(self) -> None:
        if shutil.which("java") is None:
            raise WorkerError(
                "java_missing",
                "Java was not found on PATH; ScienceWorld runs on the JVM. Install OpenJDK 17 "
                "(Debian/Ubuntu: `sudo apt-get install default-jre-headless`, or run `npm run setup` as root), "
                "or put a java executable on PATH.")
        from scienceworld import ScienceWorldEnv  # imported late: it is slow and needs Java

        # The wrapper's own step cap is disabled: the episode cap (max_steps) is ours.
        self.env = ScienceWorldEnv("", envStepLimit=10 ** 9)
        self.server = self.env.server
        self.task_names: List[str] = list(self.env.get_task_names())
        self._variations: Dict[str, Dict[str, List[int]]] = {}
        self.loaded: Optional[Dict[str, Any]] = None
        self.gold: Optional[List[str]] = None
        self.steps = 0
        self.max_steps = 50
        self.last_score = 0
        self.finished = True

    # ---- task and split metadata -------------------------------------------------------------------------
    def check_task(self, task: str) -> None:
        if task not in self.task_names:
            raise WorkerError("unknown_task", f"unknown ScienceWorld task {task!r}. Known tasks: {', '.join(self.task_names)}")

    def variations(self, task: str) -> Dict[str, List[int]]:
        self.check_task(task)
        if task not in self._variations:
            self.env.load(task, 0, "", generateGoldPath=False)
            self.loaded = None  # an episode in progress is gone now
            self._variations[task] = {
                "train": list(self.env.get_variations_train()),
                "dev": list(self.env.get_variations_dev()),
                "test": list(self.env.get_variations_test()),
            }
        return self._variations[task]

    def list_split(self, split: str, tasks: Optional[List[str]]) -> List[Dict[str, Any]]:
        if split not in SPLITS:
            raise WorkerError("unknown_split", f"unknown ScienceWorld split {split!r}; use one of {', '.join(SPLITS)}")
        chosen = tasks or list(SPLIT_SIZES)
        episodes = []
        for task in chosen:
            self.check_task(task)
            n = split_size(task, split)
            for variation in self.variations(task)[split][:n]:
                episodes.append({"task": task, "variation": variation})
        return episodes

    # ---- episodes ----------------------------------------------------------------------------------------
    def reset(self, task: str, variation: int, simplifications: str, max_steps: int, expert: bool) -> Dict[str, Any]:
        self.check_task(task)
        count = int(self.env.get_max_variations(task))
        if not 0 <= variation < count:
            raise WorkerError("variation_out_of_range",
                              f"variation {variation} is out of range for task {task!r}: it has variations 0..{count - 1}")
        known = set(self.env.get_possible_simplifications()) | {"easy"}
        for name in filter(None, simplifications.split(",")):
            if name not in known:
                raise WorkerError("unknown_simplification",
                                  f"unknown simplification {name!r}; known: {', '.join(sorted(known))}")
        self.env.load(task, variation, simplifications, generateGoldPath=expert)
        self.gold = list(self.env.get_gold_action_sequence()) if expert else None
        self.server.reset()
        observation = self.server.step("look around")
        self.loaded = {"task": task, "variation": variation, "simplifications": simplifications}
        self.steps = 0
        self.max_steps = max_steps
        self.last_score = 0
        self.finished = False
        return {
            "observation": observation,
            "taskDescription": self.server.getTaskDescription(),
            "look": self.server.freeActionLook(),
            "inventory": self.server.freeActionInventory(),
            "score": 0,
            "maxSteps": max_steps,
            "engine": engine_info(),
        }

    def _require_episode(self) -> None:
        if self.loaded is None:
            raise WorkerError("no_episode", "no episode is loaded: call reset first")

    def step(self, action: str) -> Dict[str, Any]:
        self._require_episode()
        if self.finished:
            raise WorkerError("episode_finished", "the episode is over: call reset to start another")
        observation = self.server.step(action)
        score = int(round(100 * float(self.server.getScore())))
        completed = bool(self.server.getCompleted()) or score < 0
        self.steps += 1
        reward = (score - self.last_score) / 100.0
        self.last_score = score
        truncated = not completed and self.steps >= self.max_steps
        self.finished = completed or truncated
        return {
            "observation": observation,
            "reward": reward,
            "score": max(score, 0),
            "rawScore": score,
            "done": self.finished,
            "won": completed and score >= 100,
            "truncated": truncated,
            "invalid": observation.strip() == REJECTED,
            "steps": self.steps,
            "look": self.server.freeActionLook(),
            "inventory": self.server.freeActionInventory(),
        }

    def expert_action(self) -> Optional[str]:
        self._require_episode()
        if self.gold is None:
            raise WorkerError("expert_not_loaded", "the episode was reset without expert: true, so no gold path was generated")
        return self.gold[self.steps] if self.steps < len(self.gold) else None

    def expert_plan(self) -> List[str]:
        self._require_episode()
        if self.gold is None:
            raise WorkerError("expert_not_loaded", "the episode was reset without expert: true, so no gold path was generated")
        return list(self.gold)

    def valid_actions(self) -> List[str]:
        self._require_episode()
        return sorted(str(a) for a in self.server.getValidActionObjectCombinations())

    def close(self) -> None:
        try:
            self.env.close()
        except Exception:
            pass
