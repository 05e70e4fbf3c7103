"""The real ALFWorld text engine through our session: game selection, the hand-coded expert, rejection, bad input."""
import json
import os

import pytest

from stephrl_env.alfworld_games import list_games
from stephrl_env.errors import WorkerError


@pytest.fixture(scope="module")
def session():
    from stephrl_env.alfworld_session import AlfworldSession
    s = AlfworldSession()
    yield s
    s.close()


def test_game_selection_counts_match_alfworld(alfworld_data):
    assert len(list_games(alfworld_data, "valid_seen")) == 140
    assert len(list_games(alfworld_data, "valid_train")) == 200


def test_selection_is_sorted_and_accepts_the_json_folder_itself(alfworld_data):
    games = list_games(alfworld_data, "valid_seen")
    assert [g["name"] for g in games] == sorted(g["name"] for g in games)
    inner = os.path.join(alfworld_data, "json_2.1.1")
    assert [g["game"] for g in list_games(inner, "valid_seen")] == [g["game"] for g in games]


def test_expert_wins_a_game_with_commands_the_game_accepts(session, alfworld_data):
    game = list_games(alfworld_data, "valid_train")[0]["game"]
    reset = session.reset(game, 50, True, 0)
    assert reset["taskDescription"] and reset["taskType"]
    result = None
    while True:
        action = session.expert_action()
        assert action is not None
        assert action in session.valid_actions()
        result = session.step(action)
        assert not result["invalid"], action
        if result["done"]:
            break
    assert result["won"] and result["reward"] == 1.0 and result["score"] == 100


def test_put_commands_use_the_2_1_1_form(session, alfworld_data):
    game = next(g["game"] for g in list_games(alfworld_data, "valid_train") if g["taskType"] == "pick_and_place_simple")
    session.reset(game, 50, True, 0)
    actions = []
    while True:
        action = session.expert_action()
        actions.append(action)
        if session.step(action)["done"]:
            break
    assert any(a.startswith("put ") and " in/on " in a for a in actions)
    assert not any(a.startswith("move ") for a in actions)


def test_rejected_action_and_the_episode_goes_on(session, alfworld_data):
    game = list_games(alfworld_data, "valid_seen")[0]["game"]
    session.reset(game, 50, False, 0)
    result = session.step("fly to the moon")
    assert result["invalid"] and result["observation"].strip() == "Nothing happens."
    assert not result["done"]
    assert not session.step(session.valid_actions()[0])["invalid"]


def test_not_a_game(session, tmp_path):
    with pytest.raises(WorkerError) as error:
        session.reset(str(tmp_path), 50, False, 0)
    assert error.value.code == "not_a_game"
    bogus = tmp_path / "game.tw-pddl"
    bogus.write_text(json.dumps({"hello": 1}))
    with pytest.raises(WorkerError) as error:
        session.reset(str(bogus), 50, False, 0)
    assert error.value.code == "not_a_game"


def test_missing_data_directory_says_how_to_fix(tmp_path):
    with pytest.raises(WorkerError) as error:
        list_games(str(tmp_path / "nowhere"), "valid_seen")
    assert error.value.code == "data_missing" and "ALFWORLD_DATA" in error.value.message
    with pytest.raises(WorkerError) as error:
        list_games(str(tmp_path), "valid_sean")
    assert error.value.code == "unknown_split"


def test_task_types_select_games_and_a_misspelt_one_is_named(alfworld_data):
    games = list_games(alfworld_data, "valid_seen", ["pick_and_place_simple"])
    assert len(games) == 35 and {g["taskType"] for g in games} == {"pick_and_place_simple"}
    with pytest.raises(WorkerError) as error:
        list_games(alfworld_data, "valid_seen", ["pick_and_place", "look_at_obj_in_light"])
    assert error.value.code == "unknown_task" and "'pick_and_place'" in error.value.message
    assert "pick_and_place_simple" in error.value.message


def test_state_key_names_the_whole_world_state(session, alfworld_data):
    """The key changes with what the engine remembers (places visited) and repeats once a walk adds nothing new."""
    game = list_games(alfworld_data, "valid_seen")[0]["game"]
    start = session.reset(game, 50, False, 0)["stateKey"]
    places = [a for a in session.valid_actions() if a.startswith("go to ")][:2]
    keys = [session.step(places[k % 2])["stateKey"] for k in range(6)]
    assert start not in keys
    assert keys[0] != keys[2], "the first walk back marks the place left as visited"
    assert keys[2] == keys[4] and keys[3] == keys[5], "then the walk between two places repeats the same two states"
    assert keys[2] != keys[3]
    assert session.step("look")["stateKey"] != keys[5], "looking around marks the place as checked"


def _current_download_form(game):
    """A 2.1.1 game file as the current `alfworld-download` writes it: `move X to Y`, `You arrive at <receptacle>.`
    and a `help` action in grammar and domain (these four differences, and nothing else, separate the two downloads'
    140 valid_seen files: checked once against a copy of the current download)."""
    grammar = (game["grammar"]
               .replace('template :: "put {o} in/on {r}";', 'template :: "move {o} to {r}";')
               .replace('"rhs": "You put the {o.name} in/on the {r.name}."', '"rhs": "You move the {o.name} to the {r.name}."')
               .replace('"rhs": "You arrive at {lend.name}.', '"rhs": "You arrive at {r.name}.'))
    grammar += '\naction help {\n    template :: "help";\n    feedback :: "\nAvailable commands:\n  look: look around\n";\n}\n'
    closing = game["pddl_domain"].rstrip().rfind(")")
    domain = (game["pddl_domain"][:closing] + "(:action help\n    :parameters (?a - agent)\n    :precondition\n        ()\n"
              "    :effect\n        (and\n            (checked ?a)\n        )\n)\n" + game["pddl_domain"][closing:])
    return {**game, "grammar": grammar, "pddl_domain": domain, "walkthrough": ["look"]}


def _copy_as_current_download(game_file, root, split, keep_traj_data):
    trial = os.path.dirname(game_file)
    target = root / "json_2.1.1" / split / os.path.basename(os.path.dirname(trial)) / os.path.basename(trial)
    target.mkdir(parents=True)
    with open(game_file, "r", encoding="utf-8") as f:
        original = json.load(f)
    (target / "game.tw-pddl").write_text(json.dumps(_current_download_form(original)))
    if keep_traj_data:
        with open(os.path.join(trial, "traj_data.json"), "r", encoding="utf-8") as f:
            (target / "traj_data.json").write_text(f.read())
    return original, str(target / "game.tw-pddl")


def test_the_current_downloads_dialect_becomes_2_1_1_exactly(alfworld_data, tmp_path):
    from stephrl_env.alfworld_games import is_move_dialect, put_dialect
    game = next(g["game"] for g in list_games(alfworld_data, "valid_seen") if g["taskType"] == "pick_two_obj_and_place")
    original, current = _copy_as_current_download(game, tmp_path, "valid_unseen", keep_traj_data=False)
    with open(current, "r", encoding="utf-8") as f:
        current_game = json.load(f)
    assert is_move_dialect(current_game) and not is_move_dialect(original)
    assert put_dialect(current_game, current) == original


def test_game_files_without_traj_data_are_selected_by_folder_name_and_play_in_2_1_1(session, alfworld_data, tmp_path):
    seen = list_games(alfworld_data, "valid_seen")
    picked = [next(g for g in seen if g["taskType"] == t) for t in ("pick_and_place_simple", "look_at_obj_in_light")]
    for game in picked:
        _copy_as_current_download(game["game"], tmp_path, "valid_unseen", keep_traj_data=False)
    listed = list_games(str(tmp_path), "valid_unseen")
    assert [g["taskType"] for g in listed] == ["look_at_obj_in_light", "pick_and_place_simple"]
    assert list_games(str(tmp_path), "valid_unseen", ["look_at_obj_in_light"]) == listed[:1]

    reset = session.reset(listed[1]["game"], 50, False, 0)
    assert reset["taskType"] == "pick_and_place_simple" and reset["taskDescription"]
    assert not any(a.startswith(("move ", "help")) for a in session.valid_actions())
    with pytest.raises(WorkerError) as error:
        session.reset(listed[1]["game"], 50, True, 0)
    assert error.value.code == "expert_unavailable"


def test_the_expert_wins_a_current_download_game_with_put_commands(session, alfworld_data, tmp_path):
    game = next(g["game"] for g in list_games(alfworld_data, "valid_seen") if g["taskType"] == "pick_and_place_simple")
    _original, current = _copy_as_current_download(game, tmp_path, "valid_seen", keep_traj_data=True)
    session.reset(current, 50, True, 0)
    actions, observations, result = [], [], None
    while result is None or not result["done"]:
        actions.append(session.expert_action())
        result = session.step(actions[-1])
        observations.append(result["observation"])
        assert not result["invalid"], actions[-1]
    assert result["won"]
    assert any(a.startswith("put ") and " in/on " in a for a in actions)
    assert any(o.startswith("You put the ") for o in observations)
    assert any(o.startswith("You arrive at loc ") for o in observations), "2.1.1's arrival text, as in training"
