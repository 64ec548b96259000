"""Tiny random-weight stand-ins for models too large to ship, labelled as such in their config.

They have the real architecture and the real vocabulary size, so code written for the real model
runs unchanged (tokenizer ids fit, shapes are right), but what they generate is noise.
Weights are drawn from a fixed seed: the same stand-in is built byte for byte every time.
"""

from __future__ import annotations

from typing import Any

STAND_IN_KEY = "grader_stand_in"
SEED = 20240901


def stand_in_label(real_name: str) -> str:
    return (
        f"tiny random-weight stand-in for {real_name}, built by grader for offline use; "
        "not the real model: its outputs are meaningless"
    )


def tiny_gpt2(vocab_size: int = 50257, eos_token_id: int = 50256) -> Any:
    """A 2-layer, 2-head GPT-2 with 32-dimensional states and GPT-2's vocabulary size."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=1024,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
    )
    setattr(config, STAND_IN_KEY, stand_in_label("gpt2"))  # kept in config.json by to_dict()
    torch.manual_seed(SEED)
    model: Any = GPT2LMHeadModel(config)
    model.generation_config.pad_token_id = eos_token_id
    return model.eval()


def tiny_bert(vocab_size: int = 30522, name: str = "grader/tiny-bert") -> Any:
    """A 2-layer, 2-head BERT encoder, 32-dimensional states, the uncased BERT vocabulary."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    setattr(config, STAND_IN_KEY, stand_in_label(name))
    torch.manual_seed(SEED)
    model: Any = BertModel(config)
    return model.eval()
