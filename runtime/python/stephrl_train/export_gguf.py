"""Writes a trained LoRA adapter as a GGUF adapter that llama.cpp (node-llama-cpp) loads on top of the base GGUF.

Names follow llama.cpp's (blk.N.attn_q.weight.lora_a / .lora_b), with `general.type = adapter`,
`adapter.type = lora` and `adapter.lora.alpha`, so llama.cpp scales by alpha / r as peft does. llama.cpp stores the
query and key projections of llama-family models with their rows permuted for its rotary embedding (transformers
undoes that when it reads a GGUF): the B matrices of q and k get the same permutation, the A matrices are unchanged.
"""
from __future__ import annotations

import json
import os
import re
from typing import Dict, Optional, Tuple

import numpy as np

# Hugging Face module name -> llama.cpp tensor name (per block).
MODULE_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# GGUF architecture -> whether q/k rows are permuted (llama.cpp's converter does it for these).
ARCHITECTURES = {"llama": True, "qwen2": False, "qwen3": False}
LORA_KEY = re.compile(r"layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])\.weight$")


class ExportError(RuntimeError):
    pass


def base_shape(model_path: str) -> Tuple[str, int, int]:
    """(GGUF architecture, attention heads, key/value heads) of the base model."""
    if os.path.isdir(model_path):
        with open(os.path.join(model_path, "config.json")) as f:
            config = json.load(f)
        arch = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}.get(config.get("model_type"))
        if arch is None:
            raise ExportError(f"exporting adapters for {config.get('model_type')!r} models is not supported")
        heads = config["num_attention_heads"]
        return arch, heads, config.get("num_key_value_heads", heads)
    from gguf import GGUFReader

    reader = GGUFReader(model_path)

    def field(name: str):
        f = reader.fields.get(name)
        if f is None:
            raise ExportError(f"{model_path} has no {name}")
        return f.contents()

    arch = field("general.architecture")
    heads = int(field(f"{arch}.attention.head_count"))
    kv = reader.fields.get(f"{arch}.attention.head_count_kv")
    return arch, heads, int(kv.contents()) if kv is not None else heads


def permute_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's rotary layout: within each head, interleaved halves become contiguous."""
    out = weight.shape[0]
    return weight.reshape(heads, 2, out // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def export_adapter(adapter_dir: str, base_model: str, out_path: str, dtype: str = "f32") -> Dict[str, object]:
    from gguf import GGUFWriter
    from safetensors.numpy import load_file

    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        adapter_config = json.load(f)
    if adapter_config.get("peft_type") != "LORA":
        raise ExportError(f"{adapter_dir} is not a LoRA adapter")
    if adapter_config.get("use_dora") or adapter_config.get("use_rslora"):
        raise ExportError("DoRA and rsLoRA adapters have no llama.cpp equivalent")
    arch, heads, kv_heads = base_shape(base_model)
    if arch not in ARCHITECTURES:
        raise ExportError(f"exporting adapters for the {arch!r} architecture is not supported")
    permuted = ARCHITECTURES[arch]
    tensors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]

    writer = GGUFWriter(out_path + ".partial", arch)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(adapter_config["lora_alpha"]))
    writer.add_string("general.name", os.path.basename(os.path.normpath(adapter_dir)))
    count = 0
    for key in sorted(tensors):
        m = LORA_KEY.search(key)
        if not m:
            raise ExportError(f"{adapter_dir}: unexpected adapter tensor {key}")
        block, module, ab = m.group(1), m.group(2), m.group(3)
        weight = tensors[key].astype(np.float32)
        if ab == "B" and permuted and module == "self_attn.q_proj":
            weight = permute_rows(weight, heads)
        elif ab == "B" and permuted and module == "self_attn.k_proj":
            weight = permute_rows(weight, kv_heads)
        writer.add_tensor(f"blk.{block}.{MODULE_NAMES[module]}.weight.lora_{ab.lower()}",
                          np.ascontiguousarray(weight.astype(np_dtype)))
        count += 1
    if count == 0:
        raise ExportError(f"{adapter_dir} holds no LoRA weights")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(out_path + ".partial", out_path)
    return {"path": out_path, "tensors": count, "architecture": arch, "rank": adapter_config["r"],
            "alpha": adapter_config["lora_alpha"]}


def exported_path(adapter_dir: str, name: Optional[str] = None) -> str:
    return os.path.join(adapter_dir, name or "adapter.gguf")
