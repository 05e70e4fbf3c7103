"""Stage 1, behaviour cloning on annotated expert transitions (STEP-HRL.md, "Training").

Every optimizer step: loss_bc_low + loss_bc_progress, plus loss_bc_high every `high_level_interval`-th step; each
term is the negative mean per-token log-likelihood of the role's targets (which end with EOS). With a validation set
(whole episodes held apart), the same terms on it every `eval_every` steps; the best validated adapter is the final
one, and training stops once `early_stopping_patience` validations pass without a new best. A run that starts from
an adapter validates it first (step 0), so training further never ends on a worse one.
"""
from __future__ import annotations

import torch

from . import checkpoint
from .session import finish, open_session


def train_bc(cfg, db: str, model_path: str, out_dir: str, init_adapter=None, cpu: bool = False,
             stop_after=None, requested=None) -> str:
    s = open_session("bc", cfg, db, model_path, out_dir, init_adapter, cpu, requested)
    optimizer = torch.optim.AdamW([p for p in s.model.parameters() if p.requires_grad], lr=s.cfg.bc_lr,
                                  weight_decay=s.cfg.weight_decay)
    s.model, optimizer = s.accelerator.prepare(s.model, optimizer)
    if s.resumed_state:
        optimizer.load_state_dict(s.resumed_state["optimizer"])

    def state(step: int) -> dict:
        return {"kind": "bc", "step": step, "config": s.cfg.to_dict(), "set_id": s.set_id, "best": s.best,
                "streams": s.stream_state(), "rng": checkpoint.rng_state(), "optimizer": optimizer.state_dict(),
                "metrics": s.logged_at(step)}

    if init_adapter and s.start_step == 0 and any(s.validation.values()):
        # Where the adapter it starts from stands, as step 0: training further keeps it unless a step validates better.
        values = s.validation_losses()
        if s.note_validation(0, values["val_loss"]):
            s.keep_best_adapter()
        s.log_metrics(0, values)
    s.model.train()
    for step in range(s.start_step, s.total_steps):
        for group in optimizer.param_groups:
            group["lr"] = s.cfg.bc_lr * s.cfg.lr_factor(step, s.total_steps)
        roles = s.roles_at(step)
        values = {f"loss_bc_{role}": s.bc_role_step(role, last=role == roles[-1]) for role in roles}
        values = s.mean_across_processes(values)
        values["loss"] = sum(values.values())
        values.update(s.clip_gradients())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        if s.validation_due(done):
            values.update(s.validation_losses())
            if s.note_validation(done, values["val_loss"]):
                s.keep_best_adapter()
        if done % s.cfg.log_every == 0 or done == s.total_steps or "val_loss" in values:
            s.log_metrics(done, {**values, "lr": optimizer.param_groups[0]["lr"], **s.system_metrics()})
        if s.early_stop_due():
            assert s.best is not None  # early stopping is due only after a validation
            s.events.log(f"validation loss has not improved for {s.cfg.early_stopping_patience} validations: "
                         f"stopping at step {done}, keeping step {s.best['step']} (val_loss {s.best['val_loss']:.4f})")
            return finish(s, "bc", state, step=done)
        if done % s.cfg.checkpoint_every == 0 and done < s.total_steps:
            s.accelerator.wait_for_everyone()
            if s.accelerator.is_main_process:
                path = checkpoint.save(s.out_dir, done, s.unwrapped(), state(done), s.cfg.keep_checkpoints)
                s.events.emit("checkpoint", step=done, path=path)
        if s.stop_now(done, stop_after, lambda n: checkpoint.save(s.out_dir, n, s.unwrapped(), state(n), s.cfg.keep_checkpoints)):
            return ""
    return finish(s, "bc", state)
