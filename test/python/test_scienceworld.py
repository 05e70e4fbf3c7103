"""The real ScienceWorld engine through our session: splits, gold paths, rejection, caps, bad input."""
import pytest

from stephrl_env.errors import WorkerError
from stephrl_env.scienceworld_splits import SPLIT_SIZES


def test_split_totals_match_the_protocol(scienceworld):
    assert len(scienceworld.list_split("train", None)) == 1404
    assert len(scienceworld.list_split("dev", None)) == 195
    assert len(scienceworld.list_split("test", None)) == 211


def test_every_used_task_has_enough_engine_variations(scienceworld):
    for task, (train, test, dev) in SPLIT_SIZES.items():
        variations = scienceworld.variations(task)
        assert len(variations["train"]) >= train, task
        assert len(variations["test"]) >= test, task
        assert len(variations["dev"]) >= dev, task


def test_split_takes_the_first_n_engine_variations(scienceworld):
    episodes = scienceworld.list_split("test", ["boil"])
    assert [e["variation"] for e in episodes] == scienceworld.variations("boil")["test"][:9]


def test_gold_path_reaches_100_on_boil_0(scienceworld):
    reset = scienceworld.reset("boil", 0, "easy", 300, True)
    assert "boil" in reset["taskDescription"]
    assert "inventory" in reset["inventory"].lower()
    result = None
    while not (result and result["done"]):
        action = scienceworld.expert_action()
        assert action is not None, "the gold path ended before the task was done"
        result = scienceworld.step(action)
        assert not result["invalid"], action
    assert result["score"] == 100 and result["won"] and not result["truncated"]
    assert result["steps"] <= len(scienceworld.expert_plan())


def test_invalid_action_is_rejected_by_the_engine_and_the_episode_goes_on(scienceworld):
    scienceworld.reset("boil", 0, "easy", 50, False)
    rejected = scienceworld.step("fly to the moon")
    assert rejected["invalid"] and rejected["observation"].strip() == "No known action matches that input."
    assert not rejected["done"]
    assert not scienceworld.step("look around")["invalid"]


def test_step_cap_truncates(scienceworld):
    scienceworld.reset("boil", 0, "easy", 3, False)
    results = [scienceworld.step("look around") for _ in range(3)]
    assert [r["done"] for r in results] == [False, False, True]
    assert results[-1]["truncated"]
    with pytest.raises(WorkerError) as error:
        scienceworld.step("look around")
    assert error.value.code == "episode_finished"


def test_bad_input_names_the_problem(scienceworld):
    with pytest.raises(WorkerError) as error:
        scienceworld.reset("boill", 0, "easy", 50, False)
    assert error.value.code == "unknown_task" and "boil" in error.value.message
    with pytest.raises(WorkerError) as error:
        scienceworld.reset("boil", 10_000, "easy", 50, False)
    assert error.value.code == "variation_out_of_range" and "0..29" in error.value.message
    with pytest.raises(WorkerError) as error:
        scienceworld.reset("boil", 0, "hard-mode", 50, False)
    assert error.value.code == "unknown_simplification"
