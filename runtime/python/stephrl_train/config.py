"""Every training hyperparameter in one typed config, with presets (STEP-HRL.md, "Training").

`paper` is the reference setup; `cpu-small` is what a 2-core CPU finishes in minutes on the default 135M model.
A run's config is stored with its checkpoints, so a resumed run trains with exactly the settings it started with.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Optional, get_args

from stephrl_data.dataset import ROLES

Algorithm = Literal["bc", "rl"]
ActorWeighting = Literal["awr", "advantage", "binary", "bc"]


ALL_LINEAR = "all-linear"  # as a target module: every linear layer of the decoder blocks


@dataclass
class LoraConfig:
    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    # The paper's attention projections (STEP-HRL.md), in Llama's names; every family resolves them to its own layers
    # (Phi-3: qkv_proj and o_proj), see backbone.lora_target_modules. ["all-linear"]: every linear layer of the blocks.
    target_modules: List[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])


@dataclass
class TrainConfig:
    # Data
    transition_set: Optional[int] = None  # None: the newest set in the store
    max_length: int = 2048  # state + target tokens; longer transitions are dropped (counted in the log)
    # Optimisation (shared)
    epochs: float = 5.0
    max_steps: Optional[int] = None  # optimizer steps; overrides epochs when set
    micro_batch_size: int = 4  # per process, per forward pass
    global_batch_size: int = 128  # micro batch x accumulation x processes
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    precision: Literal["no", "bf16", "fp16"] = "bf16"
    seed: int = 0
    high_level_interval: int = 4  # the high-level loss joins every k-th optimizer step
    gradient_checkpointing: bool = False  # recompute activations in backward: less memory for 7B models, ~30% slower
    share_prefix: bool = True  # the tokens a micro batch's samples open with, computed once (same values, less work)
    compile_layers: bool = False  # torch.compile each decoder block (GPU; the first steps of each new shape compile)
    # Validation (behaviour cloning): whole episodes held apart, their loss measured as training goes
    validation_fraction: float = 0.0  # share of the set's episodes held apart (0: none)
    eval_every: int = 0  # optimizer steps between validation losses (0: only after the last step)
    early_stopping_patience: int = 0  # validations without a new best before stopping; the best adapter is kept (0: off)
    lora: LoraConfig = field(default_factory=LoraConfig)
    # Behaviour cloning
    bc_lr: float = 1e-4
    lr_schedule: Literal["constant", "cosine"] = "constant"  # cosine: decays to 10% of bc_lr by the last step
    warmup_steps: int = 0  # linear warm-up from 0 over these optimizer steps
    # Offline RL (IQL critics + advantage-weighted actor)
    actor_lr: float = 1e-5
    critic_lr: float = 1e-4
    rl_epochs: float = 3.0
    gamma: float = 0.99
    expectile_tau: float = 0.95
    awr_beta: float = 1.0
    awr_clip: float = 20.0
    actor_weighting: ActorWeighting = "awr"
    # Per role, a weighting in place of actor_weighting: {"progress": "bc"} clones every progress target (weight 1)
    # while the other roles follow their critics, for a role whose critic does not tell good from bad decisions
    role_actor_weighting: Dict[str, ActorWeighting] = field(default_factory=dict)
    target_update_rate: float = 0.2
    critic_warmup_steps: int = 100
    critic_hidden: int = 1024
    # Before the first step, the critics alone for this many epochs over every transition's cached features (one
    # forward pass over the data, then the small heads only); 0: off, the critics learn only from the steps' batches
    critic_fit_epochs: int = 0
    critic_fit_batch: int = 64
    # With critic_fit_epochs: awr_beta becomes the fitted low-level advantages' standard deviation (one significant
    # figure, at most 1), so one standard deviation of advantage weighs e times more whatever the rewards' scale
    awr_beta_from_fit: bool = False
    # Checkpoints and logging
    checkpoint_every: int = 200  # optimizer steps
    log_every: int = 1
    keep_checkpoints: int = 2

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(values: Dict[str, Any]) -> "TrainConfig":
        values = dict(values)
        lora = LoraConfig(**values.pop("lora", {}))
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        return TrainConfig(lora=lora, **values).check()

    def check(self) -> "TrainConfig":
        """Range checks a hand-written --config needs; raises ValueError naming the setting."""
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), not {self.validation_fraction}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be constant or cosine, not {self.lr_schedule!r}")
        if self.actor_weighting not in get_args(ActorWeighting):  # else it fails at the actor's first step, after the critic fit
            raise ValueError(f"actor_weighting must be one of {', '.join(get_args(ActorWeighting))}, not {self.actor_weighting!r}")
        for role, weighting in self.role_actor_weighting.items():
            if role not in ROLES:
                raise ValueError(f"role_actor_weighting names the role {role!r}; the roles are {', '.join(ROLES)}")
            if weighting not in get_args(ActorWeighting):
                raise ValueError(f"role_actor_weighting[{role!r}] must be one of {', '.join(get_args(ActorWeighting))}, not {weighting!r}")
        for name in ("eval_every", "early_stopping_patience", "warmup_steps", "critic_fit_epochs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, not {getattr(self, name)}")
        if self.awr_beta_from_fit and not self.critic_fit_epochs:
            raise ValueError("awr_beta_from_fit needs critic_fit_epochs: the critics must be fitted before the actor runs")
        if self.critic_fit_batch < 1:
            raise ValueError(f"critic_fit_batch must be 1 or more, not {self.critic_fit_batch}")
        return self

    def weighting(self, role: str) -> ActorWeighting:
        """The actor weighting of one role: its own in role_actor_weighting, else actor_weighting."""
        return self.role_actor_weighting.get(role, self.actor_weighting)

    def lr_factor(self, step: int, total_steps: int) -> float:
        """The learning rate of optimizer step `step` (0-based) as a share of the base rate: stateless, so a resumed
        run continues on exactly the same schedule."""
        if self.warmup_steps and step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.lr_schedule == "constant":
            return 1.0
        span = max(1, total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))

    def accumulation_steps(self, processes: int) -> int:
        per_step = self.micro_batch_size * processes
        if self.global_batch_size % per_step:
            raise ValueError(
                f"global_batch_size {self.global_batch_size} is not a multiple of micro_batch_size x processes ({per_step})")
        return self.global_batch_size // per_step


PRESETS: Dict[str, Dict[str, Any]] = {
    "paper": {},
    # 2 cores, SmolLM2-135M: short sequences, small batches, a few hundred steps at most.
    "cpu-small": {
        "max_length": 1024,
        "epochs": 1.0,
        "rl_epochs": 1.0,
        "micro_batch_size": 2,
        "global_batch_size": 8,
        "precision": "no",
        "bc_lr": 3e-4,
        "actor_lr": 5e-5,
        "critic_lr": 3e-4,
        "critic_warmup_steps": 10,
        "critic_hidden": 256,
        "checkpoint_every": 20,
        "lora": {"r": 8, "alpha": 16.0, "dropout": 0.05},
    },
}


def preset(name: str, overrides: Optional[Dict[str, Any]] = None) -> TrainConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    values: Dict[str, Any] = {**PRESETS[name]}
    for key, value in (overrides or {}).items():
        if key == "lora" and isinstance(value, dict):
            values["lora"] = {**values.get("lora", {}), **value}
        else:
            values[key] = value
    return TrainConfig.from_dict(values)
