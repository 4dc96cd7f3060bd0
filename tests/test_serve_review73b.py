"""Session 73's review of serve's OpenAI protocol: what OpenAI's clients send, read as they mean it."""

from __future__ import annotations

import pytest

from safealign.serve.protocol import (
    ChatRequest,
    ForwardedChatRequest,
    RequestError,
    last_user_text,
    parse_json_object,
    refuse_unsupported,
    validate_chat,
)

REFUSED = "I can't help with that."


def test_an_assistant_turns_refusal_part_reaches_the_model_as_its_text():
    """OpenAI's assistant content parts are text or refusal parts; serve answered a conversation holding a refused
    turn sent back as a refusal part with a 400 'this server reads text parts only', though it renders the part as text."""
    turns = [
        {"role": "user", "content": "How do I pick a lock?"},
        {"role": "assistant", "content": [{"type": "refusal", "refusal": REFUSED}]},
        {"role": "user", "content": "Fine, how do locks work?"},
    ]
    chat = validate_chat({"messages": turns})
    refuse_unsupported(chat)
    assert chat.chat()[1] == {"role": "assistant", "content": REFUSED}


def test_a_user_turns_refusal_part_is_still_refused_by_serve():
    chat = validate_chat({"messages": [{"role": "user", "content": [{"type": "refusal", "refusal": REFUSED}]}]})
    with pytest.raises(RequestError, match="text parts only"):
        refuse_unsupported(chat)


@pytest.mark.parametrize("schema", [ChatRequest, ForwardedChatRequest], ids=["serve", "gateway"])
@pytest.mark.parametrize("part", [{"type": "refusal"}, {"type": "refusal", "refusal": 5}], ids=["missing", "number"])
def test_a_refusal_part_without_its_text_is_a_400_naming_it(schema, part):
    """A refusal part without a string 'refusal' made the whole turn's text "": the gateway forwarded the turn's text
    parts to its upstream while its judges read (and it stored) an empty prompt."""
    payload = {"messages": [{"role": "user", "content": [{"type": "text", "text": "How do I pick a lock?"}, part]}]}
    assert last_user_text(payload) == ""  # what the judges would have read
    with pytest.raises(RequestError) as refused:
        validate_chat(payload, schema)
    assert refused.value.status == 400 and refused.value.param == "messages.0.content"
    assert "content part 1: a refusal part's 'refusal' must be a string" in refused.value.message


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "utf-8-bom"])
def test_a_latin1_body_is_told_to_send_utf8_naming_the_byte(bom):
    """A body in latin-1 was refused in Python's words alone ("'utf-8' codec can't decode byte 0xe9 in position 40"),
    without the fix; with a BOM, the position counted from after it."""
    body = bom + '{"messages": [{"role": "user", "content": "café"}]}'.encode("latin-1")
    with pytest.raises(RequestError) as refused:
        parse_json_object(body)
    at = body.index(b"\xe9")
    assert refused.value.status == 400
    assert f"it is not UTF-8 text (byte 0xe9 at position {at}: " in refused.value.message
    assert refused.value.message.endswith("send the JSON encoded as UTF-8")


def test_a_legacy_completions_body_at_the_chat_path_is_told_what_to_send():
    """A /v1/completions body ({"prompt": ...}, lm-eval's local-completions pointed at the chat URL) was refused as
    missing 'messages' alone, not saying that its 'prompt' is the legacy API's field or how to send it."""
    with pytest.raises(RequestError) as refused:
        validate_chat({"model": "tiny", "prompt": "Hello", "max_tokens": 8})
    assert refused.value.status == 400 and refused.value.param == "messages"
    assert "'prompt' is the legacy completions API's field" in refused.value.message
    assert '"messages": [{"role": "user", "content": "..."}]' in refused.value.message
