"""One ALFWorld (TextWorld text engine) episode at a time.

Only ALFWorld's text-side modules are imported (its hand-coded expert and name demangler); the package's
`agents.environment` module pulls in the THOR simulator and torch, which the text engine does not need.
"""
from __future__ import annotations

import hashlib
import random
import re
from importlib.metadata import version
from typing import Any, Dict, List, Optional

import textworld
import textworld.core
from alfworld.agents.expert import HandCodedAgentFailed, HandCodedAgentTimeout, HandCodedTWAgent
from alfworld.agents.utils.misc import Demangler

from .alfworld_games import playable_path, read_game
from .errors import WorkerError

REJECTED = "Nothing happens."
TASK_LINE = re.compile(r"Your task is to:\s*(.+)")


def state_key(state: Any) -> str:
    """A fingerprint of the engine's whole state: its PDDL facts, which include where the agent has been.

    Equal keys mean the same world, so a deterministic agent that meets the same key with the same memory again is in
    a cycle (the evaluation's repeat stop relies on this)."""
    facts = sorted(str(fact) for fact in state["facts"])
    return hashlib.sha1("\n".join(facts).encode()).hexdigest()


def engine_info() -> Dict[str, str]:
    return {"name": "alfworld", "version": f"alfworld {version('alfworld')}; textworld {version('textworld')}"}


class _DemangledNames(textworld.core.Wrapper):
    """Turns PDDL ids (e.g. `Drawer_bar__plus_01_dot_20...`) into the numbered names players see (`drawer 2`)."""

    def load(self, *args, **kwargs):
        super().load(*args, **kwargs)
        demangler = Demangler(game_infos=self._entity_infos, shuffle=False)
        for info in self._entity_infos.values():
            info.name = demangler.demangle_alfred_name(info.id)


class AlfworldSession:
    def __init__(self) -> None:
        self.env: Any = None  # a TextWorld environment (untyped)
        self.game_path: Optional[str] = None
        self.playable = ""
        self.state: Any = None
        self.expert: Optional[HandCodedTWAgent] = None
        self.next_expert: Optional[str] = None
        self.expert_error: Optional[str] = None
        self.steps = 0
        self.max_steps = 50
        self.finished = True

    def reset(self, game: str, max_steps: int, expert: bool, seed: int) -> Dict[str, Any]:
        info = read_game(game)
        if expert and not info["hasTrajData"]:
            raise WorkerError("expert_unavailable",
                              f"the hand-coded expert needs traj_data.json beside {info['path']}")
        if self.env is None or self.game_path != info["path"]:
            self.close()
            # Facts feed the hand-coded expert; asking for them always costs little and keeps one engine per game.
            requested = textworld.EnvInfos(won=True, admissible_commands=True, facts=True, feedback=True)
            self.playable = playable_path(info)  # the 2.1.1 command dialect whichever download the game came from
            self.env = textworld.start(self.playable, requested, wrappers=[_DemangledNames])
            self.game_path = info["path"]
        self.state = self.env.reset()
        self.steps = 0
        self.max_steps = max_steps
        self.finished = False
        self.expert = None
        self.next_expert = None
        self.expert_error = None
        if expert:
            random.seed(seed)  # the expert breaks ties with the global `random`
            self.expert = HandCodedTWAgent(max_steps=200)
            self.expert.reset(self.playable)
            self.expert.observe(self.state["feedback"])
            self._advance_expert("")
        observation = self.state["feedback"]
        match = TASK_LINE.search(observation)
        return {
            "observation": observation,
            "taskDescription": match.group(1).strip() if match else "",
            "score": 0,
            "maxSteps": max_steps,
            "taskType": info["taskType"],
            "taskParams": info["taskParams"],
            "engine": engine_info(),
            "stateKey": state_key(self.state),
        }

    def _advance_expert(self, last_action: str) -> None:
        """The hand-coded expert tracks what it has seen, so it must observe every step, in order."""
        assert self.expert is not None  # called only while an expert plays along
        try:
            action = self.expert.act(self.state, 0, self.state["won"], last_action)
            # As ALFWorld's own wrapper: a non-admissible suggestion becomes `look`.
            self.next_expert = action if action in self.state["admissible_commands"] else "look"
        except (HandCodedAgentFailed, HandCodedAgentTimeout) as error:
            self.next_expert = None
            self.expert_error = type(error).__name__

    def _require_episode(self) -> None:
        if self.state is None:
            raise WorkerError("no_episode", "no episode is loaded: call reset first")

    def step(self, action: str) -> Dict[str, Any]:
        self._require_episode()
        if self.finished:
            raise WorkerError("episode_finished", "the episode is over: call reset to start another")
        self.state, _score, done = self.env.step(action)
        self.steps += 1
        won = bool(self.state["won"])
        truncated = not done and self.steps >= self.max_steps
        self.finished = bool(done) or truncated
        if self.expert is not None and not self.finished:
            self._advance_expert(action)
        observation = self.state["feedback"]
        return {
            "observation": observation,
            "reward": 1.0 if won else 0.0,
            "score": 100 if won else 0,
            "done": self.finished,
            "won": won,
            "truncated": truncated,
            "invalid": observation.strip() == REJECTED,
            "steps": self.steps,
            "stateKey": state_key(self.state),
        }

    def expert_action(self) -> Optional[str]:
        self._require_episode()
        if self.expert is None:
            raise WorkerError("expert_not_loaded", "the episode was reset without expert: true")
        return self.next_expert

    def valid_actions(self) -> List[str]:
        self._require_episode()
        return list(self.state["admissible_commands"])

    def close(self) -> None:
        if self.env is not None:
            try:
                self.env.close()
            except Exception:
                pass
        self.env = None
        self.game_path = None
