"""The backbone: a Hugging Face model directory or a GGUF file (dequantised by transformers, so one model file serves
training and llama.cpp inference), with one LoRA adapter shared by the three roles."""
from __future__ import annotations

import os
from typing import Optional, Tuple

import torch

from .config import LoraConfig


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


def add_lora(model, cfg: LoraConfig, adapter_dir: Optional[str] = None):
    """Wraps the model with a fresh LoRA adapter, or with a saved one (trainable) to continue from."""
    from peft import LoraConfig as PeftLoraConfig, PeftModel, get_peft_model

    if adapter_dir:
        return PeftModel.from_pretrained(model, adapter_dir, is_trainable=True)
    config = PeftLoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                            target_modules=list(cfg.target_modules), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def trainable_parameters(model) -> Tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def precision_dtype(precision: str, device: torch.device) -> torch.dtype:
    """Weights stay float32 on CPU (bf16 matmuls there are slow); on GPU the frozen base is loaded in bf16."""
    if device.type == "cpu" or precision == "no":
        return torch.float32
    return torch.bfloat16 if precision == "bf16" else torch.float16
