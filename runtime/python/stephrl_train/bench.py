"""`python -m stephrl_train bench`: training throughput (tokens per second, state + target tokens through the
trained forward and backward) and peak memory for behaviour cloning and for offline RL, each in its own process,
with GPU utilisation sampled by nvidia-smi where there is a GPU. Prints one JSON object."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, List, Optional


class GpuSampler(threading.Thread):
    def __init__(self, period: float = 0.5):
        super().__init__(daemon=True)
        self.period, self.samples, self.stop = period, [], threading.Event()
        self.available = shutil.which("nvidia-smi") is not None

    def run(self):
        while self.available and not self.stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout.splitlines()[0]
                util, mem = (float(x) for x in out.split(","))
                self.samples.append((util, mem))
            except Exception:
                pass
            self.stop.wait(self.period)

    def summary(self) -> Optional[Dict[str, float]]:
        if not self.samples:
            return None
        utils = sorted(u for u, _ in self.samples)
        return {"gpu_utilization_mean": sum(utils) / len(utils), "gpu_utilization_median": utils[len(utils) // 2],
                "gpu_memory_used_max_mb": max(m for _, m in self.samples), "samples": len(utils)}


def measure(kind: str, args, extra: List[str]) -> Dict[str, object]:
    out = tempfile.mkdtemp(prefix=f"stephrl-bench-{kind}-")
    config = json.loads(args.config)
    if kind == "rl":
        config.setdefault("critic_warmup_steps", 0)  # measure the full step: critics and actor
    cmd = [sys.executable, "-m", "stephrl_train", kind, "--db", args.db, "--model", args.model, "--out", out,
           "--preset", args.preset, "--steps", str(args.steps), "--no-export", "--config", json.dumps(config), *extra]
    sampler = GpuSampler()
    sampler.start()
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    points, start_event = [], None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "start":
            start_event = event
        elif event["event"] == "metrics":
            points.append((time.monotonic(), event["values"]))
    stderr = proc.stderr.read()
    proc.wait()
    sampler.stop.set()
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0 or len(points) < 2:
        raise RuntimeError(f"{kind} benchmark run failed ({proc.returncode}): {stderr[-2000:]}")
    # From the end of the first step to the end of the last: model loading and first-step warm-up left out.
    (t0, v0), (t1, v1) = points[0], points[-1]
    tokens = v1["tokens"] - v0["tokens"]
    seconds = t1 - t0
    result = {"steps": len(points), "timed_steps": len(points) - 1, "tokens": tokens, "seconds": round(seconds, 3),
              "tokens_per_second": round(tokens / seconds, 1), "seconds_per_step": round(seconds / (len(points) - 1), 3),
              "peak_rss_mb": round(v1["peak_rss_mb"], 1), "wall_seconds": round(time.monotonic() - started, 1),
              "device": start_event["device"] if start_event else None}
    if "peak_gpu_memory_mb" in v1:
        result["peak_gpu_memory_mb"] = round(v1["peak_gpu_memory_mb"], 1)
    gpu = sampler.summary()
    if gpu:
        result.update(gpu)
    return result


def main(args) -> None:
    import torch
    extra = ["--cpu"] if args.cpu else []
    results = {kind: measure(kind, args, extra) for kind in args.kinds.split(",")}
    print(json.dumps({
        "suite": "train", "model": args.model, "preset": args.preset, "config": json.loads(args.config),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() and not args.cpu else None},
        "results": results,
    }))
