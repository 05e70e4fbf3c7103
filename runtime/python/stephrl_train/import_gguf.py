"""Reads a llama.cpp LoRA adapter (GGUF) back into a peft adapter folder: the inverse of export_gguf.

A shipped adapter (runtime/adapters/<name>/adapter.gguf) is all that is left of its training run, so without this
nobody could train it further or start offline RL from it. Each adapted linear layer of the base model is named in
GGUF by the same tensor-name table export_gguf uses; the rows of B that the export permuted for llama.cpp's rotary
layout are permuted back. Weights are copied as stored (an f32 adapter round-trips exactly), and every matrix's shape
is checked against the layer it adapts, so an adapter for another base model is refused rather than misread.
"""
from __future__ import annotations

import json
import os
from typing import Dict, List

import numpy as np

from .architectures import QK_PERMUTED, describe_base_model, is_gguf_file
from .export_gguf import ExportError, unsupported
from .merge_gguf import adapter_deltas


def unpermute_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Undoes export_gguf.permute_rows: within each head, contiguous halves become interleaved again."""
    out = weight.shape[0]
    return weight.reshape(heads, out // heads // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def import_adapter(adapter_path: str, base_model: str, linears: Dict[str, tuple], out_dir: str,
                   dropout: float = 0.0) -> Dict[str, object]:
    """Writes `out_dir` (adapter_config.json, adapter_model.safetensors) from a GGUF LoRA adapter. `linears`: the base
    model's decoder-block linear layers, full name -> (out_features, in_features)."""
    import gguf
    from safetensors.numpy import save_file

    pairs, alpha, architecture = adapter_deltas(adapter_path, gguf)
    base = describe_base_model(base_model)
    if not base.exportable:
        raise unsupported(base)
    if architecture and architecture != base.architecture:
        raise ExportError(f"{adapter_path} adapts a {architecture!r} model; the base model {base_model} is {base.architecture!r}")
    arch = next(key for key, name in gguf.MODEL_ARCH_NAMES.items() if name == base.architecture)
    tensor_names = gguf.get_tensor_name_map(arch, base.blocks)
    permuted_heads = {gguf.MODEL_TENSOR.ATTN_Q: base.heads, gguf.MODEL_TENSOR.ATTN_K: base.kv_heads} \
        if QK_PERMUTED[base.architecture] else {}
    tensors: Dict[str, np.ndarray] = {}
    targets: List[str] = []
    for module, (out_features, in_features) in linears.items():
        found = tensor_names.get_type_and_name(module.replace("language_model.", ""))
        if found is None or (found[1] + ".weight") not in pairs:
            continue
        kind, name = found
        a, b = pairs.pop(name + ".weight")
        if a.shape[1] != in_features or b.shape[0] != out_features or a.shape[0] != b.shape[1]:
            raise ExportError(f"{adapter_path}: {name} holds A {a.shape} and B {b.shape}, which do not fit the base "
                              f"model's {module} ({out_features} x {in_features}): an adapter for another base model?")
        if kind in permuted_heads:
            b = unpermute_rows(b, permuted_heads[kind])
        tensors[f"base_model.model.{module}.lora_A.weight"] = np.ascontiguousarray(a)
        tensors[f"base_model.model.{module}.lora_B.weight"] = np.ascontiguousarray(b)
        targets.append(module)
    if pairs:
        raise ExportError(f"{adapter_path}: {', '.join(sorted(pairs)[:3])} adapt no linear layer of the base model "
                          f"{base_model}: an adapter for another base model?")
    ranks = {tensors[f"base_model.model.{m}.lora_A.weight"].shape[0] for m in targets}
    if len(ranks) != 1:
        raise ExportError(f"{adapter_path} mixes ranks {sorted(ranks)}; peft needs one rank per adapter")
    rank = ranks.pop()
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": alpha, "lora_dropout": dropout,
              "target_modules": sorted(targets), "bias": "none", "fan_in_fan_out": False, "inference_mode": False,
              "base_model_name_or_path": base_model}
    partial = out_dir.rstrip("/") + ".partial"
    os.makedirs(partial, exist_ok=True)
    with open(os.path.join(partial, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file(tensors, os.path.join(partial, "adapter_model.safetensors"))
    if os.path.isdir(out_dir):
        import shutil
        shutil.rmtree(out_dir)
    os.replace(partial, out_dir)
    return {"path": out_dir, "layers": len(targets), "rank": rank, "alpha": alpha, "architecture": base.architecture}


def linear_shapes(model) -> Dict[str, tuple]:
    """The decoder-block linear layers of a (not yet adapted) model: full name -> (out_features, in_features)."""
    import torch

    from .backbone import decoder_block_linears

    modules = dict(model.named_modules())
    shapes = {}
    for name in decoder_block_linears(model):
        layer = modules[name]
        assert isinstance(layer, torch.nn.Linear)
        shapes[name] = (layer.out_features, layer.in_features)
    return shapes


def import_from_file(adapter_path: str, base_model: str, out_dir: str) -> Dict[str, object]:
    """`python -m stephrl_train import`: loads the base model only to learn its layers' names and shapes."""
    from .backbone import load_backbone

    if not is_gguf_file(adapter_path):
        raise ExportError(f"{adapter_path} is not a GGUF file")
    base, _ = load_backbone(base_model)
    return import_adapter(adapter_path, base_model, linear_shapes(base), out_dir)
