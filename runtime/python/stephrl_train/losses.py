"""The loss terms of STEP-HRL.md ("Training"), named as there; pure functions of tensors so tests can check them
against hand-computed values."""
from __future__ import annotations

import torch


def token_log_likelihood(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample mean log-likelihood of the labelled tokens. logits [B, T, V] predict labels [B, T] shifted by one;
    label -100 marks tokens that are not targets (the state, padding)."""
    shifted_logits = logits[:, :-1, :].float()
    shifted_labels = labels[:, 1:]
    mask = shifted_labels != -100
    log_probs = torch.log_softmax(shifted_logits, dim=-1)
    picked = log_probs.gather(-1, shifted_labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    counts = mask.sum(dim=1).clamp(min=1)
    return (picked * mask).sum(dim=1) / counts


def greedy_writes_target(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per sample, whether greedy decoding writes the labelled tokens exactly: each is the model's most likely token
    after those before it (teacher-forced argmax; a tie goes to the lower token id). A mean log-likelihood hides the
    one token where a target is decided (" Seen" or " ||" after "Looking for a book."); this does not."""
    shifted_labels = labels[:, 1:]
    hit = logits[:, :-1, :].argmax(dim=-1) == shifted_labels
    return (hit | (shifted_labels == -100)).all(dim=1)


def bc_loss(log_likelihood: torch.Tensor) -> torch.Tensor:
    """Behaviour cloning: the negative mean per-token log-likelihood of the targets."""
    return -log_likelihood.mean()


def td_target(reward: torch.Tensor, done: torch.Tensor, v_target_next: torch.Tensor, gamma: float) -> torch.Tensor:
    """r + gamma (1 - done) V_target(s'): no bootstrap past the end of a subtask / episode."""
    return reward + gamma * (1.0 - done.float()) * v_target_next


def q_loss(q: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(Q(s,a) - (r + gamma (1 - done) V_target(s')))^2, averaged."""
    return ((q - target.detach()) ** 2).mean()


def expectile_loss(diff: torch.Tensor, tau: float) -> torch.Tensor:
    """|tau - 1(diff < 0)| diff^2 with diff = Q_target(s,a) - V(s): an upper expectile of Q for tau > 0.5 (IQL)."""
    weight = torch.where(diff < 0, 1.0 - tau, tau)
    return (weight * diff ** 2).mean()


def v_loss(v: torch.Tensor, q_target: torch.Tensor, tau: float) -> torch.Tensor:
    return expectile_loss(q_target.detach() - v, tau)


def awr_weights(advantage: torch.Tensor, beta: float, clip: float) -> torch.Tensor:
    """exp(A / beta), clipped at `clip`, normalised to mean 1 over the batch (the paper's actor weights)."""
    weights = torch.exp(advantage.detach() / beta).clamp(max=clip)
    return weights / weights.mean().clamp(min=1e-8)


def actor_loss(log_likelihood: torch.Tensor, advantage: torch.Tensor, weighting: str, beta: float, clip: float):
    """- mean(w * log pi(a|s)). weighting 'awr': w = exp(A/beta) clipped and normalised; 'advantage': w = A (the
    released code); 'binary': w = 1[A > 0] (CRR's binary filter: clone only the actions the critic rates above the
    state's value, with no weight on the rest however many there are); 'bc': w = 1 (behaviour cloning, the critic
    unread). Returns (loss, weights)."""
    if weighting == "awr":
        weights = awr_weights(advantage, beta, clip)
    elif weighting == "advantage":
        weights = advantage.detach()
    elif weighting == "binary":
        weights = (advantage.detach() > 0).to(log_likelihood.dtype)
    elif weighting == "bc":
        weights = torch.ones_like(advantage.detach(), dtype=log_likelihood.dtype)
    else:
        raise ValueError(f"unknown actor weighting {weighting!r}")
    return -(weights * log_likelihood).mean(), weights


@torch.no_grad()
def soft_update(target: torch.nn.Module, online: torch.nn.Module, rate: float) -> None:
    """target <- (1 - rate) target + rate online."""
    for t, o in zip(target.parameters(), online.parameters(), strict=True):
        t.mul_(1.0 - rate).add_(o, alpha=rate)
