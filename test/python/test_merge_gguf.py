"""merge_gguf: W + (alpha / r) * B @ A for every adapted matrix, everything else byte for byte; wrong inputs refused."""
from __future__ import annotations

import os

import gguf
import numpy as np
import pytest

from stephrl_train.merge_gguf import MergeError, merge_adapter

pytestmark = pytest.mark.unit
RNG = np.random.default_rng(7)
ROWS, COLS, RANK, ALPHA = 64, 96, 4, 8.0


def write_base(path: str, q_type=gguf.GGMLQuantizationType.Q8_0) -> dict:
    tensors = {
        "blk.0.attn_q.weight": RNG.standard_normal((ROWS, COLS)).astype(np.float32),
        "blk.0.attn_v.weight": RNG.standard_normal((ROWS, COLS)).astype(np.float32),
        "blk.0.attn_norm.weight": RNG.standard_normal(COLS).astype(np.float32),
    }
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_block_count(1)
    writer.add_string("general.name", "tiny")
    for name, value in tensors.items():
        if value.ndim == 2 and q_type == gguf.GGMLQuantizationType.F16:
            writer.add_tensor(name, value.astype(np.float16))
        elif value.ndim == 2:
            writer.add_tensor(name, gguf.quants.quantize(value, q_type), raw_dtype=q_type)
        else:
            writer.add_tensor(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return tensors


def write_adapter(path: str, targets=("blk.0.attn_q.weight",), kind="adapter", architecture="llama") -> dict:
    pairs = {t: (RNG.standard_normal((RANK, COLS)).astype(np.float32), RNG.standard_normal((ROWS, RANK)).astype(np.float32)) for t in targets}
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_string("general.type", kind)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", ALPHA)
    for name, (a, b) in pairs.items():
        writer.add_tensor(name + ".lora_a", a)
        writer.add_tensor(name + ".lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return pairs


def tensors_of(path: str) -> dict:
    return {t.name: t for t in gguf.GGUFReader(path).tensors}


def merged(tmp_path, base_type=gguf.GGMLQuantizationType.Q8_0, out_type="auto"):
    """Merges a random adapter into a random base of that type: the base's and the merged model's tensors, the exact
    merged query matrix (fp32) and the merge's report."""
    base, adapter, out = (str(tmp_path / n) for n in ("base.gguf", "adapter.gguf", "merged.gguf"))
    write_base(base, base_type)
    (a, b), = write_adapter(adapter).values()
    report = merge_adapter(base, adapter, out, out_type)
    original = tensors_of(base)
    q = original["blk.0.attn_q.weight"]
    exact = gguf.quants.dequantize(q.data, q.tensor_type).astype(np.float32) + (ALPHA / RANK) * (b @ a)
    return original, tensors_of(out), exact, report


def test_merge_adds_the_scaled_product_and_copies_the_rest(tmp_path):
    original, result, exact, report = merged(tmp_path, out_type="f32")
    assert report["merged"] == 1 and report["alpha"] == ALPHA
    np.testing.assert_allclose(np.asarray(result["blk.0.attn_q.weight"].data), exact, rtol=1e-6, atol=1e-5)
    for name in ("blk.0.attn_v.weight", "blk.0.attn_norm.weight"):  # not adapted: the same bytes, the same type
        assert result[name].tensor_type == original[name].tensor_type
        assert np.array_equal(np.asarray(result[name].data), np.asarray(original[name].data))
    assert gguf.GGUFReader(str(tmp_path / "merged.gguf")).fields["general.name"].contents() == "tiny"
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]


def test_q8_0_output_stays_within_its_rounding(tmp_path):
    _, result, exact, _ = merged(tmp_path)
    q = result["blk.0.attn_q.weight"]
    assert q.tensor_type == gguf.GGMLQuantizationType.Q8_0
    error = np.abs(gguf.quants.dequantize(q.data, q.tensor_type) - exact)
    assert error.max() <= np.abs(exact).max() / 127  # half a step of the coarsest Q8_0 block, with margin


def test_a_float_base_keeps_its_type(tmp_path):
    _, result, exact, _ = merged(tmp_path, gguf.GGMLQuantizationType.F16)
    q = result["blk.0.attn_q.weight"]
    assert q.tensor_type == gguf.GGMLQuantizationType.F16
    np.testing.assert_allclose(np.asarray(q.data, dtype=np.float32), exact, rtol=1e-3, atol=1e-2)


def test_wrong_inputs_are_refused_by_what_is_wrong(tmp_path):
    base = str(tmp_path / "base.gguf")
    write_base(base)
    not_adapter = str(tmp_path / "model.gguf")
    write_adapter(not_adapter, kind="model")
    with pytest.raises(MergeError, match="not a LoRA adapter GGUF"):
        merge_adapter(base, not_adapter, str(tmp_path / "out.gguf"))
    other_arch = str(tmp_path / "qwen.gguf")
    write_adapter(other_arch, architecture="qwen2")
    with pytest.raises(MergeError, match="the adapter is for 'qwen2', the model is 'llama'"):
        merge_adapter(base, other_arch, str(tmp_path / "out.gguf"))
    stranger = str(tmp_path / "stranger.gguf")
    write_adapter(stranger, targets=("blk.7.attn_q.weight",))
    with pytest.raises(MergeError, match="does not have: blk.7.attn_q.weight"):
        merge_adapter(base, stranger, str(tmp_path / "out.gguf"))
    with pytest.raises(MergeError, match="one of"):
        merge_adapter(base, str(tmp_path / "adapter.gguf"), str(tmp_path / "out.gguf"), "q4_1")
