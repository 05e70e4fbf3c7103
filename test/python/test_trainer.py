"""The trainer on a tiny random GGUF model and a real dataset (ALFWorld expert episodes, rule-annotated, through the
real CLI): loss terms against hand-computed values, learning, the high-level interval, kill -9 + resume equality,
offline RL, accelerate with two CPU processes, and clear errors for bad input."""
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from conftest import ALFWORLD_DATA, ROOT
from stephrl_train import losses
from stephrl_train.config import PRESETS, TrainConfig, preset
from stephrl_train.session import active_roles

CLI = os.path.join(ROOT, "runtime", "bin", "stephrl.js")
TINY = os.path.join(ROOT, "test", "fixtures", "tinygguf.mjs")
ENV = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "runtime", "python"), "PYTHONUNBUFFERED": "1"}
# Byte-level tiny vocabulary: prompts are long in tokens, so allow them all; small steps keep it fast.
SMALL = {"max_length": 4096, "micro_batch_size": 2, "global_batch_size": 4, "checkpoint_every": 3}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    d = tmp_path_factory.mktemp("trainer")
    model = str(d / "tiny.gguf")
    subprocess.run(["node", TINY, model], check=True, capture_output=True)
    db = str(d / "stephrl.db")
    for args in (["demos", "--env", "alfworld", "--split", "valid_train", "--limit", "2", "--data", ALFWORLD_DATA],
                 ["annotate"], ["dataset", "transitions"]):
        r = subprocess.run(["node", CLI, *args, "--db", db, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
    return {"dir": d, "model": model, "db": db}


def ts_list(file, name):
    """A `const NAME = [...] as const` list of the TypeScript protocol, which names what the trainer must match."""
    import re
    text = open(os.path.join(ROOT, "runtime", "src", "protocol", file)).read()
    body = re.search(rf"export const {name} = \[([^\]]*)\] as const", text).group(1)
    return re.findall(r"'([^']+)'", body)


def trainer(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "stephrl_train", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def events(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# ---- the trainer outlives nobody ----

@pytest.mark.unit
def test_a_trainer_stops_within_a_second_of_its_runtimes_death():
    """The runtime sets STEPHRL_RUNTIME_PID; killed with -9 (no chance to stop its trainer), the trainer sees it go."""
    watched = (
        "import sys, time\n"
        f"sys.path.insert(0, {os.path.join(ROOT, 'runtime', 'python')!r})\n"
        "from stephrl_train.events import exit_with_runtime\n"
        "exit_with_runtime(0.1)\n"
        "time.sleep(60)\n"
    )
    runtime = subprocess.Popen(
        [sys.executable, "-c",
         "import os, subprocess, sys, time\n"
         "env = dict(os.environ, STEPHRL_RUNTIME_PID=str(os.getpid()))\n"
         f"child = subprocess.Popen([sys.executable, '-c', {watched!r}], env=env, stderr=subprocess.DEVNULL)\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    trainer = int(runtime.stdout.readline())
    runtime.kill()
    runtime.wait()

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.time() + 5
    while alive(trainer) and time.time() < deadline:
        time.sleep(0.05)
    assert not alive(trainer), "the trainer kept running after its runtime was killed"


# ---- loss terms, by hand ----

@pytest.mark.unit
def test_expectile_loss_weights_the_two_sides_by_tau():
    diff = torch.tensor([2.0, -1.0])
    # 0.9 * 4 and 0.1 * 1, averaged
    assert losses.expectile_loss(diff, 0.9).item() == pytest.approx((0.9 * 4 + 0.1 * 1) / 2)
    v = torch.tensor([1.0, 1.0])
    q_target = torch.tensor([3.0, 0.0])  # diff = q_target - v = [2, -1]
    assert losses.v_loss(v, q_target, 0.9).item() == pytest.approx((0.9 * 4 + 0.1 * 1) / 2)


@pytest.mark.unit
def test_td_target_does_not_bootstrap_past_done():
    r = torch.tensor([1.0, 0.0, -1.0])
    done = torch.tensor([1.0, 0.0, 0.0])
    v_next = torch.tensor([5.0, 2.0, 3.0])
    target = losses.td_target(r, done, v_next, 0.9)
    assert target.tolist() == pytest.approx([1.0, 1.8, 1.7])
    q = torch.tensor([0.0, 1.8, 2.7])
    assert losses.q_loss(q, target).item() == pytest.approx((1.0 + 0.0 + 1.0) / 3)


@pytest.mark.unit
def test_awr_weights_are_exponentiated_clipped_and_normalised():
    adv = torch.tensor([0.0, 1.0, 10.0])
    w = losses.awr_weights(adv, beta=1.0, clip=5.0)
    raw = torch.tensor([1.0, 2.718281828, 5.0])  # exp(10) clipped at 5
    assert w.tolist() == pytest.approx((raw / raw.mean()).tolist(), rel=1e-5)
    ll = torch.tensor([-1.0, -2.0, -3.0])
    loss, weights = losses.actor_loss(ll, adv, "awr", 1.0, 5.0)
    e = 2.718281828
    # -(1 * -1 + e * -2 + 5 * -3) / 3, over the weights' mean (1 + e + 5) / 3
    assert loss.item() == pytest.approx((1 + 2 * e + 15) / (6 + e), rel=1e-5)
    assert weights.tolist() == pytest.approx(w.tolist())
    loss_adv, w_adv = losses.actor_loss(ll, adv, "advantage", 1.0, 5.0)
    assert w_adv.tolist() == adv.tolist()
    assert loss_adv.item() == pytest.approx(-(0 * -1 + 1 * -2 + 10 * -3) / 3)
    loss_bin, w_bin = losses.actor_loss(ll, torch.tensor([-0.5, 0.0, 0.3]), "binary", 1.0, 5.0)
    assert w_bin.tolist() == [0.0, 0.0, 1.0], "only actions rated above the state's value are cloned"
    assert loss_bin.item() == pytest.approx(3 / 3), "- mean(0 * -1 + 0 * -2 + 1 * -3)"
    loss_bc, w_bc = losses.actor_loss(ll, torch.tensor([-0.5, 0.0, 0.3]), "bc", 1.0, 5.0)
    assert w_bc.tolist() == [1.0, 1.0, 1.0], "behaviour cloning: every target, whatever the critic says"
    assert loss_bc.item() == pytest.approx(6 / 3)
    with pytest.raises(ValueError, match="actor_weighting must be one of awr, advantage, binary, bc, not 'filtered'"):
        TrainConfig(actor_weighting="filtered").check()  # type: ignore[arg-type]


@pytest.mark.unit
def test_a_role_can_have_its_own_actor_weighting():
    config = TrainConfig.from_dict({"actor_weighting": "binary", "role_actor_weighting": {"progress": "bc"}})
    assert [config.weighting(r) for r in ("high", "low", "progress")] == ["binary", "binary", "bc"]
    assert TrainConfig.from_dict(config.to_dict()).role_actor_weighting == {"progress": "bc"}, "kept in checkpoints"
    with pytest.raises(ValueError, match="role_actor_weighting names the role 'planner'; the roles are high, low, progress"):
        TrainConfig.from_dict({"role_actor_weighting": {"planner": "bc"}})
    with pytest.raises(ValueError, match=r"role_actor_weighting\['low'\] must be one of awr, advantage, binary, bc, not 'x'"):
        TrainConfig.from_dict({"role_actor_weighting": {"low": "x"}})


@pytest.mark.unit
def test_the_critic_report_tells_won_rollouts_from_lost_ones():
    # What the actor will weigh, per source and, for a source with both outcomes (the policy's rollouts), per outcome:
    # the figures that show whether the critics separate the decisions of won rollouts from those of lost ones.
    from stephrl_train.critic import Critic
    from stephrl_train.offline_rl import advantage_report, origin_groups

    origin = [("expert", True), ("policy", True), ("policy", False), ("expert", True), ("policy", False)]
    groups = origin_groups(origin)
    assert groups == {"expert": [True, False, False, True, False], "policy": [False, True, True, False, True],
                      "policy_won": [False, True, False, False, False], "policy_lost": [False, False, True, False, True]}
    torch.manual_seed(0)
    critic = Critic(8, 16)
    f_s, f_u = torch.randn(5, 8), torch.randn(5, 8)
    config = TrainConfig(actor_weighting="binary")
    report = advantage_report(config, critic, (f_s, f_u, torch.zeros(5, 8)), origin, {"loss_q_low": 0.1, "loss_v_low": 0.2}, "low")
    with torch.no_grad():
        advantage = critic.q(f_u) - critic.v(f_s)
    for group, rows in (("policy_lost", [2, 4]), ("policy_won", [1]), ("expert", [0, 3])):
        assert report[f"advantage_mean_{group}"] == pytest.approx(float(advantage[rows].mean()), rel=1e-6)
        assert report[f"weight_mean_{group}"] == pytest.approx(float((advantage[rows] > 0).float().mean()))
    assert "advantage_mean_expert_won" not in report, "a source with one outcome is not split"
    cloned = TrainConfig(actor_weighting="binary", role_actor_weighting={"low": "bc"})
    report = advantage_report(cloned, critic, (f_s, f_u, torch.zeros(5, 8)), origin, {"loss_q_low": 0.1, "loss_v_low": 0.2}, "low")
    assert report["weight_mean_policy_lost"] == 1.0, "a role cloned whole weighs every decision 1, the critic unread"


def test_left_padded_batches_score_like_single_sequences(workspace):
    # Padding, positions and the logits kept for the targets must not change what a transition scores.
    from stephrl_train.backbone import load_backbone
    from stephrl_train.data import collate, load_examples

    model, tokenizer = load_backbone(workspace["model"])
    model.eval()
    examples = load_examples(workspace["db"], 1, tokenizer, 4096)["progress"][:3]
    with torch.no_grad():
        batch = collate(examples, [0, 1, 2], tokenizer.pad_token_id)
        keep = batch.target_span + 1
        out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, position_ids=batch.position_ids,
                    logits_to_keep=keep)
        together = losses.token_log_likelihood(out.logits, batch.labels[:, -keep:])
        for i, e in enumerate(examples):
            ids = torch.tensor([e.state_ids + e.target_ids])
            labels = torch.tensor([[-100] * len(e.state_ids) + e.target_ids])
            alone = losses.token_log_likelihood(model(input_ids=ids).logits, labels)
            assert together[i].item() == pytest.approx(alone.item(), abs=1e-4)


def adapted_model(workspace):
    """The tiny model with a small LoRA adapter whose B matrices are drawn, not zero (B at zero would leave A without
    gradient and the adapter without effect), seeded."""
    from stephrl_train.backbone import add_lora, load_backbone
    from stephrl_train.config import LoraConfig

    torch.manual_seed(0)
    base, tokenizer = load_backbone(workspace["model"])
    model = add_lora(base, LoraConfig(r=4, alpha=8, dropout=0.0))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02)
    return model, tokenizer


def test_shared_prefix_pass_matches_the_padded_reference(workspace):
    # The fast path (opening tokens once, their keys and values broadcast) must score and train exactly as the
    # padded reference: per-sample log-likelihoods and every adapter gradient, fp32, within 1e-4 relative.
    from stephrl_train.data import collate, load_examples
    from stephrl_train.prefix_step import prefix_scores
    from stephrl_train.session import padded_log_likelihood, padded_scores, shared_prefix_log_likelihood

    model, tokenizer = adapted_model(workspace)
    for role in ("low", "progress", "high"):
        examples = load_examples(workspace["db"], 1, tokenizer, 4096)[role][:4]
        batch = collate(examples, list(range(len(examples))), tokenizer.pad_token_id, share_prefix=True)
        assert batch.prefix is not None and batch.prefix.prefix_ids.shape[1] >= 16, role

        def run(fn):
            model.zero_grad(set_to_none=True)
            ll = fn()
            ll.sum().backward()
            grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
            return ll.detach(), grads

        ref_ll, ref_grads = run(lambda: padded_log_likelihood(model, batch))
        fast_ll, fast_grads = run(lambda: shared_prefix_log_likelihood(model, batch.prefix, batch.target_span + 1))
        assert torch.allclose(fast_ll, ref_ll, rtol=1e-4, atol=1e-5), (role, fast_ll, ref_ll)
        ref_norm = torch.sqrt(sum((g ** 2).sum() for g in ref_grads.values()))
        fast_norm = torch.sqrt(sum((g ** 2).sum() for g in fast_grads.values()))
        assert fast_norm.item() == pytest.approx(ref_norm.item(), rel=1e-4), role
        for name, g in ref_grads.items():
            assert torch.allclose(fast_grads[name], g, rtol=1e-3, atol=1e-4 * ref_norm.item()), (role, name)
        # Validation's scores through the prefix groups are the reference pass's: log-likelihoods and greedy flags.
        with torch.no_grad():
            ref_scores = padded_scores(model, batch)
            fast_scores = prefix_scores(model, examples, tokenizer.pad_token_id, 2, torch.device("cpu"))
        assert torch.allclose(fast_scores[0], ref_scores[0], rtol=1e-4, atol=1e-5), role
        assert torch.equal(fast_scores[1], ref_scores[1]), role


def bc_padded_and_prefix_step(model, examples, pad):
    """The BC loss of `examples` backpropagated by the padded reference pass and by prefix_step (micro batches of 2):
    (reference log-likelihoods, reference gradients, fast log-likelihoods, fast gradients, the fast step's cost)."""
    from stephrl_train.data import collate
    from stephrl_train.prefix_step import prefix_step
    from stephrl_train.session import padded_log_likelihood

    def gradients():
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    model.zero_grad(set_to_none=True)
    ref_ll = padded_log_likelihood(model, collate(examples, list(range(len(examples))), pad))
    losses.bc_loss(ref_ll).backward()
    ref_grads = gradients()
    model.zero_grad(set_to_none=True)
    count = len(examples)
    fast_ll, cost = prefix_step(model, examples, pad, 2, torch.device("cpu"), backward=lambda loss: loss.backward(),
                                loss_of=lambda values, rows: losses.bc_loss(values) * (len(rows) / count))
    return ref_ll, ref_grads, fast_ll, gradients(), cost


def test_prefix_step_trains_as_the_padded_reference(workspace):
    # A role's step as one prefix pass and length buckets (the prefix's gradient gathered from every bucket, then
    # carried through its pass once) must give the padded reference's per-sample log-likelihoods and gradients.
    from stephrl_train.data import collate, load_examples
    from stephrl_train.prefix_step import plan_buckets, prefix_step
    from stephrl_train.session import padded_log_likelihood

    model, tokenizer = adapted_model(workspace)
    pad = tokenizer.pad_token_id
    for role in ("low", "progress", "high"):
        examples = load_examples(workspace["db"], 1, tokenizer, 4096)[role][:6]
        shared, buckets = plan_buckets(examples, pad, max_rows=2)
        assert len(shared) >= 16 and len(buckets) >= 3, role
        assert sorted(r for b in buckets for r in b.rows) == list(range(len(examples)))

        ref_ll, ref_grads, fast_ll, fast_grads, cost = bc_padded_and_prefix_step(model, examples, pad)
        count = len(examples)
        assert torch.allclose(fast_ll, ref_ll.detach(), rtol=1e-4, atol=1e-5), (role, fast_ll, ref_ll)
        assert cost.real_tokens == sum(len(e.state_ids) + len(e.target_ids) for e in examples)
        assert cost.processed_tokens < cost.real_tokens  # the shared tokens once, little padding
        ref_norm = torch.sqrt(sum((g ** 2).sum() for g in ref_grads.values()))
        fast_norm = torch.sqrt(sum((g ** 2).sum() for g in fast_grads.values()))
        assert fast_norm.item() == pytest.approx(ref_norm.item(), rel=1e-4), role
        for name, g in ref_grads.items():
            assert torch.allclose(fast_grads[name], g, rtol=1e-3, atol=1e-4 * ref_norm.item()), (role, name)
        with torch.no_grad():  # scoring alone (validation) gives the same values
            scored, _ = prefix_step(model, examples, pad, 2, torch.device("cpu"))
        assert torch.allclose(scored, ref_ll.detach(), rtol=1e-4, atol=1e-5), role

        # Per-sample weights (the offline-RL actor's): each bucket's rows pick their own.
        weights = torch.linspace(0.2, 2.0, count)
        model.zero_grad(set_to_none=True)
        (-(weights * padded_log_likelihood(model, collate(examples, list(range(count)), pad))).sum() / count).backward()
        ref_weighted = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        model.zero_grad(set_to_none=True)
        prefix_step(model, examples, pad, 2, torch.device("cpu"), backward=lambda loss: loss.backward(),
                    loss_of=lambda values, rows: -(weights[rows] * values).sum() / count)
        for name, p in model.named_parameters():
            if p.requires_grad:
                assert torch.allclose(p.grad, ref_weighted[name], rtol=1e-3, atol=1e-4 * ref_norm.item()), (role, name)


@pytest.mark.unit
def test_prefix_groups_cut_where_openings_differ():
    from stephrl_train.prefix_step import prefix_groups

    role_a, role_b = list(range(100, 160)), list(range(200, 240))
    a = [role_a + [1, 2, 3, k] for k in range(3)]
    b = [role_b + [4, 5, k, 6] for k in range(4)]
    mixed = [a[0], b[0], a[1], b[1], b[2], a[2], b[3]]
    assert prefix_groups(mixed) == [[0, 2, 5], [1, 3, 4, 6]]  # one group per opening, rows in their first order
    assert prefix_groups(a) == [[0, 1, 2]]  # one opening: one group
    # Openings shorter than MIN_SHARED_TOKENS are not worth a pass of their own: one group, nothing shared.
    short = [[9, 9, k, k, k] for k in range(4)]
    assert prefix_groups(short) == [[0, 1, 2, 3]]
    assert sorted(r for g in prefix_groups(mixed + short) for r in g) == list(range(len(mixed) + len(short)))


def test_mixed_openings_train_as_the_padded_reference(workspace):
    # A batch that mixes prompts of two openings (here two roles; in practice both environments) runs as one prefix
    # group each, with the padded reference's log-likelihoods and gradients.
    from stephrl_train.data import load_examples
    from stephrl_train.prefix_step import plan_groups

    model, tokenizer = adapted_model(workspace)
    pad = tokenizer.pad_token_id
    loaded = load_examples(workspace["db"], 1, tokenizer, 4096)
    examples = [e for pair in zip(loaded["low"][:3], loaded["progress"][:3], strict=True) for e in pair]
    groups = plan_groups(examples, pad, max_rows=2)
    assert len(groups) == 2 and all(len(g.shared_ids) >= 16 for g in groups)
    assert sorted(r for g in groups for b in g.buckets for r in b.rows) == list(range(len(examples)))

    ref_ll, ref_grads, fast_ll, fast_grads, cost = bc_padded_and_prefix_step(model, examples, pad)
    assert torch.allclose(fast_ll, ref_ll.detach(), rtol=1e-4, atol=1e-5), (fast_ll, ref_ll)
    assert cost.processed_tokens < cost.real_tokens
    ref_norm = torch.sqrt(sum((g ** 2).sum() for g in ref_grads.values()))
    for name, g in ref_grads.items():
        assert torch.allclose(fast_grads[name], g, rtol=1e-3, atol=1e-4 * ref_norm.item()), name


def test_shared_prefix_features_match_the_padded_reference(workspace):
    # The critics' frozen features through prefix groups and length buckets (the fast path of the feature pass and of
    # the RL step) must be the padded reference's, fp32, within 1e-4: state, utterance and next-state features, a
    # next state read from a stored next transition included.
    from stephrl_train.critic import FeatureCache
    from stephrl_train.data import collate, load_examples

    model, tokenizer = adapted_model(workspace)  # an adapter that changes the output: features read with it off
    pad, cpu = tokenizer.pad_token_id, torch.device("cpu")
    loaded = load_examples(workspace["db"], 1, tokenizer, 4096)
    for role in ("low", "progress", "high"):
        examples = loaded[role]
        count = min(len(examples), 8)
        reference = FeatureCache()
        reference.fill(model, role, examples, 2, pad, cpu, indices=range(count))
        fast = FeatureCache()
        later = [i for i in range(count) if i % 2 == 1]  # stored first: the others' next states are read from them
        passes = fast.fill(model, role, examples, 2, pad, cpu, indices=later, share_prefix=True)
        passes += fast.fill(model, role, examples, 2, pad, cpu, indices=range(count), share_prefix=True)
        assert passes > 0 and sorted(i for r, i in fast.store if r == role) == list(range(count))
        alone = FeatureCache().features(model, role, collate(examples[:count], list(range(count)), pad))
        for i in range(count):
            for j, name in enumerate(("state", "utterance", "next state")):
                got, want = fast.store[(role, i)][j], reference.store[(role, i)][j]
                assert torch.allclose(got, want, rtol=1e-4, atol=1e-4), (role, i, name)
                if j < 2 or not examples[i].done:
                    assert torch.allclose(got, alone[j][i], rtol=1e-4, atol=1e-4), (role, i, name)
        assert any(not examples[i].done and examples[i + 1].state_ids == examples[i].next_state_ids
                   for i in range(0, count - 1, 2)), role  # the stored-next-transition read was exercised


@pytest.mark.unit
def test_token_log_likelihood_averages_only_target_tokens():
    logits = torch.zeros(1, 3, 4)
    logits[0, 0, 2] = 10.0  # predicts token 2 at position 1 with near certainty
    labels = torch.tensor([[-100, 2, -100]])
    ll = losses.token_log_likelihood(logits, labels)
    assert ll.item() == pytest.approx(torch.log_softmax(logits[0, 0], -1)[2].item())


@pytest.mark.unit
def test_greedy_writes_target_only_where_every_target_token_is_the_argmax():
    logits = torch.zeros(3, 4, 5)
    logits[:, 0, 1] = logits[:, 1, 2] = 3.0  # the model's choices after positions 0 and 1: tokens 1, then 2
    logits[2, 1, 3] = 4.0  # sample 2 prefers token 3 at its second target token
    labels = torch.tensor([[-100, 1, 2, -100], [-100, 1, 2, -100], [-100, 1, 2, -100]])
    labels[1, 3] = -100  # padding and state positions never count
    assert losses.greedy_writes_target(logits, labels).tolist() == [True, True, False]
    tie = torch.zeros(1, 2, 3)  # all equal: argmax is token 0
    assert losses.greedy_writes_target(tie, torch.tensor([[-100, 0]])).tolist() == [True]
    assert losses.greedy_writes_target(tie, torch.tensor([[-100, 1]])).tolist() == [False]


@pytest.mark.unit
def test_soft_update_moves_targets_by_the_rate():
    online, target = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        online.weight.fill_(1.0)
        target.weight.fill_(0.0)
    losses.soft_update(target, online, 0.2)
    assert target.weight.item() == pytest.approx(0.2)


@pytest.mark.unit
def test_high_level_loss_joins_every_kth_step():
    roles = [active_roles(step, 4, {"high", "low", "progress"}) for step in range(8)]
    assert [("high" in r) for r in roles] == [False, False, False, True, False, False, False, True]
    assert all({"low", "progress"} <= set(r) for r in roles)


@pytest.mark.unit
def test_presets_and_config_checks():
    assert preset("paper").bc_lr == 1e-4 and preset("paper").lora.r == 16 and preset("paper").expectile_tau == 0.95
    assert preset("cpu-small", {"lora": {"r": 4}}).lora.alpha == PRESETS["cpu-small"]["lora"]["alpha"]
    with pytest.raises(ValueError, match="unknown training settings: bogus"):
        preset("paper", {"bogus": 1})
    with pytest.raises(ValueError, match="not a multiple"):
        TrainConfig(micro_batch_size=3, global_batch_size=128).accumulation_steps(1)
    with pytest.raises(ValueError, match="awr_beta_from_fit needs critic_fit_epochs"):
        preset("paper", {"awr_beta_from_fit": True})
    assert sorted(PRESETS) == sorted(ts_list("trainer.ts", "TRAIN_PRESETS")), "the protocol offers the trainer's presets"


@pytest.mark.unit
def test_learning_rate_schedule_warms_up_then_decays_to_a_tenth():
    cosine = TrainConfig(lr_schedule="cosine", warmup_steps=4)
    factors = [cosine.lr_factor(step, 20) for step in range(20)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert all(a >= b for a, b in zip(factors[3:], factors[4:], strict=False))
    assert abs(cosine.lr_factor(20, 20) - 0.1) < 1e-9 and factors[-1] > 0.1
    assert TrainConfig().lr_factor(7, 20) == 1.0
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="linear").check()


# ---- learning and resuming on the tiny model ----

def test_behaviour_cloning_loss_decreases_on_a_fixed_batch(workspace, tmp_path):
    """The step bc.py takes (Session.bc_role_step: bc_loss through the bucketed prefix step), on one batch held fixed."""
    from stephrl_train.session import open_session

    torch.manual_seed(0)
    cfg = preset("cpu-small", {**SMALL, "validation_fraction": 0.0})
    s = open_session("bc", cfg, workspace["db"], workspace["model"], str(tmp_path / "bc"), cpu=True)
    optimizer = torch.optim.AdamW([p for p in s.model.parameters() if p.requires_grad], lr=1e-2)
    s.model, optimizer = s.accelerator.prepare(s.model, optimizer)
    s.local_indices = lambda role: [0, 1, 2, 3]  # the same four samples every step
    history = []
    for _ in range(15):
        history.append(s.bc_role_step("low", last=True))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    assert history[-1] < history[0] * 0.8, history


def test_validation_holds_episodes_apart_and_keeps_the_best_adapter(workspace):
    # One of the two episodes is held apart: its transitions never train, its loss is measured every step, and the
    # final adapter is the one of the best validation (a large learning rate makes the loss wander, so the best is
    # not always the last; early stopping ends the run after two validations without a new best).
    out = workspace["dir"] / "validated"
    config = {**SMALL, "validation_fraction": 0.5, "eval_every": 1, "early_stopping_patience": 2, "bc_lr": 0.3}
    r = trainer("bc", "--db", workspace["db"], "--model", workspace["model"], "--steps", "12", "--out", str(out),
                "--config", json.dumps(config), "--no-export")
    assert r.returncode == 0, r.stderr
    ev = events(r.stdout)
    start = next(e for e in ev if e["event"] == "start")
    assert start["validation_examples"]["low"] > 0 and start["examples"]["low"] > 0
    validated = {e["step"]: e["values"]["val_loss"] for e in ev if e["event"] == "metrics" and "val_loss" in e["values"]}
    for e in ev:  # beside each validation loss, the share of held-apart targets greedy decoding writes exactly
        if e["event"] == "metrics" and "val_loss" in e["values"]:
            assert all(0.0 <= e["values"][f"val_exact_{role}"] <= 1.0 for role in ("low", "progress")), e
    assert ts_list("metrics.ts", "HEADLINE_LOSSES")[0] == "loss"  # BC's headline, logged at every step
    assert all("loss" in e["values"] for e in ev if e["event"] == "metrics")
    steps = sorted(validated)
    assert steps == list(range(1, steps[-1] + 1)), steps
    done = next(e for e in ev if e["event"] == "done")
    best = min(validated, key=validated.get)
    assert done["best_step"] == best and done["best_val_loss"] == pytest.approx(validated[best])
    with open(out / "final" / "best.json") as f:
        assert json.load(f)["step"] == best
    assert adapter_weights(out / "final" / "adapter").keys() == adapter_weights(out / "best" / "adapter").keys()
    for key, value in adapter_weights(out / "final" / "adapter").items():
        assert torch.equal(value, adapter_weights(out / "best" / "adapter")[key])
    if done["step"] < 12:  # stopped early: exactly `patience` validations after the best
        assert done["step"] - best == 2
    # The held-apart episode's game, as `stephrl eval --games @FILE` reads it.
    held = (out / "validation-games.txt").read_text().splitlines()
    games = [r[0] for r in sqlite3.connect(workspace["db"]).execute("SELECT game FROM episodes ORDER BY id")]
    assert len(held) == 1 and held[0] in games and held[0].startswith("json_2.1.1/valid_train/")
    with pytest.raises(ValueError, match="validation_fraction must be in"):
        preset("cpu-small", {"validation_fraction": 1.0})


def test_training_goes_on_from_an_adapter_gguf_as_from_its_folder(workspace):
    # A shipped adapter is a GGUF file and nothing else: training starts from it as from the peft folder it was
    # exported from (the same validation loss before and after a step), and validates it first, as step 0, so a run
    # that trains further keeps the adapter it started from unless a step validates better.
    d = workspace["dir"]
    common = ["--db", workspace["db"], "--model", workspace["model"]]
    first = trainer("bc", *common, "--steps", "2", "--out", str(d / "exported"), "--config", json.dumps(SMALL))
    assert first.returncode == 0, first.stderr
    folder = d / "exported" / "final" / "adapter"
    config = json.dumps({**SMALL, "validation_fraction": 0.5, "eval_every": 1})
    validated = {}
    for name, init in (("folder", folder), ("gguf", d / "exported" / "final" / "adapter.gguf")):
        r = trainer("bc", *common, "--steps", "1", "--out", str(d / f"from-{name}"), "--init-adapter", str(init),
                    "--config", config, "--no-export")
        assert r.returncode == 0, r.stderr
        validated[name] = {e["step"]: e["values"]["val_loss"] for e in events(r.stdout)
                           if e["event"] == "metrics" and "val_loss" in e["values"]}
    assert sorted(validated["gguf"]) == [0, 1]
    for step in (0, 1):
        assert validated["gguf"][step] == pytest.approx(validated["folder"][step], rel=1e-6), step
    best = json.loads((d / "from-gguf" / "final" / "best.json").read_text())
    assert best["step"] == min(validated["gguf"], key=validated["gguf"].get)


def adapter_weights(path):
    return load_file(os.path.join(path, "adapter_model.safetensors"))


def test_kill_and_resume_gives_the_same_weights_as_an_uninterrupted_run(workspace):
    d = workspace["dir"]
    common = ["--db", workspace["db"], "--model", workspace["model"], "--steps", "6", "--config", json.dumps(SMALL),
              "--no-export"]
    straight = trainer("bc", *common, "--out", str(d / "straight"))
    assert straight.returncode == 0, straight.stderr

    killed_out = str(d / "killed")
    proc = subprocess.Popen([sys.executable, "-m", "stephrl_train", "bc", *common, "--out", killed_out], cwd=ROOT,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    logged = []
    for line in proc.stdout:  # kill -9 right after the step-3 checkpoint is reported
        if '"metrics"' in line:
            logged.append(json.loads(line))
        if '"checkpoint"' in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not os.path.exists(os.path.join(killed_out, "final"))
    resumed = trainer("bc", *common, "--out", killed_out)
    assert resumed.returncode == 0, resumed.stderr
    start = events(resumed.stdout)[0]
    assert start["event"] == "start" and start["start_step"] == 3 and start["resumed_from"].endswith("step-0000003")
    # The runtime may have died before storing the checkpoint's own metrics line: the resume sends it again.
    assert start["replays_metrics"] is True
    assert events(resumed.stdout)[1] == logged[-1] and logged[-1]["step"] == 3

    a = adapter_weights(str(d / "straight" / "final" / "adapter"))
    b = adapter_weights(os.path.join(killed_out, "final", "adapter"))
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_a_finished_run_trained_further_matches_one_trained_straight_to_that_length(workspace):
    d = workspace["dir"]
    common = ["--db", workspace["db"], "--model", workspace["model"], "--config", json.dumps(SMALL), "--no-export"]
    straight = d / "straight"  # 6 steps with these settings, trained by the kill-and-resume test above
    if not (straight / "final").exists():
        assert trainer("bc", *common, "--steps", "6", "--out", str(straight)).returncode == 0

    staged = str(d / "staged")
    first = trainer("bc", *common, "--steps", "3", "--out", staged)
    assert first.returncode == 0, first.stderr
    again = trainer("bc", *common, "--steps", "3", "--out", staged)  # the same length again: nothing more to do
    assert events(again.stdout)[0]["start_step"] == 3 and events(again.stdout)[0]["total_steps"] == 3
    further = trainer("bc", *common, "--steps", "6", "--out", staged)
    assert further.returncode == 0, further.stderr
    start = events(further.stdout)[0]
    assert start["start_step"] == 3 and start["total_steps"] == 6 and start["config"]["max_steps"] == 6
    assert "extending the run at 6 steps" in further.stderr

    # A constant learning rate and the same data order: the same weights as one run of 6 steps.
    a = adapter_weights(str(straight / "final" / "adapter"))
    b = adapter_weights(os.path.join(staged, "final", "adapter"))
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_a_resumed_run_takes_only_its_schedule_settings_from_the_command(workspace):
    # Going on past a finished run may change when it validates and stops early, never what it trains.
    out = str(workspace["dir"] / "resettled")
    base = {**SMALL, "validation_fraction": 0.5, "eval_every": 1, "early_stopping_patience": 3}
    common = ["--db", workspace["db"], "--model", workspace["model"], "--no-export", "--out", out]
    first = trainer("bc", *common, "--steps", "2", "--config", json.dumps(base))
    assert first.returncode == 0, first.stderr
    lr = events(first.stdout)[0]["config"]["bc_lr"]
    changed = {**base, "eval_every": 2, "early_stopping_patience": 0, "bc_lr": lr * 10}
    further = trainer("bc", *common, "--steps", "4", "--config", json.dumps(changed))
    assert further.returncode == 0, further.stderr
    ev = events(further.stdout)
    config = ev[0]["config"]
    assert (config["eval_every"], config["early_stopping_patience"], config["bc_lr"]) == (2, 0, lr)
    assert "resumed with eval_every 1 -> 2, early_stopping_patience 3 -> 0" in further.stderr
    assert "keeps its own bc_lr" in further.stderr
    replayed, *trained = [e for e in ev if e["event"] == "metrics"]
    assert ev[0]["replays_metrics"] and replayed["step"] == 2  # the checkpoint's own line, sent again
    assert [e["step"] for e in trained if "val_loss" in e["values"]] == [4]


def test_sigterm_checkpoints_the_current_step_and_exits(workspace):
    out = str(workspace["dir"] / "cancelled")
    proc = subprocess.Popen([sys.executable, "-m", "stephrl_train", "bc", "--db", workspace["db"], "--model",
                             workspace["model"], "--steps", "50", "--config", json.dumps(SMALL), "--out", out],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["event"] == "metrics" and seen[-1]["step"] == 1:
            proc.send_signal(signal.SIGTERM)
    proc.wait()
    assert proc.returncode == 143
    stopped = [e for e in seen if e["event"] == "stopped"]
    assert len(stopped) == 1 and os.path.exists(os.path.join(stopped[0]["path"], "COMPLETE"))
    assert stopped[0]["step"] < 50


def test_offline_rl_trains_critics_then_the_actor(workspace):
    out = str(workspace["dir"] / "rl")
    r = trainer("rl", "--db", workspace["db"], "--model", workspace["model"], "--steps", "4", "--out", out,
                "--config", json.dumps({**SMALL, "critic_warmup_steps": 2}))
    assert r.returncode == 0, r.stderr
    metrics = [e for e in events(r.stdout) if e["event"] == "metrics"]
    assert [m["values"]["actor_active"] for m in metrics] == [0.0, 0.0, 1.0, 1.0]
    assert "loss_actor_low" not in metrics[0]["values"] and "loss_actor_low" in metrics[2]["values"]
    for name in ("loss_q_low", "loss_v_low", "loss_q_progress", "q_mean_low", "advantage_mean_low", "tokens_per_second"):
        assert name in metrics[-1]["values"], name
    assert "loss_q_high" in metrics[3]["values"]  # the fourth step is a high-level step
    # The headline losses the runtime and the extension summarise a run by (protocol/metrics.ts) are the ones logged.
    headline = ts_list("metrics.ts", "HEADLINE_LOSSES")
    assert {"loss_actor_low", "loss_q_low"} <= set(headline)
    assert "loss_q_low" in metrics[0]["values"] and "loss_actor_low" in metrics[-1]["values"]
    critics = torch.load(os.path.join(out, "final", "critics.pt"))
    assert any(k.startswith("online.low.q_head") for k in critics) and any(k.startswith("target.high.v_head") for k in critics)
    assert os.path.getsize(os.path.join(out, "final", "adapter.gguf")) > 0


def test_offline_rl_fits_the_critics_on_every_transition_before_the_actor_moves(workspace):
    from stephrl_train.backbone import add_lora, load_backbone
    from stephrl_train.config import LoraConfig
    from stephrl_train.critic import Critics, FeatureCache, features_fingerprint
    from stephrl_train.data import collate, load_examples

    out = str(workspace["dir"] / "rl-fit")
    fit = {**SMALL, "critic_fit_epochs": 60, "critic_fit_batch": 16, "critic_warmup_steps": 0, "critic_hidden": 64,
           "critic_lr": 1e-3, "awr_beta_from_fit": True}
    r = trainer("rl", "--db", workspace["db"], "--model", workspace["model"], "--steps", "1", "--out", out,
                "--no-export", "--config", json.dumps(fit))
    assert r.returncode == 0, r.stderr
    notes = [e["message"] for e in events(r.stdout) if e["event"] == "note"]
    assert any(n.startswith("critics fitted (low") for n in notes) and any(n.startswith("critic features (low)") for n in notes)
    report = json.load(open(os.path.join(out, "critic-fit.json")))
    beta = report.pop("awr_beta")
    assert set(report) == {"high", "low", "progress"}
    assert all(v == v and abs(v) < 1e6 for role in report.values() for v in role.values())
    # awr_beta from the fit: the low-level advantages' spread, to one significant figure, kept for the actor's steps
    # (the checkpoint's settings, which a resumed run reads).
    assert 0 < beta <= 1 and beta == min(1.0, float(f"{report['low']['advantage_std']:.1g}")), (beta, report["low"])
    assert any(n == f"awr_beta {beta:g}: the fitted low-level advantages' standard deviation" for n in notes)
    assert torch.load(os.path.join(out, "final", "trainer.pt"), weights_only=False)["config"]["awr_beta"] == beta
    assert "advantage_mean_expert" in report["low"] and "weight_mean_expert" in report["low"]  # the set is expert only

    # The one-pass features are the ones the per-batch path computes: a reused next state included; a done
    # transition's next state (never bootstrapped from) is zeros.
    base, tokenizer = load_backbone(workspace["model"])
    model = add_lora(base, LoraConfig())
    examples = load_examples(workspace["db"], 1, tokenizer, SMALL["max_length"], log=lambda _: None)
    kept = torch.load(os.path.join(out, "critic-features.pt"))
    assert kept["fingerprint"] == features_fingerprint(examples, workspace["model"])
    stored = kept["features"]
    low = examples["low"]
    lazy = FeatureCache().features(model, "low", collate(low, list(range(len(low))), tokenizer.pad_token_id))
    for i, e in enumerate(low):
        fs, fu, fn = stored[("low", i)]
        assert torch.allclose(fs, lazy[0][i], atol=1e-4) and torch.allclose(fu, lazy[1][i], atol=1e-4)
        assert torch.equal(fn, torch.zeros_like(fn)) if e.done else torch.allclose(fn, lazy[2][i], atol=1e-4)
    assert any(not e.done for e in low) and any(e.done for e in low)

    # Block by block (a next state across a block's edge costs its own pass, with the same value); stopped after the
    # first block, a second fill computes only the rest.
    blocks, seen = FeatureCache(), []

    def stop_after_first(done, total):
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        blocks.fill(model, "low", low, 4, tokenizer.pad_token_id, "cpu", block=3, after_block=stop_after_first)
    assert seen == [(3, len(low))] and len(blocks.store) == 3
    blocks.fill(model, "low", low, 4, tokenizer.pad_token_id, "cpu", block=3, after_block=lambda d, t: seen.append((d, t)))
    assert seen[1:] == [(k, len(low)) for k in range(6, len(low), 3)] + [(len(low), len(low))] and len(blocks.store) == len(low)
    for i in range(len(low)):
        assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(blocks.store[("low", i)], stored[("low", i)], strict=True))

    # The kept file is read back only for the same transitions and backbone: rewards aside, anything else (one
    # transition fewer, a changed target, another model) computes the features again instead of misreading them.
    path = os.path.join(out, "critic-features.pt")
    assert FeatureCache(kept["fingerprint"]).load(path) is None
    rewarded = {**examples, "low": [dataclasses.replace(e, reward=e.reward + 1) for e in low]}
    assert FeatureCache(features_fingerprint(rewarded, workspace["model"])).load(path) is None
    retargeted = {**examples, "low": [dataclasses.replace(low[0], target_ids=low[0].target_ids[1:]), *low[1:]]}
    for other in ({**examples, "low": low[1:]}, retargeted):
        refused = FeatureCache(features_fingerprint(other, workspace["model"]))
        assert refused.load(path) is not None and not refused.store
    assert FeatureCache(features_fingerprint(examples, workspace["model"] + ".other")).load(path) is not None
    os.makedirs(out + "-stale")
    torch.save({**kept, "fingerprint": "other transitions"}, os.path.join(out + "-stale", "critic-features.pt"))
    stale = trainer("rl", "--db", workspace["db"], "--model", workspace["model"], "--steps", "1", "--out", out + "-stale",
                    "--no-export", "--config", json.dumps(fit))
    assert stale.returncode == 0, stale.stderr[-2000:]
    assert any("not used (computed from other transitions" in e.get("message", "") for e in events(stale.stdout))

    # Fitted: Q(s, a) of a transition that ends its subtask is its reward (nothing is bootstrapped there), which a
    # fresh critic is far from.
    width = lazy[0].shape[1]
    fitted, fresh = Critics(["high", "low", "progress"], width, 64), Critics(["high", "low", "progress"], width, 64)
    fitted.load_state_dict(torch.load(os.path.join(out, "final", "critics.pt")))
    ends = [i for i, e in enumerate(low) if e.done]
    feats = torch.stack([stored[("low", i)][1] for i in ends])
    reward = torch.tensor([low[i].reward for i in ends])
    with torch.no_grad():
        error = (fitted.online["low"].q(feats) - reward).abs().mean()
        before = (fresh.online["low"].q(feats) - reward).abs().mean()
    assert error < 0.15 and error < before / 3, (float(error), float(before))


def test_two_cpu_processes_train_as_one_data_parallel_run(workspace):
    # As `stephrl train --processes 2 --cpu` starts it: torchrun, picked up by accelerate (gloo).
    out = str(workspace["dir"] / "ddp")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "stephrl_train", "bc",
                        "--db", workspace["db"], "--model", workspace["model"], "--steps", "2", "--out", out,
                        "--cpu", "--no-export", "--config", json.dumps(SMALL)],
                       cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    evs = events(r.stdout)
    assert evs[0]["processes"] == 2
    assert [e["step"] for e in evs if e["event"] == "metrics"] == [1, 2]  # only the main process reports
    assert os.path.exists(os.path.join(out, "final", "adapter", "adapter_model.safetensors"))


def test_two_processes_share_the_critic_features_instead_of_each_computing_all(workspace):
    from stephrl_train.backbone import add_lora, load_backbone
    from stephrl_train.config import LoraConfig
    from stephrl_train.critic import FeatureCache
    from stephrl_train.data import collate, load_examples
    from stephrl_train.offline_rl import feature_share

    assert [list(feature_share(5, r, 2)) for r in range(2)] == [[0, 1], [2, 3, 4]]
    assert [len(feature_share(7, r, 3)) for r in range(3)] == [2, 2, 3]
    out = str(workspace["dir"] / "ddp-rl")
    fit = {**SMALL, "critic_fit_epochs": 2, "critic_warmup_steps": 0}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "stephrl_train", "rl",
                        "--db", workspace["db"], "--model", workspace["model"], "--steps", "1", "--out", out,
                        "--cpu", "--no-export", "--config", json.dumps(fit)],
                       cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    notes = [e["message"] for e in events(r.stdout) if e["event"] == "note"]
    assert any("(this process's share of " in n for n in notes), notes
    # Gathered whole, and each the feature one process computes alone.
    base, tokenizer = load_backbone(workspace["model"])
    model = add_lora(base, LoraConfig())
    low = load_examples(workspace["db"], 1, tokenizer, SMALL["max_length"], log=lambda _: None)["low"]
    stored = torch.load(os.path.join(out, "critic-features.pt"))["features"]
    alone = FeatureCache().features(model, "low", collate(low, list(range(len(low))), tokenizer.pad_token_id))
    assert sorted(i for role, i in stored if role == "low") == list(range(len(low)))
    for i, e in enumerate(low):
        fs, fu, fn = stored[("low", i)]
        assert torch.allclose(fs, alone[0][i], atol=1e-4) and torch.allclose(fu, alone[1][i], atol=1e-4)
        assert torch.equal(fn, torch.zeros_like(fn)) if e.done else torch.allclose(fn, alone[2][i], atol=1e-4)


def test_accelerate_configs_load():
    from accelerate.commands.config.config_args import load_config_from_file

    folder = os.path.join(ROOT, "runtime", "python", "accelerate")
    kinds = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".yaml"):
            kinds[name] = str(load_config_from_file(os.path.join(folder, name)).distributed_type)
    assert "DEEPSPEED" in kinds["deepspeed-zero2.yaml"]
    assert "FSDP" in kinds["fsdp.yaml"]


def test_gradient_checkpointing_trains(workspace):
    r = trainer("bc", "--db", workspace["db"], "--model", workspace["model"], "--steps", "1", "--no-export",
                "--out", str(workspace["dir"] / "checkpointing"), "--config", json.dumps({**SMALL, "gradient_checkpointing": True}))
    assert r.returncode == 0, r.stderr
    assert [e["event"] for e in events(r.stdout)] == ["start", "metrics", "done"]


def test_compiled_blocks_train_as_the_eager_model(workspace):
    # compile_layers (torch.compile of each decoder block, for GPUs) changes how the steps run, not what they compute:
    # the same losses as the eager run, step by step, and an adapter with the same parameter names.
    runs = {}
    for compiled in (False, True):
        out = str(workspace["dir"] / f"compiled-{compiled}")
        r = trainer("bc", "--db", workspace["db"], "--model", workspace["model"], "--steps", "2", "--no-export",
                    "--out", out, "--cpu", "--config", json.dumps({**SMALL, "compile_layers": compiled}), timeout=900)
        assert r.returncode == 0, r.stderr[-3000:]
        runs[compiled] = [e["values"]["loss"] for e in events(r.stdout) if e["event"] == "metrics"]
        if compiled:
            assert any("decoder blocks compile" in e["message"] for e in events(r.stdout) if e["event"] == "note"), r.stdout
        runs[f"names-{compiled}"] = sorted(load_file(os.path.join(out, "final", "adapter", "adapter_model.safetensors")))
    assert len(runs[True]) == 2 and runs[True] == pytest.approx(runs[False], rel=1e-4)
    assert runs["names-True"] == runs["names-False"]


def test_bad_model_file_is_a_clear_error(workspace):
    bad = workspace["dir"] / "broken.gguf"
    bad.write_bytes(b"not a model at all")
    r = trainer("bc", "--db", workspace["db"], "--model", str(bad), "--steps", "1", "--out", str(workspace["dir"] / "bad"))
    assert r.returncode == 2
    assert "is not a GGUF file" in events(r.stdout)[-1]["message"]
