"""Training data: the store's transitions, tokenized the way llama.cpp sees them at inference, and a deterministic
per-role order that a checkpoint can resume exactly.

A prompt is tokenized alone (with BOS where the model wants one) and the target after it (then EOS), so the tokens
the trainer learns to emit are the ones the runtime samples after the same prompt.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import torch

from stephrl_data.dataset import ROLES, open_dataset, transitions

IGNORE = -100


@dataclass
class Example:
    role: str
    state_ids: List[int]
    target_ids: List[int]  # ends with EOS
    next_state_ids: List[int]
    reward: float
    done: bool
    episode_id: int = -1


def split_validation(examples: Dict[str, List[Example]], fraction: float, seed: int):
    """(training, validation): whole episodes held apart, a seeded choice of ceil(fraction x episodes) of them (at
    least one, and never all), so no step of a validation episode is trained on."""
    if fraction <= 0:
        return examples, {role: [] for role in examples}
    episodes = sorted({e.episode_id for role in examples.values() for e in role})
    if len(episodes) < 2:
        raise ValueError(f"validation_fraction {fraction} needs at least 2 episodes in the set, it has {len(episodes)}")
    count = min(len(episodes) - 1, max(1, math.ceil(fraction * len(episodes))))
    order = torch.randperm(len(episodes), generator=torch.Generator().manual_seed(seed * 7919 + 17)).tolist()
    held = {episodes[i] for i in order[:count]}
    training = {role: [e for e in values if e.episode_id not in held] for role, values in examples.items()}
    validation = {role: [e for e in values if e.episode_id in held] for role, values in examples.items()}
    return training, validation


@dataclass
class PrefixLayout:
    """A micro batch whose samples open with the same tokens (the role prefix and often more): those tokens once,
    then each sample's rest, left-padded after them. Computing the shared tokens once per micro batch gives the same
    log-likelihoods and gradients as computing them per sample, for a fraction of the work."""
    prefix_ids: torch.Tensor  # [1, P] the shared tokens
    input_ids: torch.Tensor  # [B, S] the rest of each state, then its target; left-padded
    attention_mask: torch.Tensor  # [B, P + S] ones over the prefix and each row's real tokens
    position_ids: torch.Tensor  # [B, S] continuing from P
    labels: torch.Tensor  # [B, S]

    def to(self, device) -> "PrefixLayout":
        return PrefixLayout(**{k: v.to(device) for k, v in self.__dict__.items()})


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, T] state + target, left-padded
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    labels: torch.Tensor  # IGNORE on the state and on padding
    state_last: torch.Tensor  # [B] index of the state's last token (V(s) is read there)
    utterance_last: torch.Tensor  # [B] index of the target's last token (Q(s,a) is read there)
    next_input_ids: torch.Tensor  # [B, T'] next state alone
    next_attention_mask: torch.Tensor
    next_position_ids: torch.Tensor
    next_last: torch.Tensor
    reward: torch.Tensor
    done: torch.Tensor
    target_span: int  # the longest target (with EOS): only the last target_span + 1 columns need logits
    indices: List[int]  # positions in the role's example list (feature cache keys)
    prefix: Optional[PrefixLayout] = None  # the same samples with their shared opening tokens once (training only)

    @property
    def real_tokens(self) -> int:
        """State + target tokens of the batch, padding excluded."""
        return int(self.attention_mask.sum())

    def to(self, device) -> "Batch":
        moved: Dict[str, Any] = {k: (v.to(device) if isinstance(v, (torch.Tensor, PrefixLayout)) else v) for k, v in self.__dict__.items()}
        return Batch(**moved)


def latest_set_id(db_path: str) -> int:
    conn = open_dataset(db_path)
    try:
        row = conn.execute("SELECT id FROM transition_sets ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None:
        raise ValueError(f"{db_path} has no transition set: derive one first (`stephrl dataset transitions`)")
    return int(row[0])


def load_examples(db_path: str, set_id: int, tokenizer, max_length: int, log=print) -> Dict[str, List[Example]]:
    conn = open_dataset(db_path)
    try:
        if conn.execute("SELECT 1 FROM transition_sets WHERE id = ?", (set_id,)).fetchone() is None:
            raise ValueError(f"{db_path} has no transition set {set_id}")
        rows = list(transitions(conn, set_id))
    finally:
        conn.close()
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the model's tokenizer has no end-of-sequence token: targets could never end")
    cache: Dict[str, List[int]] = {}

    def encode_prompt(text: str) -> List[int]:
        ids = cache.get(text)
        if ids is None:
            ids = cache[text] = tokenizer(text, add_special_tokens=True)["input_ids"]
        return ids

    examples: Dict[str, List[Example]] = {role: [] for role in ROLES}
    dropped = {role: 0 for role in ROLES}
    for t in rows:
        state = encode_prompt(t.state)
        target = tokenizer(t.target, add_special_tokens=False)["input_ids"] + [eos]
        if len(state) + len(target) > max_length:
            dropped[t.role] += 1
            continue
        examples[t.role].append(Example(t.role, state, target, encode_prompt(t.next_state), t.reward, t.done, t.episode_id))
    for role in ROLES:
        if dropped[role]:
            log(f"{dropped[role]} {role} transitions are longer than {max_length} tokens and were left out")
    if not examples["low"]:
        raise ValueError(f"transition set {set_id} has no usable low-level transitions")
    return examples


def left_pad(seqs: Sequence[List[int]], pad_id: int):
    """Left padding: every row ends at the last column, so the targets of a batch all sit in its last columns and
    only those columns need logits. Positions count real tokens only, so a row means what it means unpadded."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s):] = torch.tensor(s)
        mask[i, width - len(s):] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return ids, mask, positions


# Below this many shared tokens a separate prefix pass costs more than it saves.
MIN_SHARED_TOKENS = 16


def shared_prefix_length(states: Sequence[List[int]]) -> int:
    """The number of opening tokens every state shares, leaving each state at least its last token (the first target
    token is predicted there, inside the per-sample pass)."""
    first = states[0]
    limit = min(len(s) for s in states) - 1
    n = 0
    while n < limit and all(s[n] == first[n] for s in states):
        n += 1
    return n


def prefix_layout(examples: Sequence[Example], pad_id: int) -> Optional[PrefixLayout]:
    """The shared-prefix layout of a micro batch, or None when its samples share too little."""
    shared = shared_prefix_length([e.state_ids for e in examples])
    if shared < MIN_SHARED_TOKENS:
        return None
    return layout_after(examples, shared, pad_id)


def layout_after(examples: Sequence[Example], shared: int, pad_id: int) -> PrefixLayout:
    """Samples that all open with the same `shared` tokens: those once, then the rest of each state and its target,
    left-padded."""
    rests = [e.state_ids[shared:] + e.target_ids for e in examples]
    input_ids, mask, positions = left_pad(rests, pad_id)
    width = input_ids.shape[1]
    labels = torch.full_like(input_ids, IGNORE)
    for i, e in enumerate(examples):
        labels[i, width - len(e.target_ids):] = torch.tensor(e.target_ids)
    return PrefixLayout(
        prefix_ids=torch.tensor([examples[0].state_ids[:shared]]),
        input_ids=input_ids,
        attention_mask=torch.cat([torch.ones((len(examples), shared), dtype=torch.long), mask], dim=1),
        position_ids=positions + shared,
        labels=labels,
    )


def collate(examples: Sequence[Example], indices: Sequence[int], pad_id: int, share_prefix: bool = False) -> Batch:
    seqs = [e.state_ids + e.target_ids for e in examples]
    input_ids, attention, positions = left_pad(seqs, pad_id)
    width = input_ids.shape[1]
    labels = torch.full_like(input_ids, IGNORE)
    for i, e in enumerate(examples):
        labels[i, width - len(e.target_ids):] = torch.tensor(e.target_ids)
    next_ids, next_attention, next_positions = left_pad([e.next_state_ids for e in examples], pad_id)
    return Batch(
        input_ids=input_ids,
        attention_mask=attention,
        position_ids=positions,
        labels=labels,
        state_last=torch.tensor([width - 1 - len(e.target_ids) for e in examples]),
        utterance_last=torch.full((len(examples),), width - 1),
        next_input_ids=next_ids,
        next_attention_mask=next_attention,
        next_position_ids=next_positions,
        next_last=torch.full((len(examples),), next_ids.shape[1] - 1),
        reward=torch.tensor([e.reward for e in examples], dtype=torch.float32),
        done=torch.tensor([e.done for e in examples], dtype=torch.float32),
        target_span=max(len(e.target_ids) for e in examples),
        indices=list(indices),
        prefix=prefix_layout(examples, pad_id) if share_prefix and len(examples) > 1 else None,
    )


class RoleStream:
    """An endless, seeded, epoch-by-epoch shuffled order over one role's examples. Its position (epoch, cursor) is
    saved in checkpoints, so a resumed run sees exactly the batches an uninterrupted one would."""

    def __init__(self, size: int, seed: int, salt: int, epoch: int = 0, cursor: int = 0):
        if size <= 0:
            raise ValueError("a role stream needs at least one example")
        self.size, self.seed, self.salt = size, seed, salt
        self.epoch, self.cursor = epoch, cursor
        self._order = self._permutation(epoch)

    def _permutation(self, epoch: int) -> List[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.salt * 10_007 + epoch)
        return torch.randperm(self.size, generator=generator).tolist()

    def take(self, count: int) -> List[int]:
        out: List[int] = []
        while len(out) < count:
            if self.cursor >= self.size:
                self.epoch += 1
                self.cursor = 0
                self._order = self._permutation(self.epoch)
            n = min(count - len(out), self.size - self.cursor)
            out.extend(self._order[self.cursor: self.cursor + n])
            self.cursor += n
        return out

    def state(self) -> Dict[str, int]:
        return {"epoch": self.epoch, "cursor": self.cursor}


def make_streams(examples: Dict[str, List[Example]], seed: int, position: Optional[Dict[str, Dict[str, int]]] = None):
    streams = {}
    for salt, role in enumerate(ROLES):
        if not examples[role]:
            continue
        p = (position or {}).get(role, {"epoch": 0, "cursor": 0})
        streams[role] = RoleStream(len(examples[role]), seed, salt, p["epoch"], p["cursor"])
    return streams


def shard(indices: List[int], rank: int, world: int) -> List[int]:
    """This process's share of a global batch (every process draws the same global order)."""
    return indices[rank::world]


def eprint(*args) -> None:
    print(*args, file=sys.stderr, flush=True)
