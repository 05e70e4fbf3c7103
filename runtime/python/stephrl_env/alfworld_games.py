"""ALFWorld game selection, as ALFWorld's own AlfredTWEnv does it, with a stable order.

A data directory may be the folder holding `json_2.1.x/`, the `json_2.1.x/` folder itself, or a split folder.
"""
from __future__ import annotations

import json
import os
from typing import Dict, List, Optional

from .errors import WorkerError

TASK_TYPES = (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
)
SPLITS = ("train", "valid_seen", "valid_unseen", "valid_train")


def split_dir(data_dir: str, split: str) -> str:
    if split not in SPLITS:
        raise WorkerError("unknown_split", f"unknown ALFWorld split {split!r}; use one of {', '.join(SPLITS)}")
    data_dir = os.path.abspath(os.path.expanduser(data_dir))
    if not os.path.isdir(data_dir):
        raise WorkerError("data_missing",
                          f"ALFWorld data directory {data_dir} does not exist. Run `npm run setup`, or pass --data DIR "
                          "(or set ALFWORLD_DATA) to a folder laid out as json_2.1.x/<split>/<task>/<trial>/")
    candidates = [os.path.join(data_dir, split)]
    for name in sorted(os.listdir(data_dir), reverse=True):  # newest json_2.1.x first
        if name.startswith("json_2.1"):
            candidates.append(os.path.join(data_dir, name, split))
    if os.path.basename(data_dir) == split:
        candidates.insert(0, data_dir)
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    raise WorkerError("data_missing",
                      f"no '{split}' split under {data_dir}: expected {data_dir}/json_2.1.x/{split}/<task>/<trial>/game.tw-pddl")


def read_game(game_path: str) -> Dict:
    """Validate a game path (the game file or its trial folder) and return its facts."""
    path = os.path.abspath(os.path.expanduser(game_path))
    if os.path.isdir(path):
        path = os.path.join(path, "game.tw-pddl")
    if not os.path.isfile(path):
        raise WorkerError("not_a_game",
                          f"{game_path} is not an ALFWorld game: expected a game.tw-pddl file or the trial folder holding one")
    try:
        with open(path, "r", encoding="utf-8") as f:
            game = json.load(f)
        if not isinstance(game, dict) or "pddl_domain" not in game or "pddl_problem" not in game:
            raise ValueError("missing pddl_domain/pddl_problem")
    except (ValueError, UnicodeDecodeError) as error:
        raise WorkerError("not_a_game", f"{path} is not an ALFWorld game file ({error})") from error
    traj_path = os.path.join(os.path.dirname(path), "traj_data.json")
    task_type = None
    task_params: Dict = {}
    if os.path.isfile(traj_path):
        with open(traj_path, "r", encoding="utf-8") as f:
            traj = json.load(f)
        task_type = traj.get("task_type")
        # What the task is about (object, receptacle, lamp...): the annotators name subtasks from it.
        task_params = {k: v for k, v in (traj.get("pddl_params") or {}).items() if isinstance(v, (str, bool))}
    return {"path": path, "solvable": bool(game.get("solvable")), "taskType": task_type, "taskParams": task_params,
            "hasTrajData": os.path.isfile(traj_path)}


def list_games(data_dir: str, split: str, task_types: Optional[List[str]] = None) -> List[Dict[str, str]]:
    unknown = [t for t in task_types or [] if t not in TASK_TYPES]
    if unknown:
        raise WorkerError("unknown_task",
                          f"unknown ALFWorld task type {', '.join(map(repr, unknown))}; use one of {', '.join(TASK_TYPES)}")
    root = split_dir(data_dir, split)
    wanted = set(task_types or TASK_TYPES)
    games = []
    for folder, _dirs, files in os.walk(root):
        if "traj_data.json" not in files:
            continue
        if "movable" in folder or "Sliced" in folder:
            continue
        with open(os.path.join(folder, "traj_data.json"), "r", encoding="utf-8") as f:
            task_type = json.load(f).get("task_type")
        if task_type not in wanted:
            continue
        game_file = os.path.join(folder, "game.tw-pddl")
        if not os.path.isfile(game_file):
            continue
        with open(game_file, "r", encoding="utf-8") as f:
            if not json.load(f).get("solvable", False):
                continue
        games.append({"game": game_file, "taskType": task_type, "name": os.path.relpath(folder, root)})
    games.sort(key=lambda g: g["name"])
    return games
