"""Greedy next tokens of the PyTorch model (base + adapter) at every position of given token sequences: the
reference side of the export parity check (the llama.cpp side runs in the runtime)."""
from __future__ import annotations

import json
from typing import List, Optional

import torch

from .backbone import load_backbone


@torch.no_grad()
def greedy_next_tokens(model_path: str, adapter_dir: Optional[str], texts: List[str]) -> dict:
    model, tokenizer = load_backbone(model_path, torch.float32)
    if adapter_dir:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, adapter_dir)
    model.eval()
    out = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        logits = model(input_ids=torch.tensor([ids])).logits[0]
        out.append({"tokens": ids, "greedy": logits.argmax(-1).tolist()})
    return {"sequences": out}


def main(args) -> None:
    with open(args.texts) as f:
        texts = json.load(f)
    print(json.dumps(greedy_next_tokens(args.model, args.adapter, texts)))
