"""The backbone families the trainer adapts and exports, and what it must know of each.

A family is named by the GGUF architecture llama.cpp runs it as (a GGUF file's `general.architecture`). For every
family in QK_PERMUTED, llama.cpp's converter (convert_hf_to_gguf.py and its conversion/ package, at the llama.cpp
version node-llama-cpp bundles) writes each linear layer of a decoder block as one GGUF tensor, named by the `gguf`
package's tensor-name tables, and changes its weight at most by permuting its rows. A LoRA delta B @ A therefore
converts by the same names, with the same row permutation applied to B:

  llama          Llama and Mistral (MistralForCausalLM is converted as llama): q and k rows permuted into llama.cpp's
                 rotary layout (LlamaModel.undo_permute)
  gemma, gemma2, gemma3 (Gemma3ForCausalLM, and the text model of Gemma3ForConditionalGeneration): unchanged (the
                 +1 the converter adds is on norm weights, which LoRA does not adapt)
  qwen2, qwen3   unchanged
  phi3           unchanged; qkv_proj and gate_up_proj stay fused (attn_qkv, ffn_up)

Another family joins by reading its converter class, adding it here and to the parity test
(test/runtime/architectures.test.ts), which checks llama.cpp + exported adapter against PyTorch + adapter.
"""
from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import Any, Dict, Optional

# GGUF architecture -> whether llama.cpp's converter permutes the rows of q and k.
QK_PERMUTED = {"llama": True, "gemma": False, "gemma2": False, "gemma3": False, "qwen2": False, "qwen3": False, "phi3": False}
# Hugging Face model_type (config.json) -> the GGUF architecture llama.cpp's converter writes for it.
GGUF_ARCHITECTURE_OF_MODEL_TYPE = {
    "llama": "llama", "mistral": "llama", "gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3",
    "gemma3_text": "gemma3", "qwen2": "qwen2", "qwen3": "qwen3", "phi3": "phi3",
}
# Fused linear layers -> the separate layers (Llama's names) each one computes at once.
FUSED_LAYERS = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}


SUPPORTED = "llama (Llama, Mistral), gemma, gemma2, gemma3, qwen2, qwen3, phi3"  # for error messages


def is_gguf_file(path: str) -> bool:
    """A file that opens with GGUF's magic."""
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return f.read(4) == b"GGUF"


@dataclass(frozen=True)
class BaseModel:
    architecture: str  # the GGUF architecture; for a Hugging Face model llama.cpp's converter is not known for here, its model_type
    exportable: bool
    heads: int
    kv_heads: int
    blocks: int


def describe_base_model(path: str) -> BaseModel:
    """The architecture and attention shape of a base model given as a Hugging Face folder or a GGUF file."""
    if os.path.isdir(path):
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
        config = {**config, **config.get("text_config", {})}  # multimodal wrappers keep the decoder's shape there
        model_type = str(config.get("model_type"))
        architecture = GGUF_ARCHITECTURE_OF_MODEL_TYPE.get(model_type)
        heads = int(config.get("num_attention_heads", 0))
        return BaseModel(architecture=architecture or model_type, exportable=architecture is not None, heads=heads,
                         kv_heads=int(config.get("num_key_value_heads") or heads),
                         blocks=int(config.get("num_hidden_layers", 0)))
    metadata = gguf_metadata(path)
    architecture = str(metadata.get("general.architecture"))
    heads = int(metadata.get(f"{architecture}.attention.head_count", 0))
    return BaseModel(architecture=architecture, exportable=architecture in QK_PERMUTED, heads=heads,
                     kv_heads=int(metadata.get(f"{architecture}.attention.head_count_kv", heads)),
                     blocks=int(metadata.get(f"{architecture}.block_count", 0)))


def transformers_reads_gguf(architecture: str) -> bool:
    """Whether transformers can load (dequantise) a GGUF file of this architecture."""
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    # transformers renames a few GGUF architectures before its own check (qwen2moe -> qwen2_moe, gpt-oss -> gpt_oss)
    return any(name in GGUF_SUPPORTED_ARCHITECTURES
               for name in (architecture, architecture.replace("moe", "_moe"), architecture.replace("-", "_")))


# GGUF value type -> struct format of its scalar (8: string, 9: array).
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def gguf_metadata(path: str) -> Dict[str, Any]:
    """The scalar and string metadata of a GGUF file (arrays skipped). gguf.GGUFReader parses every array element
    (the whole vocabulary) and takes seconds on a real model; this reads only the header."""
    with open(path, "rb") as f:
        def unpack(fmt: str) -> Any:
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        def string() -> str:
            return f.read(unpack("<Q")).decode("utf-8", errors="replace")

        def value(kind: int) -> Optional[Any]:
            if kind == 8:
                return string()
            if kind == 9:
                element, count = unpack("<I"), unpack("<Q")
                if element in _SCALARS:
                    f.seek(count * struct.calcsize(_SCALARS[element]), os.SEEK_CUR)
                else:
                    for _ in range(count):
                        value(element)
                return None
            if kind not in _SCALARS:
                raise ValueError(f"{path}: unknown GGUF value type {kind}")
            return unpack(_SCALARS[kind])

        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        unpack("<I")  # version
        unpack("<Q")  # tensor count
        metadata: Dict[str, Any] = {}
        for _ in range(unpack("<Q")):
            key = string()
            found = value(unpack("<I"))
            if found is not None:
                metadata[key] = found
        return metadata
