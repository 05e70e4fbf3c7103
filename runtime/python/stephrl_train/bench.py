"""`python -m stephrl_train bench`: training throughput for behaviour cloning and for offline RL, each path in its own
process: the reference path (every sample computed whole, left-padded) and the fast path (the tokens a role's samples
open with computed once per step and prefix group, the rest in length buckets, the critics' frozen features through
the same), side by side with their ratio. Per path: real tokens/s (the samples' state and
target tokens), processed tokens/s (what was computed: padding and repeated prefixes counted), samples/s, seconds per
step, peak memory, and the model FLOPs utilisation against a matrix-product ceiling measured in the same run and, on
a GPU, against its nominal bf16 peak. Prints one JSON object whose `bc` and `rl` each hold `reference`, `fast` (each
with `tokensPerSecond`) and `speedup` (fast over reference)."""
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
from typing import Any, Dict, List, Optional, Tuple


class GpuSampler(threading.Thread):
    def __init__(self, period: float = 0.5):
        super().__init__(daemon=True)
        self.period, self.stop = period, threading.Event()
        self.samples: List[Tuple[float, float]] = []  # (utilisation %, memory MB)
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


def measure(kind: str, args, extra: List[str], overrides: Dict[str, object]) -> Dict[str, Any]:
    out = tempfile.mkdtemp(prefix=f"stephrl-bench-{kind}-")
    config = {**json.loads(args.config), **overrides}
    if kind == "rl":
        config.setdefault("critic_warmup_steps", 0)  # measure the full step: critics and actor
    cmd = [sys.executable, "-m", "stephrl_train", kind, "--db", args.db, "--model", args.model, "--out", out,
           "--preset", args.preset, "--steps", str(args.steps), "--no-export", "--config", json.dumps(config), *extra]
    sampler = GpuSampler()
    sampler.start()
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    points, start_event = [], None
    assert proc.stdout is not None and proc.stderr is not None  # both piped
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
    processed = v1["processed_tokens"] - v0["processed_tokens"]
    samples = v1["samples"] - v0["samples"]
    seconds = t1 - t0
    timed = len(points) - 1
    result = {"steps": len(points), "timedSteps": timed, "tokens": tokens, "processedTokens": processed, "samples": samples,
              "seconds": round(seconds, 3), "tokensPerSecond": round(tokens / seconds, 1),
              "processedTokensPerSecond": round(processed / seconds, 1), "samplesPerSecond": round(samples / seconds, 3),
              "secondsPerStep": round(seconds / timed, 3), "peakRssMb": round(v1["peak_rss_mb"], 1),
              "wallSeconds": round(time.monotonic() - started, 1), "device": start_event["device"] if start_event else None}
    if "peak_gpu_memory_mb" in v1:
        result["peakGpuMemoryMb"] = round(v1["peak_gpu_memory_mb"], 1)
    gpu = sampler.summary()
    if gpu:
        result.update(gpu)
    return result


def lora_flops_per_token(model_path: str, mean_tokens: float) -> Optional[float]:
    """LoRA training FLOPs per token: about 4 x the linear parameters (the forward pass, and the backward pass through
    the frozen weights to the adapters, which need no weight gradients of their own) plus attention's score and value
    products over the mean sample length, forward and backward (12 x layers x length x width). None where
    transformers cannot describe the model, rather than a wrong figure."""
    try:
        from transformers import AutoConfig
        if os.path.isdir(model_path):
            c = AutoConfig.from_pretrained(model_path)
        else:
            c = AutoConfig.from_pretrained(os.path.dirname(os.path.abspath(model_path)), gguf_file=os.path.basename(model_path))
    except Exception:
        return None
    width, layers, inner = c.hidden_size, c.num_hidden_layers, c.intermediate_size
    heads = c.num_attention_heads
    kv_heads = getattr(c, "num_key_value_heads", None) or heads
    head_dim = getattr(c, "head_dim", None) or width // heads
    attention = 2 * width * heads * head_dim + 2 * width * kv_heads * head_dim  # q, o and k, v projections
    linear = layers * (attention + 3 * width * inner)  # gate, up and down projections
    return 4.0 * linear + 12.0 * layers * mean_tokens * width


# Dense bf16 tensor-core peaks as their makers state them (FLOP/s).
NOMINAL_BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12}


def matmul_ceiling(device: str) -> Dict[str, object]:
    """FLOP/s of a large matrix product measured now: bf16 on a GPU, fp32 on a CPU (what training uses there)."""
    import torch
    dtype, n, rounds = (torch.bfloat16, 8192, 20) if device == "cuda" else (torch.float32, 1024, 5)
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    for _ in range(2):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(rounds):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - started) / rounds
    return {"dtype": str(dtype).replace("torch.", ""), "size": n, "flopsPerSecond": 2 * n ** 3 / seconds}


def add_utilisation(path: Dict[str, Any], flops_per_token: Optional[float], ceiling: Dict[str, Any],
                    nominal: Optional[float]) -> None:
    """Model FLOPs utilisation of a path: useful FLOPs (real tokens only) against the measured ceiling and the peak."""
    if not flops_per_token:
        return
    achieved = flops_per_token * float(path["tokensPerSecond"])
    path["modelFlopsPerSecond"] = achieved
    path["mfuOfMeasuredCeiling"] = round(achieved / float(ceiling["flopsPerSecond"]), 5)
    path["mfuOfNominalPeak"] = round(achieved / nominal, 5) if nominal else None


def main(args) -> None:
    import torch
    extra = ["--cpu"] if args.cpu else []
    device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    gpu_name = torch.cuda.get_device_name(0) if device == "cuda" else None
    nominal = next((peak for name, peak in NOMINAL_BF16_PEAK.items() if gpu_name and name in gpu_name), None)
    ceiling = matmul_ceiling(device)
    results: Dict[str, object] = {}
    for kind in args.kinds.split(","):
        # The reference path computes every sample whole; the fast path computes a role's shared opening once per step
        # and prefix group, and the rest in length buckets (prefix_step.py).
        reference = measure(kind, args, extra, {"share_prefix": False})
        fast = measure(kind, args, extra, {"share_prefix": True})
        flops = lora_flops_per_token(args.model, float(fast["tokens"]) / max(1, int(fast["samples"])))
        for path in (reference, fast):
            add_utilisation(path, flops, ceiling, nominal)
        results[kind] = {"reference": reference, "fast": fast, "loraFlopsPerToken": flops,
                         "speedup": round(float(fast["tokensPerSecond"]) / float(reference["tokensPerSecond"]), 3)}
    print(json.dumps({
        "suite": "train", "model": args.model, "preset": args.preset, "config": json.loads(args.config),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
                    "gpu": gpu_name, "matmulCeiling": ceiling, "nominalBf16Peak": nominal},
        **results,
    }))
