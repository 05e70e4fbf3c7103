"""ALFWorld game selection, as ALFWorld's own AlfredTWEnv does it, with a stable order.

A data directory may be the folder holding `json_2.1.x/`, the `json_2.1.x/` folder itself, or a split folder.
Trial folders without `traj_data.json` (redistributions that keep only the game files) are selected too, their task
type read from the ALFRED folder name (`<task_type>-<Object>-<Mrecep>-<Parent>-<scene>`).

Game files come in two command dialects: the 2.1.1 one of ALFWorld 0.3.x (`put X in/on Y`, what this project's
demonstrations, agents and shipped adapters use) and the one the current `alfworld-download` writes (`move X to Y`,
a `help` action, `You arrive at <receptacle>.`). Their PDDL problems are the same; `put_dialect` turns the second into
the first, so one trained agent plays either download.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any, Dict, List, Optional

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


# Where the current download's grammar differs from 2.1.1's: (current, 2.1.1) text pairs, every occurrence replaced.
_GRAMMAR_EDITS = (
    ('template :: "move {o} to {r}";', 'template :: "put {o} in/on {r}";'),
    ('"rhs": "You move the {o.name} to the {r.name}."', '"rhs": "You put the {o.name} in/on the {r.name}."'),
    ('"rhs": "You arrive at {r.name}. #examineReceptacle.feedback#"',
     '"rhs": "You arrive at {lend.name}. #examineReceptacle.feedback#"'),
)
_MOVE_TEMPLATE = _GRAMMAR_EDITS[0][0]
_HELP_ACTION = "action help {"
_HELP_OPERATOR = "(:action help"


def is_move_dialect(game: Dict[str, Any]) -> bool:
    return _MOVE_TEMPLATE in str(game.get("grammar", ""))


def _drop_block(text: str, start: str, path: str) -> str:
    """Removes the brace- or parenthesis-balanced block that opens at `start` (the `help` action) and its line end."""
    at = text.find(start)
    if at < 0:
        return text
    opener = "{" if start.endswith("{") else "("
    closer = "}" if opener == "{" else ")"
    depth, i = 0, text.index(opener, at)
    while i < len(text):
        depth += {opener: 1, closer: -1}.get(text[i], 0)
        if depth == 0:
            end = i + 2 if text[i + 1:i + 2] == "\n" else i + 1
            return text[:at] + text[end:]
        i += 1
    raise WorkerError("not_a_game", f"{path}: unbalanced `help` block in the game file")


def put_dialect(game: Dict[str, Any], path: str) -> Dict[str, Any]:
    """The 2.1.1 (`put X in/on Y`) form of a game file in the current download's dialect; the problem is unchanged."""
    grammar = str(game["grammar"])
    for current, old in _GRAMMAR_EDITS:
        grammar = grammar.replace(current, old)
    grammar = _drop_block(grammar, _HELP_ACTION, path).rstrip("\n") + "\n"
    domain = str(game["pddl_domain"])
    domain = _drop_block(domain, _HELP_OPERATOR, path)
    return {"pddl_domain": domain, "grammar": grammar, "pddl_problem": game["pddl_problem"],
            "solvable": game.get("solvable", False)}


def playable_path(info: Dict[str, Any]) -> str:
    """The game file TextWorld should load: the file itself, or its 2.1.1 form written once to a cache folder
    (with `traj_data.json` beside it, which the hand-coded expert reads)."""
    if not info["moveDialect"]:
        return info["path"]
    stat = os.stat(info["path"])
    key = hashlib.sha1(f"{info['path']}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    folder = os.path.join(tempfile.gettempdir(), "stephrl-alfworld-2.1.1", key)
    target = os.path.join(folder, "game.tw-pddl")
    if not os.path.isfile(target):
        with open(info["path"], "r", encoding="utf-8") as f:
            converted = put_dialect(json.load(f), info["path"])
        os.makedirs(folder, exist_ok=True)
        traj = os.path.join(os.path.dirname(info["path"]), "traj_data.json")
        if os.path.isfile(traj):
            with open(traj, "rb") as src, open(os.path.join(folder, "traj_data.json"), "wb") as dst:
                dst.write(src.read())
        partial = f"{target}.{os.getpid()}.part"
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(converted, f)
        os.replace(partial, target)  # atomic: parallel workers may convert the same game
    return target


def task_type_from_folder(folder: str) -> Optional[str]:
    """ALFRED names a task folder `<task_type>-<Object>-<Mrecep>-<Parent>-<scene>`; the trial folder sits inside."""
    for name in (os.path.basename(os.path.dirname(folder)), os.path.basename(folder)):
        task_type = name.split("-", 1)[0]
        if task_type in TASK_TYPES:
            return task_type
    return None


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
    else:
        task_type = task_type_from_folder(os.path.dirname(path))
    return {"path": path, "solvable": bool(game.get("solvable")), "taskType": task_type, "taskParams": task_params,
            "hasTrajData": os.path.isfile(traj_path), "moveDialect": is_move_dialect(game)}


def list_games(data_dir: str, split: str, task_types: Optional[List[str]] = None) -> List[Dict[str, str]]:
    unknown = [t for t in task_types or [] if t not in TASK_TYPES]
    if unknown:
        raise WorkerError("unknown_task",
                          f"unknown ALFWorld task type {', '.join(map(repr, unknown))}; use one of {', '.join(TASK_TYPES)}")
    root = split_dir(data_dir, split)
    wanted = set(task_types or TASK_TYPES)
    games = []
    for folder, _dirs, files in os.walk(root):
        if "traj_data.json" in files:
            with open(os.path.join(folder, "traj_data.json"), "r", encoding="utf-8") as f:
                task_type = json.load(f).get("task_type")
        elif "game.tw-pddl" in files:
            task_type = task_type_from_folder(folder)
        else:
            continue
        if "movable" in folder or "Sliced" in folder:
            continue
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
