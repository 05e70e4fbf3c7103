"""Per-role critics: V and Q heads (small MLPs) on the frozen backbone's last hidden state, V read at the state's
last token and Q at the utterance's last token, each with a target copy."""
from __future__ import annotations

import copy
import hashlib
import os
from contextlib import contextmanager
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from .data import Batch, Example, collate
from .prefix_step import frozen_features


def head(width: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))


class Critic(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.v_head = head(width, hidden)
        self.q_head = head(width, hidden)

    def v(self, features: torch.Tensor) -> torch.Tensor:
        return self.v_head(features).squeeze(-1)

    def q(self, features: torch.Tensor) -> torch.Tensor:
        return self.q_head(features).squeeze(-1)


class Critics(nn.Module):
    """One critic per role, plus frozen target copies updated by Polyak averaging."""

    def __init__(self, roles, width: int, hidden: int):
        super().__init__()
        self.online = nn.ModuleDict({role: Critic(width, hidden) for role in roles})
        self.target = copy.deepcopy(self.online)
        self.target.requires_grad_(False)


def gather_last(hidden: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), positions]


@contextmanager
def frozen_backbone(base_model):
    """The backbone without its adapter, in eval mode (no dropout, no random draws: features, and a resumed run, stay
    deterministic); the training mode comes back after."""
    was_training = base_model.training
    base_model.eval()
    try:
        with base_model.disable_adapter():
            yield
    finally:
        base_model.train(was_training)


def last_hidden(base_model, input_ids, attention_mask, position_ids) -> torch.Tensor:
    return base_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                      output_hidden_states=True, logits_to_keep=1).hidden_states[-1].float()


def features_fingerprint(examples: Mapping[str, Sequence[Example]], backbone: str) -> str:
    """What a role's cached features depend on: the frozen backbone and, in order, every transition's tokens (state,
    target, next state) and done flag (a done transition's next-state feature is zeros). Rewards are not in it: the
    same transitions rewarded otherwise reuse the features."""
    digest = hashlib.sha256((os.path.realpath(backbone) if os.path.exists(backbone) else backbone).encode())
    for role in sorted(examples):
        digest.update(f"{role}:{len(examples[role])}".encode())
        for e in examples[role]:
            digest.update(repr((e.state_ids, e.target_ids, e.next_state_ids, bool(e.done))).encode())
    return digest.hexdigest()


class FeatureCache:
    """The backbone is frozen for the critics (adapter off), so each transition's features never change: compute them
    once and keep them (float32, on CPU) for the later epochs. A saved cache carries the fingerprint of what it was
    computed from, and only a run with the same fingerprint reads it (the features are stored by position)."""

    def __init__(self, fingerprint: str = ""):
        self.fingerprint = fingerprint
        self.store: Dict[Tuple[str, int], Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    @torch.no_grad()
    def features(self, base_model, role: str, batch: Batch) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(state feature for V(s), utterance feature for Q(s,a), next-state feature for V(s')) of a batch."""
        missing = [i for i, idx in enumerate(batch.indices) if (role, idx) not in self.store]
        if missing:
            sel = torch.tensor(missing, device=batch.input_ids.device)
            with frozen_backbone(base_model):
                last = last_hidden(base_model, batch.input_ids[sel], batch.attention_mask[sel], batch.position_ids[sel])
                nxt = last_hidden(base_model, batch.next_input_ids[sel], batch.next_attention_mask[sel],
                                  batch.next_position_ids[sel])
            fs = gather_last(last, batch.state_last[sel]).cpu()
            fu = gather_last(last, batch.utterance_last[sel]).cpu()
            fn = gather_last(nxt, batch.next_last[sel]).cpu()
            for k, i in enumerate(missing):
                self.store[(role, batch.indices[i])] = (fs[k], fu[k], fn[k])
        rows = [self.store[(role, idx)] for idx in batch.indices]
        device = batch.input_ids.device
        return tuple(torch.stack([r[j] for r in rows]).to(device) for j in range(3))

    def fill(self, base_model, role: str, examples: Sequence[Example], size: int, pad_id: int, device,
             block: int = 512, after_block: Optional[Callable[[int, int], None]] = None,
             indices: Optional[Sequence[int]] = None, share_prefix: bool = False) -> int:
        """Features of every example of a role (or of `indices`, one process's share) not yet stored, block by block in
        derivation order (an episode's transitions are neighbours, so a next state is mostly in its own block);
        `after_block(stored, of those asked for)` runs after each (progress, saving, stopping). With `share_prefix`
        each block goes through prefix groups and length buckets (prefix_step.frozen_features) instead of padded
        chunks: the same features for less work. Returns the forward passes made (buckets, with `share_prefix`)."""
        asked = range(len(examples)) if indices is None else indices
        pending = [i for i in asked if (role, i) not in self.store]
        kept, passes = len(asked) - len(pending), 0
        fill_block = self.fill_block_shared if share_prefix else self.fill_block
        for b in range(0, len(pending), block):
            passes += fill_block(base_model, role, examples, pending[b:b + block], size, pad_id, device)
            if after_block:
                after_block(kept + min(b + block, len(pending)), len(asked))
        return passes

    def entries(self, role: str, indices: Sequence[int]) -> List[Tuple[Tuple[str, int], Tuple[torch.Tensor, ...]]]:
        """The stored features of `indices`, as (key, features) pairs another process can merge."""
        return [((role, i), self.store[(role, i)]) for i in indices]

    @torch.no_grad()
    def fill_block(self, base_model, role: str, examples: Sequence[Example], pending: List[int], size: int, pad_id: int,
                   device) -> int:
        """One block's features, in length-sorted chunks of `size` (little padding). A next state that is one of the
        block's states reuses that state's feature (a causal model reads a prefix the same way whatever follows), and
        a done transition's next state is never bootstrapped from, so most transitions cost one forward pass, not two."""
        pending = sorted(pending, key=lambda i: len(examples[i].state_ids) + len(examples[i].target_ids))
        passes = 0
        own: Dict[int, Tuple[torch.Tensor, torch.Tensor]] = {}
        by_state: Dict[Tuple[int, ...], torch.Tensor] = {}
        nxt: Dict[int, torch.Tensor] = {}
        with frozen_backbone(base_model):
            for k in range(0, len(pending), size):
                part = pending[k:k + size]
                batch = collate([examples[i] for i in part], part, pad_id).to(device)
                last = last_hidden(base_model, batch.input_ids, batch.attention_mask, batch.position_ids)
                fs, fu = gather_last(last, batch.state_last).cpu(), gather_last(last, batch.utterance_last).cpu()
                for j, i in enumerate(part):
                    own[i] = (fs[j], fu[j])
                    by_state[tuple(examples[i].state_ids)] = fs[j]
                passes += 1
            rest = []
            for i in pending:
                e = examples[i]
                if e.done:
                    nxt[i] = torch.zeros_like(own[i][0])
                elif tuple(e.next_state_ids) in by_state:
                    nxt[i] = by_state[tuple(e.next_state_ids)]
                else:
                    rest.append(i)
            rest.sort(key=lambda i: len(examples[i].next_state_ids))
            for k in range(0, len(rest), size):
                part = rest[k:k + size]
                batch = collate([examples[i] for i in part], part, pad_id).to(device)
                last = last_hidden(base_model, batch.next_input_ids, batch.next_attention_mask, batch.next_position_ids)
                fn = gather_last(last, batch.next_last).cpu()
                for j, i in enumerate(part):
                    nxt[i] = fn[j]
                passes += 1
        for i in pending:
            self.store[(role, i)] = (*own[i], nxt[i])
        return passes

    def known_state(self, role: str, examples: Sequence[Example], i: int) -> Optional[torch.Tensor]:
        """The stored state feature of transition i's next state where that state is the next transition's (derivation
        order makes it so within an episode), else None."""
        stored = self.store.get((role, i + 1))
        if stored is not None and examples[i + 1].state_ids == examples[i].next_state_ids:
            return stored[0]
        return None

    def fill_block_shared(self, base_model, role: str, examples: Sequence[Example], pending: List[int], size: int,
                          pad_id: int, device) -> int:
        """fill_block through prefix groups and length buckets: every pending state with its target, and in the same
        pass the next states that neither a pending state nor a stored next transition gives (a done transition's is
        zeros, never bootstrapped from)."""
        own_state = {tuple(examples[i].state_ids): k for k, i in enumerate(pending)}
        reused: Dict[int, torch.Tensor] = {}
        alone: List[int] = []
        for i in pending:
            e = examples[i]
            if e.done or tuple(e.next_state_ids) in own_state:
                continue
            known = self.known_state(role, examples, i)
            if known is not None:
                reused[i] = known
            else:
                alone.append(i)
        items = [examples[i] for i in pending] + [
            Example(role, examples[i].next_state_ids, [], [], 0.0, True) for i in alone]
        with frozen_backbone(base_model):
            at_state, at_end, passes = frozen_features(base_model, items, pad_id, size, device)
        next_of = {i: at_state[len(pending) + k] for k, i in enumerate(alone)}
        for k, i in enumerate(pending):
            e = examples[i]
            if e.done:
                following = torch.zeros_like(at_state[k])
            elif tuple(e.next_state_ids) in own_state:
                following = at_state[own_state[tuple(e.next_state_ids)]]
            else:
                following = reused[i] if i in reused else next_of[i]
            self.store[(role, i)] = (at_state[k], at_end[k], following)
        return passes

    def all_of(self, role: str, count: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The stacked (state, utterance, next-state) features of a role's examples 0..count-1 (all filled)."""
        rows = [self.store[(role, i)] for i in range(count)]
        return tuple(torch.stack([r[j] for r in rows]) for j in range(3))

    def save(self, path: str) -> None:
        """Whole or not at all: a resumed run reuses the features instead of another pass over the data."""
        torch.save({"fingerprint": self.fingerprint, "features": self.store}, path + ".partial")
        os.replace(path + ".partial", path)

    def load(self, path: str) -> Optional[str]:
        """Reads the features kept at `path`. Returns None when they were read, else why not (no file, or features of
        other transitions or another backbone, which are then computed again)."""
        if not os.path.exists(path):
            return "no file"
        kept = torch.load(path)
        if not isinstance(kept, dict) or kept.get("fingerprint") != self.fingerprint:
            return "computed from other transitions or another backbone"
        self.store.update(kept["features"])
        return None
