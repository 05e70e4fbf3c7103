"""The trainer reads what the runtime writes: a dataset made by the real CLI, read with Python's sqlite3."""
import json
import os
import subprocess

import pytest

from conftest import ALFWORLD_DATA, ROOT
from stephrl_data import SCHEMA_VERSION, DatasetVersionError, open_dataset, transition_sets, transitions

CLI = os.path.join(ROOT, "runtime", "bin", "stephrl.js")


def stephrl(*args):
    result = subprocess.run(["node", CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("dataset") / "stephrl.db")
    # Explicit --data: importing alfworld in this pytest process (test_alfworld.py) sets ALFWORLD_DATA to its own default.
    stephrl("demos", "--env", "alfworld", "--split", "valid_train", "--per-task", "1", "--data", ALFWORLD_DATA,
            "--db", db, "--json")
    stephrl("annotate", "--db", db, "--json")
    made = stephrl("dataset", "transitions", "--name", "bc", "--db", db, "--json")
    return db, made


def test_schema_version_matches_the_runtime(dataset):
    db, _ = dataset
    stats = stephrl("dataset", "stats", "--db", db, "--json")
    assert stats["schemaVersion"] == SCHEMA_VERSION


def test_transitions_read_back_as_derived(dataset):
    db, made = dataset
    conn = open_dataset(db)
    sets = transition_sets(conn)
    assert [s["name"] for s in sets] == ["bc"]
    counts = made["counts"]
    assert counts["episodes"] == 6
    for role in ("high", "low", "progress"):
        rows = list(transitions(conn, made["setId"], role))
        assert len(rows) == counts[role]
        assert all(r.state and r.target and r.next_state for r in rows)
    low = list(transitions(conn, made["setId"], "low"))
    assert all(r.target.endswith("; True") == r.done for r in low)
    assert {r.reward for r in low} <= {-1.0, 0.0, 1.0}
    conn.close()


def test_a_file_of_another_version_is_refused(tmp_path):
    import sqlite3
    path = str(tmp_path / "other.db")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatasetVersionError, match="update the trainer"):
        open_dataset(path)
