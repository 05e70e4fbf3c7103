"""Checkpoints: the adapter, the critics, the optimizers, every random generator and the data position, written
whole or not at all (a temporary folder renamed into place), so `kill -9` at any moment leaves the last complete
checkpoint to resume from, and the resumed run continues with the same batches and the same dropout masks."""
from __future__ import annotations

import os
import random
import re
import shutil
from typing import Any, Dict, Optional

import numpy as np
import torch

STEP_DIR = re.compile(r"^step-(\d+)$")
COMPLETE = "COMPLETE"


def rng_state() -> Dict[str, Any]:
    # NumPy's state as plain values (no ndarray), so that checkpoints load with torch.load(weights_only=True).
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    numpy_state = (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached))
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_dir(out_dir: str, step: int) -> str:
    return os.path.join(out_dir, "checkpoints", f"step-{step:07d}")


def save(out_dir: str, step: int, adapter_model, trainer_state: Dict[str, Any], keep: int) -> str:
    final = checkpoint_dir(out_dir, step)
    partial = final + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    adapter_model.save_pretrained(os.path.join(partial, "adapter"))
    torch.save(trainer_state, os.path.join(partial, "trainer.pt"))
    with open(os.path.join(partial, COMPLETE), "w") as f:
        f.write(str(step))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    prune(out_dir, keep)
    return final


def latest(out_dir: str) -> Optional[str]:
    """The newest complete checkpoint, or None."""
    root = os.path.join(out_dir, "checkpoints")
    if not os.path.isdir(root):
        return None
    steps = []
    for name in os.listdir(root):
        m = STEP_DIR.match(name)
        if m and os.path.exists(os.path.join(root, name, COMPLETE)):
            steps.append((int(m.group(1)), name))
    return os.path.join(root, max(steps)[1]) if steps else None


def load_state(path: str) -> Dict[str, Any]:
    """Tensors and plain values only (weights_only): a checkpoint folder from elsewhere cannot run code on load.
    Checkpoints written before NumPy's state was stored as a tensor also hold an ndarray: allowed by name."""
    file = os.path.join(path, "trainer.pt")
    multiarray = (getattr(np, "_core", None) or np.core).multiarray
    numpy_types = [np.ndarray, np.dtype, type(np.dtype(np.uint32)), multiarray._reconstruct]
    with torch.serialization.safe_globals(numpy_types):
        return torch.load(file, weights_only=True)


def prune(out_dir: str, keep: int) -> None:
    root = os.path.join(out_dir, "checkpoints")
    names = sorted(n for n in os.listdir(root) if STEP_DIR.match(n))
    for name in names[:-keep] if keep > 0 else []:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
