"""V(s), Q(s,a) and the advantage Q - V of given transitions under a trained critic checkpoint (critics.pt), for the
inspector. The critics read the frozen base model's last hidden state (adapter off), exactly as offline_rl trained
them: V at the state's last token, Q at the utterance's last token.

  python -m stephrl_train score --model M --critics critics.pt --transitions FILE.json [--cpu]

FILE.json: {"transitions": [{"role", "state", "target", "next_state", "reward", "done"}, ...]}. One `scores` event
with a {"v", "q", "advantage"} per transition, in order (null for a role the checkpoint has no critic for).
"""
from __future__ import annotations

import json
from typing import Dict, List

import torch

from .backbone import load_backbone
from .critic import Critics, gather_last
from .data import Example, collate

BATCH = 8


def load_critics(path: str) -> Critics:
    state = torch.load(path, map_location="cpu", weights_only=True)
    roles = sorted({key.split(".")[1] for key in state if key.startswith("online.")})
    if not roles:
        raise ValueError(f"{path} holds no critics (is it a critics.pt written by offline RL?)")
    first = state[f"online.{roles[0]}.v_head.0.weight"]
    critics = Critics(roles, width=first.shape[1], hidden=first.shape[0])
    critics.load_state_dict(state)
    return critics.eval()


@torch.no_grad()
def score(model, tokenizer, critics: Critics, transitions: List[Dict], device: torch.device) -> List[Dict]:
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id

    def prompt(text: str) -> List[int]:  # as data.load_examples: the prompt alone with BOS, the target + EOS
        return tokenizer(text, add_special_tokens=True)["input_ids"]

    results: List[Dict] = [{"v": None, "q": None, "advantage": None} for _ in transitions]
    by_role: Dict[str, List[int]] = {}
    for i, t in enumerate(transitions):
        if t["role"] in critics.online:
            by_role.setdefault(t["role"], []).append(i)
    for role, indices in by_role.items():
        critic = critics.online[role].to(device)
        for k in range(0, len(indices), BATCH):
            chunk = indices[k:k + BATCH]
            examples = [Example(role, prompt(transitions[i]["state"]),
                                tokenizer(transitions[i]["target"], add_special_tokens=False)["input_ids"] + [eos],
                                prompt(transitions[i]["next_state"]), float(transitions[i]["reward"]), bool(transitions[i]["done"]))
                        for i in chunk]
            batch = collate(examples, chunk, pad).to(device)
            hidden = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                           output_hidden_states=True, logits_to_keep=1).hidden_states[-1].float()
            v = critic.v(gather_last(hidden, batch.state_last))
            q = critic.q(gather_last(hidden, batch.utterance_last))
            for j, i in enumerate(chunk):
                results[i] = {"v": float(v[j]), "q": float(q[j]), "advantage": float(q[j] - v[j])}
    return results


def main(args, events) -> None:
    with open(args.transitions) as f:
        transitions = json.load(f)["transitions"]
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    critics = load_critics(args.critics)
    model, tokenizer = load_backbone(args.model)
    model.to(device).eval()
    events.emit("scores", scores=score(model, tokenizer, critics, transitions, device), roles=sorted(critics.online.keys()))
