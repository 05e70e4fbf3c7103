"""A role's whole step batch with its shared opening tokens through the model once, and each sample's rest in length
buckets (samples of like length together, so almost nothing is padding).

The opening tokens (the role prefix, the same in every sample of a role) are computed once per step, not once per
micro batch: their keys and values are cut from the graph as leaf tensors, every bucket's backward adds its share of
their gradient there, and one last backward carries the sum through the prefix pass. The adapter's gradients are
those of the padded reference pass (tested), for the cost of each real token once.

One process only: data-parallel runs synchronise gradients per backward, which this accumulation does not fit, so
they keep the micro-batch path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import torch

from .data import MIN_SHARED_TOKENS, Example, PrefixLayout, layout_after, shared_prefix_length
from .losses import token_log_likelihood

# A bucket takes the next (longer) sample while padding stays within this share of its real tokens.
PADDING_TOLERANCE = 0.1


@dataclass
class Bucket:
    rows: List[int]  # positions of its samples in the step's list
    layout: PrefixLayout  # its prefix_ids go unused: the step's one prefix pass carries the shared tokens
    keep: int  # columns that need logits: the longest target, plus one


def plan_buckets(examples: Sequence[Example], pad_id: int, max_rows: int,
                 tolerance: float = PADDING_TOLERANCE) -> Tuple[List[int], List[Bucket]]:
    """(shared opening tokens, buckets): samples sorted by the length of their rest, cut greedily into buckets of at
    most `max_rows` whose padding stays within `tolerance` of their real tokens."""
    states = [e.state_ids for e in examples]
    shared = shared_prefix_length(states) if len(examples) > 1 else max(0, len(states[0]) - 1)
    if shared < MIN_SHARED_TOKENS:
        shared = 0
    length = [len(e.state_ids) - shared + len(e.target_ids) for e in examples]
    order = sorted(range(len(examples)), key=lambda i: length[i])
    groups: List[List[int]] = []
    for i in order:
        group = groups[-1] if groups else None
        if group is not None and len(group) < max_rows:
            real = sum(length[j] for j in group) + length[i]
            if (len(group) + 1) * length[i] <= real * (1 + tolerance):
                group.append(i)
                continue
        groups.append([i])
    buckets = [Bucket(rows=g, layout=layout_after([examples[i] for i in g], shared, pad_id),
                      keep=max(len(examples[i].target_ids) for i in g) + 1) for g in groups]
    return list(states[0][:shared]), buckets


def prefix_keys_values(model, shared_ids: List[int], device) -> Optional[list]:
    """Per layer (keys, values) of the shared tokens, attached to the graph; None without shared tokens."""
    if not shared_ids:
        return None
    ids = torch.tensor([shared_ids], device=device)
    head = model(input_ids=ids, position_ids=torch.arange(len(shared_ids), device=device)[None], use_cache=True,
                 logits_to_keep=1)
    return [(layer.keys, layer.values) for layer in head.past_key_values.layers]


def rest_log_likelihood(model, bucket: Bucket, prefix_kv: Optional[list], device) -> torch.Tensor:
    """Per-sample mean log-likelihood of a bucket's targets, reading the shared tokens from `prefix_kv`."""
    from transformers import DynamicCache

    layout = bucket.layout.to(device)
    rows = layout.input_ids.shape[0]
    if prefix_kv is None:
        out = model(input_ids=layout.input_ids, attention_mask=layout.attention_mask,
                    position_ids=layout.position_ids, logits_to_keep=bucket.keep)
    else:
        cache = DynamicCache(ddp_cache_data=[(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1))
                                             for k, v in prefix_kv])
        out = model(input_ids=layout.input_ids, attention_mask=layout.attention_mask,
                    position_ids=layout.position_ids, past_key_values=cache, use_cache=True,
                    logits_to_keep=bucket.keep)
    return token_log_likelihood(out.logits, layout.labels[:, -bucket.keep:])


@dataclass
class StepCost:
    real_tokens: int  # the samples' state and target tokens
    processed_tokens: int  # what went through the model: the shared tokens once, each bucket's padded rest


def prefix_step(model, examples: Sequence[Example], pad_id: int, max_rows: int, device,
                backward: Optional[Callable[[torch.Tensor], None]] = None,
                loss_of: Optional[Callable[[torch.Tensor, List[int]], torch.Tensor]] = None) -> Tuple[torch.Tensor, StepCost]:
    """Per-sample log-likelihoods (detached, in the order of `examples`) and the step's cost. With `loss_of`
    (log-likelihoods of some samples, their positions in `examples` -> their share of the step's loss) and
    `backward`, the gradient of the step's loss is accumulated into the model's trainable parameters."""
    if (loss_of is None) != (backward is None):
        raise ValueError("prefix_step trains with both loss_of and backward, or with neither")
    shared_ids, buckets = plan_buckets(examples, pad_id, max_rows)
    training = loss_of is not None
    prefix_kv = prefix_keys_values(model, shared_ids, device)
    leaves = None
    if prefix_kv is not None and training:
        leaves = [(k.detach().requires_grad_(), v.detach().requires_grad_()) for k, v in prefix_kv]
    ll = torch.empty(len(examples))
    processed = len(shared_ids)
    for bucket in buckets:
        values = rest_log_likelihood(model, bucket, leaves if leaves is not None else prefix_kv, device)
        if loss_of is not None and backward is not None:
            backward(loss_of(values, bucket.rows))
        ll[bucket.rows] = values.detach().float().cpu()
        processed += bucket.layout.input_ids.numel()
    if leaves is not None:
        assert prefix_kv is not None  # leaves are made from it
        outputs, grads = [], []
        for (k, v), (k_leaf, v_leaf) in zip(prefix_kv, leaves, strict=True):
            for tensor, leaf in ((k, k_leaf), (v, v_leaf)):
                if leaf.grad is not None:
                    outputs.append(tensor)
                    grads.append(leaf.grad)
        if outputs:
            torch.autograd.backward(outputs, grads)
    real = sum(len(e.state_ids) + len(e.target_ids) for e in examples)
    return ll, StepCost(real_tokens=real, processed_tokens=processed)
