"""The packed GPU job (runtime/setup/gpu-job): a dataset and a model packed here, the model's parts sent in separate
transfers, joined and checked there, and the trainer run on them with only Python and the trainer's packages."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ALFWORLD_DATA, ROOT

CLI = os.path.join(ROOT, "runtime", "bin", "stephrl.js")
TINY = os.path.join(ROOT, "test", "fixtures", "tinygguf.mjs")
PACK = os.path.join(ROOT, "runtime", "setup", "gpu-job", "pack.sh")
RUN = os.path.join(ROOT, "runtime", "setup", "gpu-job", "run.sh")
# run.sh calls `python3`: the one that holds the trainer's packages, as on the GPU machine.
ENV = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"], "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    d = tmp_path_factory.mktemp("gpu-job")
    model, db = str(d / "tiny.gguf"), str(d / "stephrl.db")
    subprocess.run(["node", TINY, model], check=True, capture_output=True)
    for args in (["demos", "--env", "alfworld", "--split", "valid_train", "--limit", "1", "--data", ALFWORLD_DATA],
                 ["annotate"], ["dataset", "transitions"]):
        r = subprocess.run(["node", CLI, *args, "--db", db, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
    pack = d / "pack"
    r = subprocess.run([PACK, "--db", db, "--model", model, "--dir", str(pack), "--part-size", "200K"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return {"dir": d, "pack": pack, "model": model}


def transfer(packed, name, *paths):
    """What one transfer brings to the other machine: a fresh folder holding only these of the packed paths."""
    arrived = packed["dir"] / name
    shutil.rmtree(arrived, ignore_errors=True)
    arrived.mkdir()
    for path in paths:
        source = packed["pack"] / path
        (shutil.copytree if source.is_dir() else shutil.copy)(source, arrived / path)
    return arrived


def run_job(arrived, stash, *trainer_args):
    return subprocess.run([RUN, "--dir", str(arrived), "--stash", str(stash), *(["--", *trainer_args] if trainer_args else [])],
                          capture_output=True, text=True, env=ENV, timeout=600)


def test_parts_sent_one_at_a_time_are_joined_and_trained_on(packed):
    parts = sorted(p.name for p in packed["pack"].glob("part-*"))
    assert len(parts) == 3  # a 431 KiB model in parts of 200 KiB
    stash = packed["dir"] / "stash"
    for i, part in enumerate(parts[:-1]):
        r = run_job(transfer(packed, f"transfer-{i}", part), stash)
        assert r.returncode == 0, r.stderr
        assert f"{i + 1} model parts kept" in r.stdout
    last = transfer(packed, "transfer-last", parts[-1], "dataset.db.gz", "model.sha256", "site")
    out = packed["dir"] / "out"
    config = json.dumps({"max_length": 4096, "micro_batch_size": 2, "global_batch_size": 2})
    r = run_job(last, stash, "bc", "--out", str(out), "--steps", "1", "--cpu", "--no-export", "--config", config)
    assert r.returncode == 0, r.stderr
    done = [json.loads(line) for line in r.stdout.splitlines() if line.startswith('{"event": "done"')]
    assert done and os.path.isdir(done[0]["adapter"]), r.stdout
    with open(stash / os.path.basename(packed["model"]), "rb") as joined, open(packed["model"], "rb") as original:
        assert joined.read() == original.read()
    r = run_job(last, stash, "export", "--adapter", done[0]["adapter"], "--out", str(out / "adapter.gguf"), "--dtype", "f16")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(out / "adapter.gguf") > 0


def test_a_missing_or_damaged_part_is_refused_before_training(packed):
    parts = sorted(p.name for p in packed["pack"].glob("part-*"))
    stash = packed["dir"] / "stash-damaged"
    arrived = transfer(packed, "transfer-without-one", parts[0], parts[-1], "dataset.db.gz", "model.sha256", "site")
    r = run_job(arrived, stash, "bc", "--out", str(packed["dir"] / "never"), "--steps", "1", "--cpu")
    assert r.returncode == 2
    assert "does not match model.sha256" in r.stderr
    assert not (packed["dir"] / "never").exists()

    arrived = transfer(packed, "transfer-damaged", parts[1])
    piece = next(arrived.glob("part-*/piece-*"))
    piece.write_bytes(b"\0" + piece.read_bytes()[1:])
    r = run_job(arrived, stash, "bc", "--out", str(packed["dir"] / "never"), "--steps", "1", "--cpu")
    assert r.returncode == 2 and "does not match model.sha256" in r.stderr


def test_the_last_transfer_must_bring_the_dataset(packed):
    stash = packed["dir"] / "stash-no-dataset"
    parts = sorted(p.name for p in packed["pack"].glob("part-*"))
    arrived = transfer(packed, "transfer-without-dataset", *parts, "model.sha256", "site")
    r = run_job(arrived, stash, "bc", "--out", str(packed["dir"] / "never"), "--steps", "1", "--cpu")
    assert r.returncode == 2 and "dataset.db has not arrived" in r.stderr
