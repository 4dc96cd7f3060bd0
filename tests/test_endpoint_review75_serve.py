"""Session 75's review of serve's content parts: the Responses API's text parts, read as text as vLLM reads them."""

from __future__ import annotations

import pytest

from safealign.serve.protocol import RequestError, refuse_unsupported, validate_chat


@pytest.mark.parametrize("kind", ["input_text", "output_text"])
def test_serve_reads_responses_style_text_parts_as_text(kind):
    """vLLM reads input_text and output_text parts as text parts; serve answered them with a 400."""
    turns = [
        {"role": "user", "content": [{"type": kind, "text": "Translate to French:"}, {"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": kind, "text": "Salut"}]},
        {"role": "user", "content": "Thanks"},
    ]
    chat = validate_chat({"messages": turns})
    refuse_unsupported(chat)
    assert [turn["content"] for turn in chat.chat()] == ["Translate to French:\nHi", "Salut", "Thanks"]


def test_serve_still_refuses_a_part_it_cannot_read():
    chat = validate_chat({"messages": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]})
    with pytest.raises(RequestError) as refused:
        refuse_unsupported(chat)
    assert refused.value.param == "messages.0.content.0"
    assert "a 'input_image' part; this server reads text parts only: send the content as text" in refused.value.message
