"""What both algorithms share: the accelerator, the backbone with its adapter, the data, checkpoint resume, and the
step schedule (which roles train at a step, their batches split into micro batches for this process)."""
from __future__ import annotations

import json
import math
import os
import resource
import signal
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from accelerate.utils import DistributedType

from . import checkpoint
from .backbone import add_lora, attention_window, compile_decoder_blocks, load_backbone, precision_dtype, trainable_parameters
from .config import TrainConfig
from .data import (Batch, Example, PrefixLayout, RoleStream, collate, latest_set_id, load_examples, make_streams,
                   shard, split_validation)
from .events import Events
from .import_gguf import import_adapter, is_gguf_file, linear_shapes
from stephrl_data.dataset import open_dataset
from .losses import bc_loss, greedy_writes_target, token_log_likelihood
from .prefix_step import StepCost, prefix_scores, prefix_step


def active_roles(step: int, high_level_interval: int, available) -> List[str]:
    """The roles whose loss joins optimizer step `step` (0-based): progress and low level every step, the high level
    every k-th step (steps k-1, 2k-1, ...)."""
    roles = [r for r in ("low", "progress") if r in available]
    if "high" in available and (step + 1) % high_level_interval == 0:
        roles.append("high")
    return roles


@dataclass
class Session:
    cfg: TrainConfig
    accelerator: Any  # accelerate.Accelerator (its annotations are not checked here)
    model: Any  # the (prepared) peft model
    tokenizer: Any
    examples: Dict[str, List[Example]]  # what trains
    streams: Dict[str, RoleStream]
    events: Events
    out_dir: str
    set_id: int
    model_path: str = ""  # the base model the backbone was loaded from
    start_step: int = 0
    resumed_state: Optional[dict] = None
    total_steps: int = 0
    accumulation: int = 1
    tokens_seen: int = 0  # state + target tokens trained on
    processed_tokens: int = 0  # tokens through the model: padding and shared prefixes as computed
    samples_seen: int = 0  # samples through the trained forward and backward
    started: float = field(default_factory=time.time)
    validation: Dict[str, List[Example]] = field(default_factory=dict)  # whole episodes held apart
    best: Optional[dict] = None  # the best validation so far: step, val_loss, validations_since (checkpointed)
    logged: Optional[dict] = None  # the last metrics sent: step and values (a checkpoint of that step keeps them)

    @property
    def share_prefix(self) -> bool:
        # Checkpointing refuses a KV cache; a sliding attention window (Gemma 2/3, Mistral) shorter than a sample keeps
        # only the window's keys and values of the shared tokens, which the prefix path cannot read back.
        window = attention_window(self.model)
        return (self.cfg.share_prefix and not self.cfg.gradient_checkpointing
                and (window is None or window >= self.cfg.max_length))

    @property
    def prefix_steps(self) -> bool:
        """Whether a role's step runs as one prefix pass and length buckets (prefix_step.py): one process only."""
        return self.share_prefix and self.accelerator.distributed_type == DistributedType.NO

    def validation_due(self, done: int) -> bool:
        """Whether the validation loss is measured after optimizer step `done`."""
        if not any(self.validation.values()):
            return False
        every = self.cfg.eval_every
        return done == self.total_steps or (every > 0 and done % every == 0)

    @torch.no_grad()
    def validation_losses(self) -> Dict[str, float]:
        """The behaviour-cloning loss terms on the held-apart episodes (each role's mean per-sample NLL of its targets),
        their sum `val_loss`, the figure early stopping watches, and per role `val_exact_<role>`: the share of targets
        greedy decoding writes exactly, which is what an agent does with them. Every process scores the whole set."""
        was_training = self.model.training
        self.model.eval()
        values: Dict[str, float] = {}
        exact: Dict[str, float] = {}
        for role, examples in self.validation.items():
            if not examples:
                continue
            ll, greedy = self.scored(examples)
            values[f"val_loss_bc_{role}"] = float(-ll.sum()) / len(examples)
            exact[f"val_exact_{role}"] = float(greedy.float().mean())
        values["val_loss"] = sum(values.values())
        if was_training:
            self.model.train()
        return {**values, **exact}

    def scored(self, examples: List[Example]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Per-sample log-likelihoods of the targets, and whether greedy decoding writes each exactly (no gradient)."""
        pad, size = self.tokenizer.pad_token_id, self.cfg.micro_batch_size
        if self.share_prefix:
            parts = [prefix_scores(self.model, examples[k:k + VALIDATION_CHUNK], pad, size, self.device)
                     for k in range(0, len(examples), VALIDATION_CHUNK)]
        else:
            chunks = [examples[k:k + size] for k in range(0, len(examples), size)]
            parts = [padded_scores(self.model, collate(c, list(range(len(c))), pad).to(self.device)) for c in chunks]
        return torch.cat([ll for ll, _ in parts]), torch.cat([greedy for _, greedy in parts])

    def note_validation(self, done: int, val_loss: float) -> bool:
        """Records a validation; True when it is a new best (the caller keeps that adapter)."""
        if self.best is None or val_loss < self.best["val_loss"]:
            self.best = {"step": done, "val_loss": val_loss, "validations_since": 0}
            return True
        self.best["validations_since"] += 1
        return False

    def early_stop_due(self) -> bool:
        patience = self.cfg.early_stopping_patience
        return bool(patience and self.best and self.best["validations_since"] >= patience)

    def keep_best_adapter(self) -> None:
        """Writes the current adapter to <out>/best (whole or not at all)."""
        if not self.accelerator.is_main_process:
            return
        import shutil
        best = os.path.join(self.out_dir, "best")
        partial = best + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        self.unwrapped().save_pretrained(os.path.join(partial, "adapter"))
        with open(os.path.join(partial, "best.json"), "w") as f:
            json.dump(self.best, f)
        shutil.rmtree(best, ignore_errors=True)
        os.replace(partial, best)

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    def unwrapped(self):
        return self.accelerator.unwrap_model(self.model)

    def roles_at(self, step: int) -> List[str]:
        return active_roles(step, self.cfg.high_level_interval, self.streams)

    def local_indices(self, role: str) -> List[int]:
        """Draws this step's global batch of a role (every process draws the same) and keeps this process's share."""
        indices = self.streams[role].take(self.cfg.global_batch_size)
        return shard(indices, self.accelerator.process_index, self.accelerator.num_processes)

    def trained_step(self, role: str, mine: List[int], loss_of: Callable[[torch.Tensor, List[int]], torch.Tensor],
                     last: bool, micro: Optional[List[Batch]] = None) -> float:
        """Backpropagates a loss over this process's share `mine` of a role's batch, given as `loss_of(log-likelihoods
        of some samples, their positions in mine) -> their share of the loss`; gradients accumulate and are averaged
        across processes on the step's `last` backward. Returns the loss. One process: one prefix pass and length
        buckets; else micro batches (`micro` if the caller already cut them)."""
        if self.prefix_steps:
            examples = [self.examples[role][i] for i in mine]
            ll, cost = prefix_step(self.model, examples, self.tokenizer.pad_token_id, self.cfg.micro_batch_size,
                                   self.device, backward=self.accelerator.backward, loss_of=loss_of)
            self.count_cost(cost, len(examples))
            return float(loss_of(ll.to(self.device), list(range(len(examples)))))
        micro = micro if micro is not None else self.micro_batches(role, mine)
        total, offset = 0.0, 0
        for i, batch in enumerate(micro):
            rows = list(range(offset, offset + len(batch.indices)))
            loss = loss_of(self.log_likelihood(batch), rows)
            self.backward(loss, last=last and i == len(micro) - 1)
            total += float(loss.detach())
            offset += len(rows)
        return total

    def bc_role_step(self, role: str, last: bool) -> float:
        """Behaviour cloning on this step's batch of a role: bc_loss of its samples. Returns the loss."""
        mine = self.local_indices(role)
        return self.trained_step(role, mine, lambda ll, rows: bc_loss(ll) * (len(rows) / len(mine)), last)

    def count_cost(self, cost: StepCost, samples: int) -> None:
        self.tokens_seen += cost.real_tokens
        self.processed_tokens += cost.processed_tokens
        self.samples_seen += samples

    def local_micro_batches(self, role: str) -> List[Batch]:
        """This step's batch of a role for this process, cut into micro batches."""
        return self.micro_batches(role, self.local_indices(role))

    def micro_batches(self, role: str, mine: List[int]) -> List[Batch]:
        pad = self.tokenizer.pad_token_id
        size = self.cfg.micro_batch_size
        examples = self.examples[role]
        return [collate([examples[i] for i in mine[k:k + size]], mine[k:k + size], pad, self.share_prefix).to(self.device)
                for k in range(0, len(mine), size)]

    def log_likelihood(self, batch: Batch) -> torch.Tensor:
        """Per-sample mean log-likelihood of the targets under the trained policy, counting the tokens it costs."""
        self.tokens_seen += batch.real_tokens
        self.samples_seen += len(batch.indices)
        self.processed_tokens += (batch.prefix.prefix_ids.numel() + batch.prefix.input_ids.numel()
                                  if batch.prefix is not None else batch.input_ids.numel())
        return batch_log_likelihood(self.model, batch)

    def stop_now(self, done: int, stop_after: Optional[int], save) -> bool:
        """After a finished step: on SIGTERM/SIGINT (a cancel) or a test's stop_after, keep a checkpoint of this step
        so nothing is lost, and tell the loop to end."""
        requested = STOP["requested"]
        if self.accelerator.num_processes > 1:
            # Every process must stop after the same step, or the others would wait for it in the next all-reduce.
            flag = torch.tensor([1.0 if requested else 0.0], device=self.device)
            requested = bool(self.accelerator.reduce(flag, reduction="sum").item() > 0)
        if not (requested or (stop_after is not None and done >= stop_after)):
            return False
        if requested:
            self.accelerator.wait_for_everyone()
            if self.accelerator.is_main_process:
                path = save(done)
                self.events.emit("stopped", step=done, path=path)
        return True

    def log_metrics(self, step: int, values: Dict[str, float]) -> None:
        self.logged = {"step": step, "values": self.events.metrics(step, values)}

    def logged_at(self, step: int) -> Optional[dict]:
        """What a checkpoint of `step` keeps of the metrics: that step's line, if it was logged. The runtime may be
        killed after the trainer sent the line and before it stored it; the resume sends the line again."""
        return self.logged if self.logged and self.logged["step"] == step else None

    @property
    def checkpointed_metrics(self) -> Optional[dict]:
        """The metrics line the resumed checkpoint kept (None: a fresh run, an unlogged step, an older checkpoint)."""
        return self.resumed_state.get("metrics") if self.resumed_state else None

    def replay_logged_metrics(self) -> None:
        logged = self.checkpointed_metrics
        if logged:
            self.events.emit("metrics", step=logged["step"], values=logged["values"])

    def backward(self, loss: torch.Tensor, last: bool) -> None:
        """Accumulates gradients over a step's micro batches; they are averaged across processes once, on the step's
        last backward. DeepSpeed runs its own optimizer step inside the synced backward."""
        acc = self.accelerator
        if acc.distributed_type == DistributedType.DEEPSPEED:
            acc.gradient_state._set_sync_gradients(last)
            acc.backward(loss)
            return
        with nullcontext() if last else acc.no_sync(self.model):
            acc.backward(loss)

    def clip_gradients(self) -> Dict[str, float]:
        """Clips to grad_clip; the norm before clipping as a metric (DeepSpeed clips by its own config, reports none)."""
        norm = self.accelerator.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        return {"grad_norm": float(norm)} if norm is not None else {}

    def mean_across_processes(self, values: Dict[str, float]) -> Dict[str, float]:
        """Step metrics averaged over processes (each computed them on its own share of the batch)."""
        if self.accelerator.num_processes == 1:
            return values
        keys = sorted(values)
        tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self.device)
        reduced = self.accelerator.reduce(tensor, reduction="mean").tolist()
        return dict(zip(keys, reduced, strict=True))

    def stream_state(self) -> Dict[str, Dict[str, int]]:
        return {role: s.state() for role, s in self.streams.items()}

    def system_metrics(self) -> Dict[str, float]:
        elapsed = max(time.time() - self.started, 1e-9)
        processes = self.accelerator.num_processes
        values = {"tokens": self.tokens_seen * processes,
                  "tokens_per_second": self.tokens_seen * processes / elapsed,
                  "processed_tokens_per_second": self.processed_tokens * processes / elapsed,
                  "processed_tokens": self.processed_tokens * processes,
                  "samples": self.samples_seen * processes,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        if self.device.type == "cuda":
            values["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(self.device) / 2 ** 20
        return values


def batch_log_likelihood(model, batch: Batch) -> torch.Tensor:
    """The shared-prefix pass where the batch has one (the same values and gradients as the padded reference pass,
    for less work), else the padded pass."""
    if batch.prefix is not None:
        return shared_prefix_log_likelihood(model, batch.prefix, batch.target_span + 1)
    return padded_log_likelihood(model, batch)


def padded_log_likelihood(model, batch: Batch) -> torch.Tensor:
    """The reference pass: every sample whole, left-padded, logits only where targets are predicted (the vocabulary
    projection is costly)."""
    return token_log_likelihood(*padded_logits(model, batch))


def padded_scores(model, batch: Batch) -> Tuple[torch.Tensor, torch.Tensor]:
    """The reference pass's log-likelihoods, and whether greedy decoding writes each target exactly (validation)."""
    logits, labels = padded_logits(model, batch)
    return token_log_likelihood(logits, labels).float().cpu(), greedy_writes_target(logits, labels).cpu()


def padded_logits(model, batch: Batch) -> Tuple[torch.Tensor, torch.Tensor]:
    """(logits, labels) of the columns where the batch's targets are predicted, every sample whole and left-padded."""
    keep = batch.target_span + 1
    out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                logits_to_keep=keep)
    return out.logits, batch.labels[:, -keep:]


def shared_prefix_log_likelihood(model, layout: PrefixLayout, keep: int) -> torch.Tensor:
    """The shared opening tokens through the model once, their keys and values broadcast to every sample, then each
    sample's rest: the adapter's gradient flows through both passes, so this equals the padded reference pass."""
    from transformers import DynamicCache

    shared = layout.prefix_ids.shape[1]
    head = model(input_ids=layout.prefix_ids, position_ids=torch.arange(shared, device=layout.prefix_ids.device)[None],
                 use_cache=True, logits_to_keep=1)
    cache = head.past_key_values
    if not isinstance(cache, DynamicCache):
        raise TypeError(f"shared-prefix training needs a DynamicCache, the model returned {type(cache).__name__}")
    rows = layout.input_ids.shape[0]
    for layer in cache.layers:
        layer.keys = layer.keys.expand(rows, -1, -1, -1)
        layer.values = layer.values.expand(rows, -1, -1, -1)
    out = model(input_ids=layout.input_ids, attention_mask=layout.attention_mask, position_ids=layout.position_ids,
                past_key_values=cache, use_cache=True, logits_to_keep=keep)
    return token_log_likelihood(out.logits, layout.labels[:, -keep:])


STOP = {"requested": False}


def install_stop_handler() -> None:
    """The first SIGTERM/SIGINT asks the loop to stop after the current step (and checkpoint); a second one ends
    the process at once."""
    def handler(signum, _frame):
        if STOP["requested"]:
            raise SystemExit(128 + signum)
        STOP["requested"] = True
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


# Settings a resumed run takes from the command that resumes it: they change how far it goes, when it is validated,
# stopped early and checkpointed, or whether its blocks are compiled; never what the steps already taken computed. Every
# other setting is the run's own.
RESUME_SETTINGS = ("early_stopping_patience", "eval_every", "checkpoint_every", "keep_checkpoints", "log_every",
                   "compile_layers")


def open_session(kind: str, cfg: TrainConfig, db: str, model_path: str, out_dir: str,
                 init_adapter: Optional[str] = None, cpu: bool = False,
                 requested: Optional[Dict[str, object]] = None) -> Session:
    """`requested`: the settings the command gave explicitly (over the preset); on resume only max_steps and
    RESUME_SETTINGS among them apply."""
    from accelerate import Accelerator

    accelerator = Accelerator(mixed_precision="no" if cpu else cfg.precision, cpu=cpu)
    events = Events(enabled=accelerator.is_main_process)
    os.makedirs(out_dir, exist_ok=True)
    resume_from = checkpoint.latest(out_dir)
    resumed_state = None
    if resume_from:
        resumed_state = checkpoint.load_state(resume_from)
        if resumed_state["kind"] != kind:
            raise ValueError(f"{out_dir} holds a {resumed_state['kind']} run, not {kind}: choose another output folder")
        requested_steps = cfg.max_steps
        cfg = TrainConfig.from_dict(resumed_state["config"])  # a resumed run keeps the settings it started with
        events.log(f"resuming from {resume_from} (step {resumed_state['step']})")
        if requested_steps and requested_steps > resumed_state["step"] and requested_steps != cfg.max_steps:
            # How far to go may change on resume, so a finished run can be trained further with
            # the same data order and optimizer state (the schedule is then a function of the new length).
            events.log(f"{'extending' if requested_steps > (cfg.max_steps or 0) else 'ending'} the run at {requested_steps} "
                       f"steps (it was set to {cfg.max_steps or 'its epochs'})")
            cfg = TrainConfig.from_dict({**cfg.to_dict(), "max_steps": requested_steps})
            if resumed_state.get("best"):  # asked to go on: early stopping counts again from here
                resumed_state["best"] = {**resumed_state["best"], "validations_since": 0}
        own = cfg.to_dict()
        differing = {k: v for k, v in (requested or {}).items()
                     if k not in ("max_steps", "transition_set") and v != own.get(k)}
        changed = {k: v for k, v in differing.items() if k in RESUME_SETTINGS}
        if changed:
            events.log("resumed with " + ", ".join(f"{k} {own[k]} -> {v}" for k, v in changed.items()))
            cfg = TrainConfig.from_dict({**own, **changed})
        ignored = sorted(set(differing) - set(changed))
        if ignored:
            events.log(f"a resumed run keeps its own {', '.join(ignored)} (only {', '.join(RESUME_SETTINGS)} and the "
                       "step count change on resume)")
    torch.manual_seed(cfg.seed)

    dtype = precision_dtype(cfg.precision, accelerator.device)
    base, tokenizer = load_backbone(model_path, dtype)
    adapter = os.path.join(resume_from, "adapter") if resume_from else init_adapter
    with imported_if_gguf(adapter, model_path, base, cfg.lora.dropout, events) as adapter_dir:
        model = add_lora(base, cfg.lora, adapter_dir)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()  # the frozen embeddings would otherwise cut the graph
    compiled = compile_decoder_blocks(model) if cfg.compile_layers else 0
    set_id = resumed_state["set_id"] if resumed_state else (cfg.transition_set or latest_set_id(db))
    examples, validation = split_validation(load_examples(db, set_id, tokenizer, cfg.max_length, log=events.log),
                                            cfg.validation_fraction, cfg.seed)
    if not examples["low"]:
        raise ValueError(f"transition set {set_id} leaves no low-level transitions to train on")
    streams = make_streams(examples, cfg.seed, resumed_state["streams"] if resumed_state else None)
    if resumed_state:
        checkpoint.set_rng_state(resumed_state["rng"])

    epochs = cfg.epochs if kind == "bc" else cfg.rl_epochs
    total = cfg.max_steps or max(1, math.ceil(epochs * len(examples["low"]) / cfg.global_batch_size))
    session = Session(cfg=cfg, accelerator=accelerator, model=model, tokenizer=tokenizer, examples=examples,
                      streams=streams, events=events, out_dir=out_dir, set_id=set_id, model_path=model_path,
                      start_step=resumed_state["step"] if resumed_state else 0, resumed_state=resumed_state,
                      total_steps=total, accumulation=cfg.accumulation_steps(accelerator.num_processes),
                      validation=validation, best=resumed_state.get("best") if resumed_state else None)
    trainable, params = trainable_parameters(model)
    events.emit("start", kind=kind, set_id=set_id, device=str(accelerator.device), processes=accelerator.num_processes,
                examples={r: len(v) for r, v in examples.items()},
                validation_examples={r: len(v) for r, v in validation.items() if v}, total_steps=total, start_step=session.start_step,
                trainable_parameters=trainable, parameters=params, config=cfg.to_dict(),
                resumed_from=resume_from, replays_metrics=bool(session.checkpointed_metrics))
    if compiled:
        events.note(f"{compiled} decoder blocks compile (torch.compile) as the first steps of each new shape run")
    session.replay_logged_metrics()
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({"kind": kind, "model": model_path, "db": db, "set_id": set_id, "config": cfg.to_dict()}, f, indent=2)
    if accelerator.is_main_process:
        write_validation_games(db, validation, os.path.join(out_dir, VALIDATION_GAMES))
    return session


@contextmanager
def imported_if_gguf(adapter: Optional[str], model_path: str, base, dropout: float, events: Events):
    """The adapter folder to start from: as given, or a GGUF adapter (a shipped one) read back into a peft folder
    that lives while the model loads it."""
    if not adapter or not is_gguf_file(adapter):
        yield adapter
        return
    with tempfile.TemporaryDirectory(prefix="stephrl-init-adapter-") as scratch:
        imported = import_adapter(adapter, model_path, linear_shapes(base), os.path.join(scratch, "adapter"), dropout)
        events.log(f"starting from {adapter}: {imported['layers']} adapted layers, r {imported['rank']}, "
                   f"alpha {imported['alpha']:g}")
        yield imported["path"]


VALIDATION_GAMES = "validation-games.txt"
# Validation samples scored per prefix pass (no gradients are kept, so the bound is only the rest passes' width).
VALIDATION_CHUNK = 64


def write_validation_games(db: str, validation: Dict[str, List], path: str) -> None:
    """The games of the episodes held apart for validation, one per line as `stephrl eval --games @FILE` reads them
    (ALFWorld game keys, ScienceWorld task:variation): agents can be compared on games no training step saw without
    touching an evaluation split."""
    episode_ids = sorted({e.episode_id for examples in validation.values() for e in examples})
    if not episode_ids:
        return
    conn = open_dataset(db)
    try:
        marks = ",".join("?" * len(episode_ids))
        rows = conn.execute(f"SELECT env, game, task, variation FROM episodes WHERE id IN ({marks}) ORDER BY id", episode_ids)
        games = [game if env == "alfworld" and game else f"{task}:{variation}" for env, game, task, variation in rows]
    finally:
        conn.close()
    with open(path + ".partial", "w") as f:
        f.write("".join(f"{g}\n" for g in games))
    os.replace(path + ".partial", path)


def finish(session: Session, kind: str, extra_state, step: Optional[int] = None) -> str:
    """Saves the last step's checkpoint and the final adapter beside it: the best validated one where validation
    ran, else the last one. Reports it."""
    import shutil
    session.accelerator.wait_for_everyone()
    step = session.total_steps if step is None else step
    final = os.path.join(session.out_dir, "final")
    if session.accelerator.is_main_process:
        path = checkpoint.save(session.out_dir, step, session.unwrapped(), extra_state(step), session.cfg.keep_checkpoints)
        partial = final + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(path, partial)
        best = os.path.join(session.out_dir, "best")
        if session.best and os.path.isdir(os.path.join(best, "adapter")):
            shutil.rmtree(os.path.join(partial, "adapter"))
            shutil.copytree(os.path.join(best, "adapter"), os.path.join(partial, "adapter"))
            shutil.copy(os.path.join(best, "best.json"), os.path.join(partial, "best.json"))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(partial, final)
        session.events.emit("done", step=step, path=final, adapter=os.path.join(final, "adapter"),
                            **({"best_step": session.best["step"], "best_val_loss": session.best["val_loss"]}
                               if session.best else {}))
    session.accelerator.wait_for_everyone()
    return final
