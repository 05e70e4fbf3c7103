"""A role's whole step batch with its shared opening tokens through the model once, and each sample's rest in length
buckets (samples of like length together, so almost nothing is padding).

The opening tokens (the role prefix, the same in every sample of a role and environment) are computed once per step,
not once per micro batch: their keys and values are cut from the graph as leaf tensors, every bucket's backward adds
its share of their gradient there, and one last backward carries the sum through the prefix pass. A batch that mixes
prompts of several openings (both environments, say) is cut into prefix groups, each with its own prefix pass. The
adapter's gradients are those of the padded reference pass (tested), for the cost of each real token once.

The critics' frozen features (`frozen_features`) and validation's scores (`prefix_scores`) go through the same groups
and buckets, without gradients.

One process only: data-parallel runs synchronise gradients per backward, which this accumulation does not fit, so
they keep the micro-batch path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import torch

from .data import MIN_SHARED_TOKENS, Example, PrefixLayout, layout_after, shared_prefix_length
from .losses import greedy_writes_target, token_log_likelihood

# A bucket takes the next (longer) sample while padding stays within this share of its real tokens.
PADDING_TOLERANCE = 0.1
# What one more prefix group costs, in tokens of work, beyond its own tokens (its extra passes).
GROUP_COST = MIN_SHARED_TOKENS


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


@dataclass
class PrefixGroup:
    shared_ids: List[int]  # the tokens its samples open with, computed once
    buckets: List[Bucket]  # rows are positions in the step's list


def common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n


def prefix_groups(states: Sequence[Sequence[int]]) -> List[List[int]]:
    """The samples cut into groups that each share their opening tokens, at the least work: states sorted (a group's
    shared opening is then the least common opening of neighbours), cut by dynamic programming over the tokens a cut
    computes (each group's shared tokens once, plus every sample's rest, plus GROUP_COST per group for its extra
    passes). A batch from one environment and role stays one group; both environments make two."""
    order = sorted(range(len(states)), key=lambda i: list(states[i]))
    # Each state keeps at least its last token out of the shared part (the first target token is predicted there).
    neighbours = [min(common_length(states[a], states[b]), len(states[a]) - 1, len(states[b]) - 1)
                  for a, b in zip(order, order[1:], strict=False)]
    best = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        shared, tokens = None, 0
        for start in range(end - 1, -1, -1):
            tokens += len(states[order[start]])
            if start < end - 1:
                shared = neighbours[start] if shared is None else min(shared, neighbours[start])
            once = shared if shared is not None and shared >= MIN_SHARED_TOKENS else 0
            cost = best[start] + tokens - once * (end - start - 1) + GROUP_COST
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups: List[List[int]] = []
    end = len(order)
    while end > 0:
        groups.append(sorted(order[cut[end]:end]))
        end = cut[end]
    return groups[::-1]


def plan_groups(examples: Sequence[Example], pad_id: int, max_rows: int) -> List[PrefixGroup]:
    """Prefix groups of the samples (prefix_groups), each with its length buckets (plan_buckets); bucket rows index
    `examples`."""
    planned = []
    for members in prefix_groups([e.state_ids for e in examples]):
        shared_ids, buckets = plan_buckets([examples[i] for i in members], pad_id, max_rows)
        for bucket in buckets:
            bucket.rows = [members[r] for r in bucket.rows]
        planned.append(PrefixGroup(shared_ids, buckets))
    return planned


def prefix_keys_values(model, shared_ids: List[int], device) -> Optional[list]:
    """Per layer (keys, values) of the shared tokens, attached to the graph; None without shared tokens."""
    if not shared_ids:
        return None
    ids = torch.tensor([shared_ids], device=device)
    head = model(input_ids=ids, position_ids=torch.arange(len(shared_ids), device=device)[None], use_cache=True,
                 logits_to_keep=1)
    return [(layer.keys, layer.values) for layer in head.past_key_values.layers]


def rest_pass(model, bucket: Bucket, prefix_kv: Optional[list], device, **kwargs):
    """The model's output on a bucket's rests, reading the shared tokens from `prefix_kv`."""
    from transformers import DynamicCache

    layout = bucket.layout.to(device)
    rows = layout.input_ids.shape[0]
    if prefix_kv is None:
        return model(input_ids=layout.input_ids, attention_mask=layout.attention_mask,
                     position_ids=layout.position_ids, **kwargs)
    cache = DynamicCache(ddp_cache_data=[(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in prefix_kv])
    return model(input_ids=layout.input_ids, attention_mask=layout.attention_mask, position_ids=layout.position_ids,
                 past_key_values=cache, use_cache=True, **kwargs)


def rest_log_likelihood(model, bucket: Bucket, prefix_kv: Optional[list], device) -> torch.Tensor:
    """Per-sample mean log-likelihood of a bucket's targets, reading the shared tokens from `prefix_kv`."""
    out = rest_pass(model, bucket, prefix_kv, device, logits_to_keep=bucket.keep)
    return token_log_likelihood(out.logits, bucket.layout.labels[:, -bucket.keep:].to(device))


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
    ll = torch.empty(len(examples))
    processed = 0
    for group in plan_groups(examples, pad_id, max_rows):
        processed += group_step(model, group, ll, device, backward, loss_of)
    real = sum(len(e.state_ids) + len(e.target_ids) for e in examples)
    return ll, StepCost(real_tokens=real, processed_tokens=processed)


def group_step(model, group: PrefixGroup, ll: torch.Tensor, device, backward, loss_of) -> int:
    """One prefix group of a step: its prefix pass, its buckets (log-likelihoods into `ll`, each bucket's loss
    backpropagated), then the prefix's gathered gradient through its pass. Returns the tokens it computed."""
    training = loss_of is not None
    prefix_kv = prefix_keys_values(model, group.shared_ids, device)
    leaves = None
    if prefix_kv is not None and training:
        leaves = [(k.detach().requires_grad_(), v.detach().requires_grad_()) for k, v in prefix_kv]
    processed = len(group.shared_ids)
    for bucket in group.buckets:
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
    return processed


@torch.no_grad()
def prefix_scores(model, examples: Sequence[Example], pad_id: int, max_rows: int,
                  device) -> Tuple[torch.Tensor, torch.Tensor]:
    """(log-likelihoods, greedy): per sample, the mean log-likelihood of its target and whether greedy decoding writes
    that target exactly, through the prefix groups and length buckets without gradients (validation)."""
    ll = torch.empty(len(examples))
    greedy = torch.zeros(len(examples), dtype=torch.bool)
    for group in plan_groups(examples, pad_id, max_rows):
        prefix_kv = prefix_keys_values(model, group.shared_ids, device)
        for bucket in group.buckets:
            logits = rest_pass(model, bucket, prefix_kv, device, logits_to_keep=bucket.keep).logits
            labels = bucket.layout.labels[:, -bucket.keep:].to(device)
            ll[bucket.rows] = token_log_likelihood(logits, labels).float().cpu()
            greedy[bucket.rows] = greedy_writes_target(logits, labels).cpu()
    return ll, greedy


@torch.no_grad()
def frozen_features(model, items: Sequence[Example], pad_id: int, max_rows: int,
                    device) -> Tuple[torch.Tensor, torch.Tensor, int]:
    """(at_state, at_end, passes): the last layer's hidden state (float32, on the CPU) at each item's last state token
    and at its last token (the target's, or the state's where it has none), through the prefix groups and length
    buckets: the critics' features of the padded reference pass (`critic.last_hidden`) for less work, in `passes`
    bucket passes. The caller switches the adapter off."""
    width = model.config.hidden_size
    at_state = torch.empty(len(items), width)
    at_end = torch.empty(len(items), width)
    passes = 0
    for group in plan_groups(items, pad_id, max_rows):
        prefix_kv = prefix_keys_values(model, group.shared_ids, device)
        for bucket in group.buckets:
            hidden = rest_pass(model, bucket, prefix_kv, device, output_hidden_states=True,
                               logits_to_keep=1).hidden_states[-1].float().cpu()
            columns = hidden.shape[1]
            for k, row in enumerate(bucket.rows):
                at_state[row] = hidden[k, columns - 1 - len(items[row].target_ids)]
                at_end[row] = hidden[k, columns - 1]
            passes += 1
    return at_state, at_end, passes
