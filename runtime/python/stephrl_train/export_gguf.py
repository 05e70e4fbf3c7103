"""Writes a trained LoRA adapter (peft) as a GGUF adapter that llama.cpp (node-llama-cpp) loads on top of the base GGUF.

The base model is a Hugging Face folder (its config.json's model_type) or a GGUF file (its general.architecture);
architectures.py says which families export and why. Each adapted layer's GGUF name comes from the `gguf` package's
tensor-name table for the base's architecture (gguf.get_tensor_name_map, the table llama.cpp's converter uses):
model.layers.N.self_attn.q_proj -> blk.N.attn_q, Phi-3's fused qkv_proj -> blk.N.attn_qkv, and so on, written as
blk.N.attn_q.weight.lora_a / .lora_b, with `general.type = adapter`, `adapter.type = lora` and `adapter.lora.alpha`,
so llama.cpp scales by alpha / r as peft does. Where llama.cpp's converter permutes the rows of the query and key
projections for its rotary embedding (llama, Mistral; transformers undoes that when it reads such a GGUF), the B
matrices of q and k get the same permutation; the A matrices are unchanged.
"""
from __future__ import annotations

import json
import os
import re
from typing import Dict, Optional

import numpy as np

from .architectures import QK_PERMUTED, SUPPORTED, BaseModel, describe_base_model, is_gguf_file

# peft's name of a LoRA matrix: base_model.model.<module of the base model>.lora_A.weight
LORA_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<matrix>[AB])\.weight$")


class ExportError(RuntimeError):
    pass


def unsupported(base: BaseModel) -> ExportError:
    return ExportError(f"exporting adapters for the {base.architecture!r} architecture is not supported "
                       f"(llama.cpp adapters are written for: {SUPPORTED})")


def check_exportable(model_path: str) -> None:
    """Refuses a base model whose adapter could not be exported, before any training is spent on it. Paths that are
    not a model are left to the model loader, which says what is wrong with them."""
    if os.path.isfile(model_path):
        if not is_gguf_file(model_path):
            return
    elif not os.path.isfile(os.path.join(model_path, "config.json")):
        return
    base = describe_base_model(model_path)
    if not base.exportable:
        raise unsupported(base)


def permute_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's rotary layout (LlamaModel.permute in its converter): within each head, interleaved halves become
    contiguous."""
    out = weight.shape[0]
    return weight.reshape(heads, 2, out // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def export_adapter(adapter_dir: str, base_model: str, out_path: str, dtype: str = "f32") -> Dict[str, object]:
    import gguf
    from safetensors.numpy import load_file

    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        adapter_config = json.load(f)
    if adapter_config.get("peft_type") != "LORA":
        raise ExportError(f"{adapter_dir} is not a LoRA adapter")
    if adapter_config.get("use_dora") or adapter_config.get("use_rslora") or adapter_config.get("alpha_pattern"):
        raise ExportError("DoRA, rsLoRA and per-layer alphas have no llama.cpp equivalent")
    base = describe_base_model(base_model)
    if not base.exportable:
        raise unsupported(base)
    arch = next(key for key, name in gguf.MODEL_ARCH_NAMES.items() if name == base.architecture)
    tensor_names = gguf.get_tensor_name_map(arch, base.blocks)
    # The heads to permute the rows of q and k by, where llama.cpp's converter does.
    permuted_heads = {gguf.MODEL_TENSOR.ATTN_Q: base.heads, gguf.MODEL_TENSOR.ATTN_K: base.kv_heads} \
        if QK_PERMUTED[base.architecture] else {}
    tensors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]

    writer = gguf.GGUFWriter(out_path + ".partial", base.architecture)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(adapter_config["lora_alpha"]))
    writer.add_string("general.name", os.path.basename(os.path.normpath(adapter_dir)))
    count = 0
    for key in sorted(tensors):
        match = LORA_KEY.match(key)
        if not match:
            raise ExportError(f"{adapter_dir}: unexpected adapter tensor {key}")
        # Multimodal wrappers (Gemma 3) nest the decoder under language_model; llama.cpp's converter drops that level.
        module = match["module"].replace("language_model.", "")
        found = tensor_names.get_type_and_name(module)
        if found is None or not found[1].startswith("blk."):
            raise ExportError(f"{adapter_dir}: the adapted layer {module} has no counterpart in llama.cpp's "
                              f"{base.architecture!r} model (only the linear layers of the decoder blocks do)")
        kind, name = found
        weight = tensors[key].astype(np.float32)
        if match["matrix"] == "B" and kind in permuted_heads:
            weight = permute_rows(weight, permuted_heads[kind])
        writer.add_tensor(f"{name}.weight.lora_{match['matrix'].lower()}", np.ascontiguousarray(weight.astype(np_dtype)))
        count += 1
    if count == 0:
        raise ExportError(f"{adapter_dir} holds no LoRA weights")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(out_path + ".partial", out_path)
    return {"path": out_path, "tensors": count, "architecture": base.architecture, "rank": adapter_config["r"],
            "alpha": adapter_config["lora_alpha"]}


def exported_path(adapter_dir: str, name: Optional[str] = None) -> str:
    return os.path.join(adapter_dir, name or "adapter.gguf")
