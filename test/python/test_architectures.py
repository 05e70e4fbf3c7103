"""Backbone families on the PyTorch side, without llama.cpp (test/runtime/architectures.test.ts runs the parity check
against llama.cpp): LoRA target modules resolved per family, fused layers included; the GGUF names of a multimodal
Gemma 3's adapter; the GGUF header reader against the gguf package's reader."""
import json

import numpy as np
import pytest

from stephrl_train.architectures import describe_base_model, gguf_metadata
from stephrl_train.backbone import add_lora, lora_target_modules
from stephrl_train.config import LoraConfig
from stephrl_train.export_gguf import ExportError, check_exportable, export_adapter
from stephrl_train.import_gguf import import_adapter, linear_shapes

TINY = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2}
LLAMA_NAMES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def tiny(config_class: str, **extra):
    import transformers

    config = getattr(transformers, config_class)(**{**TINY, **extra})
    return transformers.AutoModelForCausalLM.from_config(config)


def leaf_names(names):
    return sorted({n.rsplit(".", 1)[-1] for n in names})


@pytest.mark.unit
def test_llama_names_select_phi3s_fused_layers_and_nothing_else_than_the_blocks():
    model = tiny("Phi3Config", pad_token_id=0)
    assert leaf_names(lora_target_modules(model, LLAMA_NAMES)) == ["down_proj", "gate_up_proj", "o_proj", "qkv_proj"]
    assert leaf_names(lora_target_modules(model, ["q_proj", "k_proj", "v_proj", "o_proj"])) == ["o_proj", "qkv_proj"]
    assert lora_target_modules(model, ["all-linear"]) == lora_target_modules(model, LLAMA_NAMES)
    assert not any("lm_head" in n for n in lora_target_modules(model, ["all-linear"]))
    with pytest.raises(ValueError, match="computes k_proj, q_proj, v_proj in one layer, qkv_proj"):
        lora_target_modules(model, ["q_proj", "v_proj"])


@pytest.mark.unit
def test_explicit_names_keep_working_and_unknown_ones_are_named():
    model = tiny("LlamaConfig")
    assert len(lora_target_modules(model, LLAMA_NAMES)) == 7 * 2
    assert leaf_names(lora_target_modules(model, ["self_attn.q_proj"])) == ["q_proj"]
    with pytest.raises(ValueError, match="qkv_proj match no linear layer .* 'llama' model"):
        lora_target_modules(model, ["qkv_proj"])


@pytest.mark.unit
def test_a_multimodal_gemma3_adapts_and_exports_only_its_text_decoder(tmp_path):
    import transformers

    config = transformers.Gemma3Config(
        text_config={**TINY, "head_dim": 8, "sliding_window": 16},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 28, "patch_size": 14},
        mm_tokens_per_image=4)
    model = transformers.Gemma3ForConditionalGeneration(config)
    targets = lora_target_modules(model, ["all-linear"])
    assert len(targets) == 7 * 2 and all(".language_model.layers." in n for n in targets), targets
    # Its vision tower has q_proj too: the default names must not reach it.
    assert all(".language_model." in n for n in lora_target_modules(model, ["q_proj"]))
    base = tmp_path / "gemma3"
    config.save_pretrained(base)
    adapted = add_lora(model, LoraConfig(r=2, alpha=4.0, dropout=0.0, target_modules=["all-linear"]))
    adapted.save_pretrained(tmp_path / "adapter")
    out = export_adapter(str(tmp_path / "adapter"), str(base), str(tmp_path / "adapter.gguf"))
    assert out["architecture"] == "gemma3" and out["tensors"] == 7 * 2 * 2
    from gguf import GGUFReader

    names = {t.name for t in GGUFReader(out["path"]).tensors}
    assert "blk.1.attn_q.weight.lora_a" in names and "blk.0.ffn_gate.weight.lora_b" in names


@pytest.mark.unit
def test_an_exported_adapter_reads_back_as_the_same_peft_adapter(tmp_path):
    # GGUF -> peft is export's inverse: every matrix as it was (the q and k rows permuted back from llama.cpp's rotary
    # layout), the same rank, alpha and layers; and an adapter made for another base model is refused by its shapes.
    import torch
    from safetensors.numpy import load_file

    torch.manual_seed(0)
    model = tiny("LlamaConfig")
    base = tmp_path / "llama"
    model.config.save_pretrained(base)
    shapes = linear_shapes(model)
    adapted = add_lora(model, LoraConfig(r=2, alpha=6.0, dropout=0.0, target_modules=LLAMA_NAMES))
    with torch.no_grad():
        for name, p in adapted.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.5)
    adapted.save_pretrained(tmp_path / "adapter")
    export_adapter(str(tmp_path / "adapter"), str(base), str(tmp_path / "adapter.gguf"))

    out = import_adapter(str(tmp_path / "adapter.gguf"), str(base), shapes, str(tmp_path / "back"))
    assert (out["layers"], out["rank"], out["alpha"]) == (7 * 2, 2, 6.0)
    original = load_file(str(tmp_path / "adapter" / "adapter_model.safetensors"))
    back = load_file(str(tmp_path / "back" / "adapter_model.safetensors"))
    assert back.keys() == original.keys()
    for key in original:
        assert np.array_equal(back[key], original[key]), key
    config = json.loads((tmp_path / "back" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"], len(config["target_modules"])) == (2, 6.0, 7 * 2)
    # A permutation that were not undone would leave q's B rows in another order (4 heads of 8 rows, 2 kv heads).
    q_b = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"
    from gguf import GGUFReader
    stored = {t.name: np.array(t.data) for t in GGUFReader(str(tmp_path / "adapter.gguf")).tensors}
    assert not np.array_equal(stored["blk.0.attn_q.weight.lora_b"], original[q_b])

    wider = tiny("LlamaConfig", hidden_size=48)
    with pytest.raises(ExportError, match="do not fit the base model's model.layers.0"):
        import_adapter(str(tmp_path / "adapter.gguf"), str(base), linear_shapes(wider), str(tmp_path / "wrong"))


@pytest.mark.unit
def test_an_unsupported_family_is_named(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "stablelm", "num_attention_heads": 4}))
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4}))
    assert describe_base_model(str(tmp_path)).architecture == "stablelm"
    with pytest.raises(ExportError, match="'stablelm' architecture is not supported"):
        check_exportable(str(tmp_path))
    with pytest.raises(ExportError, match="'stablelm' architecture is not supported"):
        export_adapter(str(tmp_path), str(tmp_path), str(tmp_path / "out.gguf"))
    check_exportable(str(tmp_path / "missing.gguf"))  # not a model: left to the loader, which says so


@pytest.mark.unit
def test_the_header_reader_reads_what_the_gguf_package_reads(tmp_path):
    import gguf

    path = str(tmp_path / "m.gguf")
    writer = gguf.GGUFWriter(path, "qwen3")
    writer.add_block_count(3)
    writer.add_head_count(8)
    writer.add_key_length(128)
    writer.add_float32("qwen3.rope.freq_base", 1e6)
    writer.add_bool("x.flag", True)
    writer.add_token_list(["a", "bb", "ccc"])  # arrays are skipped
    writer.add_array("x.numbers", [1, 2, 3])
    writer.add_string("x.after", "read past the arrays")
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((2, 2), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    metadata = gguf_metadata(path)
    reader = gguf.GGUFReader(path)
    for key in ("general.architecture", "qwen3.block_count", "qwen3.attention.head_count", "qwen3.attention.key_length",
                "qwen3.rope.freq_base", "x.flag", "x.after"):
        assert metadata[key] == pytest.approx(reader.fields[key].contents()), key
    assert "tokenizer.ggml.tokens" not in metadata
    base = describe_base_model(path)
    assert (base.architecture, base.heads, base.kv_heads, base.blocks, base.exportable) == ("qwen3", 8, 8, 3, True)
