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
