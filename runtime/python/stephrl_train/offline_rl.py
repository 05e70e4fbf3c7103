"""Stage 2, step-level offline RL on expert + collected transitions (STEP-HRL.md, "Training"): IQL critics per role
and an advantage-weighted actor, all on the one shared LoRA adapter.

Per optimizer step and active role (progress and low every step, high every k-th):
  loss_q     = (Q(s,a) - (r + gamma (1 - done) V_target(s')))^2
  loss_v     = expectile_tau(Q_target(s,a) - V(s))
  loss_actor = - mean(w * log pi(a|s)),  A = Q(s,a) - V(s) detached,
               w = exp(A / beta) clipped and normalised ('awr', default), w = A ('advantage', the released code)
               or w = 1[A > 0] ('binary', CRR's filter); per role by role_actor_weighting ('bc': w = 1)
The actor stays still for the first `critic_warmup_steps`; target heads follow by soft updates every step.
With `critic_fit_epochs`, the critics first fit every transition's cached features for that many epochs, so the
actor's first step already reads advantages learned from the whole data, not from a few batches.
"""
from __future__ import annotations

import json
import os
from typing import Dict, List, Tuple

import torch

from stephrl_data.dataset import episode_origins, open_dataset

from . import checkpoint
from .critic import Critics, FeatureCache, features_fingerprint
from .losses import actor_loss, q_loss, soft_update, td_target, v_loss
from .session import STOP, finish, open_session


def critic_step(c, critic, target, features, reward: torch.Tensor, done: torch.Tensor, role: str):
    """IQL's critic losses on one role's batch (cached frozen features), backpropagated into the critic heads.
    Returns (loss, info, advantage = Q(s,a) - V(s), detached)."""
    f_s, f_u, f_n = features
    with torch.no_grad():
        v_target_next = target.v(f_n)
        q_target = target.q(f_u)
    q = critic.q(f_u)
    v = critic.v(f_s)
    loss_q = q_loss(q, td_target(reward, done, v_target_next, c.gamma))
    loss_v = v_loss(v, q_target, c.expectile_tau)
    loss = loss_q + loss_v
    loss.backward()  # the critics are plain modules: their gradients are averaged by hand across processes
    advantage = (q - v).detach()
    info = {f"loss_q_{role}": float(loss_q.detach()), f"loss_v_{role}": float(loss_v.detach()),
            f"q_mean_{role}": float(q.detach().mean()), f"v_mean_{role}": float(v.detach().mean()),
            f"advantage_mean_{role}": float(advantage.mean()),
            f"advantage_std_{role}": float(advantage.std()) if len(advantage) > 1 else 0.0}
    return float(loss.detach()), info, advantage


def actor_step(s, c, role: str, micro, advantage: torch.Tensor, last: bool):
    """The advantage-weighted actor on one role's batch: weights over this process's whole share, then each part's
    share of actor_loss = -mean(w * log pi(a|s)), backpropagated into the adapter. Returns (loss, info)."""
    _, weights = actor_loss(torch.zeros_like(advantage), advantage, c.weighting(role), c.awr_beta, c.awr_clip)
    mine = [i for b in micro for i in b.indices]
    loss = s.trained_step(role, mine, lambda ll, rows: -(weights[rows] * ll).sum() / len(mine), last=last, micro=micro)
    return loss, {f"loss_actor_{role}": loss, f"weight_mean_{role}": float(weights.mean()),
                  f"weight_max_{role}": float(weights.max())}


FEATURES_FILE = "critic-features.pt"
FIT_FILE = "critic-fit.json"


def fit_critics(s, c, critics: Critics, optimizer, cache: FeatureCache,
                origins: Dict[int, Tuple[str, bool]]) -> Dict[str, dict]:
    """The critics alone on every training transition before the actor moves: the frozen features once, then
    `critic_fit_epochs` epochs of the heads per role (and awr_beta from them, with `awr_beta_from_fit`). Returns (and
    writes to FIT_FILE) per role what the actor will read, by the source and outcome of the transitions' episodes too
    (`origins`: episode id -> expert, policy or human, and whether it was won)."""
    compute_features(s, c, cache)
    generator = torch.Generator().manual_seed(c.seed)
    features = {role: cache.all_of(role, len(s.examples[role])) for role in s.streams}
    infos = {role: fit_role(s, c, critics, optimizer, role, features[role], generator) for role in s.streams}
    if s.accelerator.num_processes > 1:  # every process fitted the same data; the main one's heads are the ones kept
        from accelerate.utils import broadcast
        for p in critics.parameters():
            p.data.copy_(broadcast(p.data.clone(), from_process=0))
    if c.awr_beta_from_fit:
        c.awr_beta = beta_from_fit(critics.online["low"], features["low"], c.awr_beta)
        s.events.note(f"awr_beta {c.awr_beta:g}: the fitted low-level advantages' standard deviation")
    report: Dict[str, dict] = {}
    for role in s.streams:
        examples = s.examples[role]
        origin = [origins.get(e.episode_id, ("unknown", False)) for e in examples]
        report[role] = advantage_report(c, critics.online[role], features[role], origin, infos[role], role)
        s.events.note(f"critics fitted ({role}, {len(examples)} transitions, {c.critic_fit_epochs} epochs): "
                      + ", ".join(f"{k} {v:.4g}" for k, v in report[role].items()))
    if s.accelerator.is_main_process:
        with open(os.path.join(s.out_dir, FIT_FILE), "w") as f:
            json.dump({**report, "awr_beta": c.awr_beta}, f, indent=2)
    return report


@torch.no_grad()
def beta_from_fit(critic, features, current: float) -> float:
    """The standard deviation of a fitted critic's advantages, to one significant figure and at most 1 (the current
    value where they do not vary)."""
    device = next(critic.parameters()).device
    f_s, f_u, _ = (f.to(device) for f in features)
    std = float((critic.q(f_u) - critic.v(f_s)).std())
    return min(1.0, float(f"{std:.1g}")) if std > 0 else current


def feature_share(count: int, rank: int, world: int) -> range:
    """One process's share of a role's transitions for the feature pass: a contiguous run, so that an episode's
    transitions (and the next states they reuse) stay mostly in one process."""
    return range(count * rank // world, count * (rank + 1) // world)


def compute_features(s, c, cache: FeatureCache) -> None:
    """Every role's frozen features in one pass, kept in FEATURES_FILE after each block (a resumed run reads them);
    a cancel between blocks ends the process as a stopped run. Under data parallelism each process computes its
    share and the shares are gathered, so no transition is computed twice."""
    path = os.path.join(s.out_dir, FEATURES_FILE)
    world, rank = s.accelerator.num_processes, s.accelerator.process_index
    for role in s.streams:
        examples = s.examples[role]
        share = feature_share(len(examples), rank, world)
        whole = f" (this process's share of {len(examples)})" if world > 1 else ""

        def kept(done: int, total: int, role: str = role, whole: str = whole) -> None:
            s.events.note(f"critic features ({role}): {done} of {total} transitions{whole}")
            if s.accelerator.is_main_process:
                cache.save(path)
            if STOP["requested"]:
                s.events.note("stopped while computing the critic features: the same command resumes from those kept")
                raise SystemExit(143)

        passes = cache.fill(s.unwrapped(), role, examples, 4 * c.micro_batch_size, s.tokenizer.pad_token_id, s.device,
                            after_block=kept, indices=share, share_prefix=s.share_prefix)
        if world > 1:
            from accelerate.utils import gather_object
            cache.store.update(gather_object(cache.entries(role, share)))
            if s.accelerator.is_main_process:
                cache.save(path)
        if passes:
            s.events.log(f"critic features of {len(share)} {role} transitions: {passes} forward passes")


def fit_role(s, c, critics: Critics, optimizer, role: str, features, generator) -> dict:
    """Shuffled epochs of IQL's critic losses on one role's cached features in batches of `critic_fit_batch`, each
    followed by the soft target update. Returns the last batch's loss terms."""
    examples = s.examples[role]
    reward = torch.tensor([e.reward for e in examples], dtype=torch.float32)
    done = torch.tensor([e.done for e in examples], dtype=torch.float32)
    online, target = critics.online[role], critics.target[role]
    info: dict = {}
    for _ in range(c.critic_fit_epochs):
        order = torch.randperm(len(examples), generator=generator)
        for k in range(0, len(examples), c.critic_fit_batch):
            rows = order[k:k + c.critic_fit_batch]
            part = tuple(f[rows].to(s.device) for f in features)
            _, info, _ = critic_step(c, online, target, part, reward[rows].to(s.device), done[rows].to(s.device), role)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            soft_update(target, online, c.target_update_rate)
    return info


def origin_groups(origin: List[Tuple[str, bool]]) -> Dict[str, List[bool]]:
    """Row masks of the report's groups: each source, and where a source has both won and lost episodes (the policy's
    rollouts), each outcome of it apart, so a critic that tells the rollouts that won from those that lost shows it."""
    groups = {source: [o[0] == source for o in origin] for source in sorted({o[0] for o in origin})}
    for source in list(groups):
        outcomes = {o[1] for o in origin if o[0] == source}
        if len(outcomes) == 2:
            for won, name in ((True, "won"), (False, "lost")):
                groups[f"{source}_{name}"] = [o == (source, won) for o in origin]
    return groups


@torch.no_grad()
def advantage_report(c, critic, features, origin: List[Tuple[str, bool]], last_info: dict, role: str) -> dict:
    """The fitted critic's advantages over the whole role and the actor weights they give (one batch of all), per
    source and outcome too: flat weights mean the actor step would be behaviour cloning of the mix; a critic that
    separates good from bad decisions weighs the expert's and the won rollouts' above the lost rollouts'."""
    f_s, f_u, _ = (f.to(next(critic.parameters()).device) for f in features)
    q, v = critic.q(f_u).cpu(), critic.v(f_s).cpu()
    advantage = q - v
    _, weights = actor_loss(torch.zeros_like(advantage), advantage, c.weighting(role), c.awr_beta, c.awr_clip)
    # Q far outside what the rewards allow (|Q| <= max |r| / (1 - gamma)) is a diverged critic, not a finding.
    report = {"loss_q": last_info[f"loss_q_{role}"], "loss_v": last_info[f"loss_v_{role}"],
              "q_mean": float(q.mean()), "q_max": float(q.max()), "v_mean": float(v.mean()),
              "advantage_mean": float(advantage.mean()), "advantage_std": float(advantage.std()),
              "weight_max": float(weights.max()), "weight_share_over_2": float((weights > 2).float().mean())}
    for group, mask in origin_groups(origin).items():
        rows = torch.tensor(mask)
        report[f"advantage_mean_{group}"] = float(advantage[rows].mean())
        report[f"weight_mean_{group}"] = float(weights[rows].mean())
    return report


def train_rl(cfg, db: str, model_path: str, out_dir: str, init_adapter=None, cpu: bool = False,
             stop_after=None, requested=None) -> str:
    s = open_session("rl", cfg, db, model_path, out_dir, init_adapter, cpu, requested)
    c = s.cfg
    base = s.model  # the peft model; its adapter is switched off to read the frozen backbone's features
    width = base.config.hidden_size
    critics = Critics(list(s.streams), width, c.critic_hidden).to(s.device)
    actor_opt = torch.optim.AdamW([p for p in s.model.parameters() if p.requires_grad], lr=c.actor_lr,
                                  weight_decay=c.weight_decay)
    critic_opt = torch.optim.AdamW(critics.online.parameters(), lr=c.critic_lr, weight_decay=c.weight_decay)
    if s.resumed_state:
        critics.load_state_dict(s.resumed_state["critics"])
    # The critics are small: each process keeps a full copy and their gradients are averaged by hand before the step.
    s.model, actor_opt = s.accelerator.prepare(s.model, actor_opt)
    if s.resumed_state:
        actor_opt.load_state_dict(s.resumed_state["actor_optimizer"])
        critic_opt.load_state_dict(s.resumed_state["critic_optimizer"])
    plain = critics
    cache = FeatureCache(features_fingerprint(s.examples, s.model_path))
    kept = os.path.join(s.out_dir, FEATURES_FILE)
    problem = cache.load(kept)
    if problem is None:
        s.events.note(f"critic features read from {kept}")
    elif os.path.exists(kept):
        s.events.note(f"critic features in {kept} not used ({problem}): computing them again")
    if c.critic_fit_epochs and s.start_step == 0:
        conn = open_dataset(db)
        try:
            origins = episode_origins(conn, (e.episode_id for role in s.examples.values() for e in role))
        finally:
            conn.close()
        fit_critics(s, c, plain, critic_opt, cache, origins)

    def state(step: int) -> dict:
        return {"kind": "rl", "step": step, "config": c.to_dict(), "set_id": s.set_id, "streams": s.stream_state(),
                "rng": checkpoint.rng_state(), "critics": plain.state_dict(),
                "actor_optimizer": actor_opt.state_dict(), "critic_optimizer": critic_opt.state_dict(),
                "metrics": s.logged_at(step)}

    def save_rl(step: int) -> str:
        path = checkpoint.save(s.out_dir, step, s.unwrapped(), state(step), c.keep_checkpoints)
        torch.save(plain.state_dict(), f"{path}/critics.pt")  # the inspector reads V, Q and advantages from it
        return path

    s.model.train()
    for step in range(s.start_step, s.total_steps):
        actor_on = step >= c.critic_warmup_steps
        values = {}
        roles = s.roles_at(step)
        for role in roles:
            micro = s.local_micro_batches(role)
            if s.share_prefix:  # the batch's missing features in one pass of prefix groups and length buckets
                cache.fill(s.unwrapped(), role, s.examples[role], c.micro_batch_size, s.tokenizer.pad_token_id,
                           s.device, indices=[i for b in micro for i in b.indices], share_prefix=True)
            # Critics: one loss over this process's whole share of the batch (small heads, cached features).
            feats = [cache.features(s.unwrapped(), role, b) for b in micro]
            features = tuple(torch.cat([f[j] for f in feats]) for j in range(3))
            _, info, advantage = critic_step(c, plain.online[role], plain.target[role], features,
                                             torch.cat([b.reward for b in micro]), torch.cat([b.done for b in micro]), role)
            values.update(info)
            if actor_on:
                values.update(actor_step(s, c, role, micro, advantage, last=role == roles[-1])[1])
        if s.accelerator.num_processes > 1:
            for p in plain.online.parameters():
                if p.grad is not None:
                    p.grad = s.accelerator.reduce(p.grad, reduction="mean")
        critic_opt.step()
        critic_opt.zero_grad(set_to_none=True)
        values = s.mean_across_processes(values)
        if actor_on:
            values.update(s.clip_gradients())
            actor_opt.step()
            actor_opt.zero_grad(set_to_none=True)
        soft_update(plain.target, plain.online, c.target_update_rate)
        done_steps = step + 1
        values["actor_active"] = 1.0 if actor_on else 0.0
        if done_steps % c.log_every == 0 or done_steps == s.total_steps:
            s.log_metrics(done_steps, {**values, "lr": actor_opt.param_groups[0]["lr"], **s.system_metrics()})
        if done_steps % c.checkpoint_every == 0 and done_steps < s.total_steps:
            s.accelerator.wait_for_everyone()
            if s.accelerator.is_main_process:
                path = save_rl(done_steps)
                s.events.emit("checkpoint", step=done_steps, path=path)
        if s.stop_now(done_steps, stop_after, save_rl):
            return ""
    final = finish(s, "rl", state)
    if s.accelerator.is_main_process:
        torch.save(plain.state_dict(), f"{final}/critics.pt")
    return final
