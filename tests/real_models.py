"""Randomly initialised models of real architectures (Qwen3, Llama) carrying the real Qwen3 tokenizer.

They have every property a real checkpoint brings (a 150k vocabulary padded past the tokenizer, special tokens,
a Jinja chat template with a thinking block, ``<|im_end|>`` as EOS, a pad token that is not EOS, several end
ids in ``generation_config.json``, bf16 weights) except knowledge. The tokenizer files are vendored in
``tests/fixtures/qwen3_tokenizer`` (Apache-2.0, see its NOTICE).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import torch
from transformers import (
    AutoTokenizer,
    GenerationConfig,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerBase,
    Qwen3Config,
    Qwen3ForCausalLM,
)

FIXTURE = Path(__file__).parent / "fixtures" / "qwen3_tokenizer"
QWEN3_VOCAB = 151936  # the checkpoints' embedding size: larger than the tokenizer's 151,669 entries

# A Llama-3-style template (written for these tests): BOS in the template, headers, <|eot_id|> ends a turn.
LLAMA_STYLE_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
LLAMA_SPECIALS = ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]


def qwen3_tokenizer_dir(out: Path) -> Path:
    """The real Qwen3 tokenizer and chat template, unpacked into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(FIXTURE / "tokenizer.json.gz", "rb") as src, open(out / "tokenizer.json", "wb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(FIXTURE / "tokenizer_config.json", out / "tokenizer_config.json")
    return out


def llama_style_tokenizer(qwen3_dir: Path) -> PreTrainedTokenizerBase:
    """The Qwen3 vocabulary with Llama-3-style special tokens and template: BOS from the template, EOT ends a turn."""
    tok = AutoTokenizer.from_pretrained(qwen3_dir, local_files_only=True)
    tok.add_special_tokens({"additional_special_tokens": LLAMA_SPECIALS})
    tok.bos_token, tok.eos_token, tok.pad_token = "<|begin_of_text|>", "<|eot_id|>", "<|endoftext|>"
    tok.chat_template = LLAMA_STYLE_TEMPLATE
    return tok


def save_random_model(arch: str, tokenizer: PreTrainedTokenizerBase, out: Path, dtype: torch.dtype = torch.bfloat16,
                      seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """A randomly initialised ``arch`` ("qwen3" or "llama") model with ``tokenizer``, saved as a HF checkpoint."""
    common = dict(vocab_size=max(QWEN3_VOCAB, len(tokenizer)), hidden_size=hidden, intermediate_size=2 * hidden,
                  num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2, head_dim=hidden // 4,
                  max_position_embeddings=1024, tie_word_embeddings=True,
                  bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                  pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    if arch == "qwen3":
        model = Qwen3ForCausalLM(Qwen3Config(**common))
    elif arch == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    else:
        raise ValueError(arch)
    model = model.to(dtype)
    # As real checkpoints do: several ids end generation (end of turn and end of text).
    ends = [i for i in (tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|endoftext|>")) if i is not None]
    model.generation_config = GenerationConfig(eos_token_id=sorted(set(ends)), pad_token_id=tokenizer.pad_token_id,
                                               bos_token_id=tokenizer.bos_token_id)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
