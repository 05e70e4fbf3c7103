"""The backbone: a Hugging Face model directory or a GGUF file (dequantised by transformers, so one model file serves
training and llama.cpp inference), with one LoRA adapter shared by the three roles.

LoRA's target modules are resolved against the model's decoder blocks (lora_target_modules), so that one setting
serves every family: Llama's names (q_proj, ..., gate_proj, up_proj, down_proj) also select Phi-3's fused qkv_proj and
gate_up_proj, and "all-linear" selects every linear layer of the blocks (never the output head, nor a vision tower).
"""
from __future__ import annotations

import os
from typing import List, Optional, Sequence, Tuple

import torch

from .architectures import FUSED_LAYERS, gguf_metadata, transformers_reads_gguf
from .config import ALL_LINEAR, LoraConfig


class BackboneError(RuntimeError):
    pass


def load_backbone(path: str, dtype: torch.dtype = torch.float32):
    """Returns (model, tokenizer). Errors name the file and the reason."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not os.path.exists(path):
        raise BackboneError(f"model {path} does not exist")
    if os.path.isdir(path):
        directory, kwargs = path, {}
    else:
        if not path.endswith(".gguf"):
            raise BackboneError(f"model {path} is neither a Hugging Face model directory nor a .gguf file")
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise BackboneError(f"model {path} is not a GGUF file (its first bytes are not 'GGUF')")
        metadata = gguf_metadata(path)
        architecture = str(metadata.get("general.architecture"))
        if not transformers_reads_gguf(architecture):
            raise BackboneError(f"model {path}: transformers cannot read {architecture!r} models from a GGUF file, so "
                                "they cannot be trained from one; give the model as a Hugging Face folder instead")
        if f"{architecture}.attention.key_length" in metadata:
            read_head_size(architecture)
        directory, kwargs = os.path.dirname(os.path.abspath(path)), {"gguf_file": os.path.basename(path)}
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=dtype, **kwargs)
    except Exception as error:  # transformers raises many types; the user needs the file and the reason
        raise BackboneError(f"could not load model {path}: {type(error).__name__}: {error}") from error
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.use_cache = False
    return model, tokenizer


def read_head_size(architecture: str) -> None:
    """Has transformers read a GGUF's head size (attention.key_length) where its table for the architecture takes
    none (Qwen2/3): it would otherwise assume its config's default (Qwen3: 128), and a model whose heads differ from
    that fails to load."""
    from transformers.integrations.ggml import GGUF_CONFIG_MAPPING

    mapping = GGUF_CONFIG_MAPPING.get(architecture)
    if mapping is not None and "head_dim" not in mapping.values():
        mapping["attention.key_length"] = "head_dim"


def add_lora(model, cfg: LoraConfig, adapter_dir: Optional[str] = None):
    """Wraps the model with a fresh LoRA adapter, or with a saved one (trainable) to continue from."""
    from peft import LoraConfig as PeftLoraConfig, PeftModel, get_peft_model

    if adapter_dir:
        return PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)
    config = PeftLoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                            target_modules=lora_target_modules(model, cfg.target_modules), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def decoder_blocks(model) -> torch.nn.ModuleList:
    """The model's decoder blocks (transformers' get_decoder().layers)."""
    layers = getattr(model.get_decoder(), "layers", None)
    if not isinstance(layers, torch.nn.ModuleList):
        raise BackboneError(f"cannot find the decoder blocks of this {model.config.model_type!r} model")
    return layers


def decoder_block_linears(model) -> List[str]:
    """Full names of the linear layers inside the model's decoder blocks."""
    linears = {id(m) for block in decoder_blocks(model) for m in block.modules() if isinstance(m, torch.nn.Linear)}
    return [name for name, m in model.named_modules() if id(m) in linears]


def compile_decoder_blocks(model) -> int:
    """torch.compile each decoder block in place (`compile_layers`): on a GPU, fused kernels and fewer launches per
    block; shapes marked dynamic, since batches differ in length. In place, parameter names stay as they were, so
    checkpoints and the exported adapter do not change. Returns how many blocks."""
    blocks = decoder_blocks(model.get_base_model() if hasattr(model, "get_base_model") else model)
    for block in blocks:
        block.compile(dynamic=True)
    return len(blocks)


def lora_target_modules(model, requested: Sequence[str]) -> List[str]:
    """Full names of the decoder-block linear layers that `requested` names. A name selects the layers it ends
    (peft's rule: "q_proj", "self_attn.q_proj"); a fused layer is selected by its own name or by all the separate
    layers it computes (Phi-3: q_proj, k_proj and v_proj select qkv_proj; naming only some of them is an error, since
    LoRA adapts a fused layer whole); "all-linear" selects them all. A name that selects nothing is an error."""
    candidates = decoder_block_linears(model)
    if ALL_LINEAR in requested:
        return candidates
    wanted = set(requested)
    chosen, used = [], set()
    for name in candidates:
        named = {w for w in wanted if name == w or name.endswith("." + w)}
        parts = set(FUSED_LAYERS.get(name.rsplit(".", 1)[-1], ()))
        if not named and parts & wanted:
            if not parts <= wanted:
                raise ValueError(f"this {model.config.model_type!r} model computes {', '.join(sorted(parts))} in one "
                                 f"layer, {name.rsplit('.', 1)[-1]}: LoRA target modules must name all of them or none")
            named = parts
        if named:
            chosen.append(name)
            used |= named
    if wanted - used:
        layers = sorted({name.rsplit(".", 1)[-1] for name in candidates})
        raise ValueError(f"LoRA target modules {', '.join(sorted(wanted - used))} match no linear layer in the decoder "
                         f"blocks of this {model.config.model_type!r} model (it has {', '.join(layers)}; or use "
                         f"{ALL_LINEAR!r})")
    return chosen


def attention_window(model) -> Optional[int]:
    """The sliding attention window of the model's decoder layers (Mistral, Gemma 2/3), None where they see it all."""
    while not hasattr(model, "config") and hasattr(model, "module"):  # data-parallel wrappers (DDP, FSDP) hold the model
        model = model.module
    window = getattr(model.config.get_text_config(), "sliding_window", None)
    return int(window) if window else None


def trainable_parameters(model) -> Tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def precision_dtype(precision: str, device: torch.device) -> torch.dtype:
    """Weights stay float32 on CPU (bf16 matmuls there are slow); on GPU the frozen base is loaded in bf16."""
    if device.type == "cpu" or precision == "no":
        return torch.float32
    return torch.bfloat16 if precision == "bf16" else torch.float16
