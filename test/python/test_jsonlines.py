"""The worker's JSON-lines loop as a process: bad lines get errors, stray prints never reach the protocol stream."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_worker(kind, lines, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "stephrl_env.worker", kind],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "runtime", "python"), **(env or {})})
    return [json.loads(line) for line in proc.stdout.splitlines()], proc


def test_protocol_errors_and_stdout_stays_clean():
    messages, proc = run_worker("alfworld", [
        "not json",
        json.dumps({"id": 1, "method": "dance"}),
        json.dumps({"id": 2, "method": "step", "params": {"action": "look"}}),
        json.dumps({"id": 3, "method": "reset", "params": {"game": 5}}),
        json.dumps({"id": 4, "method": "close"}),
    ])
    assert proc.returncode == 0
    assert messages[0]["event"] == "ready" and messages[0]["engine"]["name"] == "alfworld"
    codes = [m["error"]["code"] for m in messages[1:5]]
    assert codes == ["bad_request", "unknown_method", "no_episode", "bad_request"]
    assert messages[-1] == {"id": 4, "ok": True, "result": {}}


def test_missing_java_is_a_clear_fatal_event(tmp_path):
    messages, proc = run_worker("scienceworld", [], env={"PATH": str(tmp_path)})
    assert proc.returncode == 3
    assert messages[0]["event"] == "fatal"
    assert messages[0]["error"]["code"] == "java_missing"
    assert "default-jre-headless" in messages[0]["error"]["message"]
