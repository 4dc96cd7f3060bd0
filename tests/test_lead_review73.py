"""Lead follow-ups of the seventy-third session's review round."""

from __future__ import annotations

import pytest
import typer
from safetensors import SafetensorError

from safealign.cli.common import friendly_errors


def test_a_full_disk_under_a_safetensors_write_is_one_line_and_other_safetensors_errors_still_raise(capsys):
    """safetensors raises SafetensorError, no OSError, for a model.safetensors written on a full disk: the CLI printed
    its traceback though errors.disk_full_message reads it."""

    @friendly_errors
    def fails(error):
        raise error

    with pytest.raises(typer.Exit) as exit_info:
        fails(SafetensorError("Error while serializing: IoError(No space left on device (os error 28))"))
    assert exit_info.value.exit_code == 2
    stderr = " ".join(capsys.readouterr().err.split())
    assert "disk" in stderr and "rerun the same command" in stderr, stderr
    with pytest.raises(SafetensorError, match="header too large"):
        fails(SafetensorError("Error while deserializing header: HeaderTooLarge (header too large)"))
    with pytest.raises(ValueError, match="other"):
        fails(ValueError("other"))


@pytest.mark.parametrize(
    "field, value, default",
    [
        ("structural_tag", {"type": "structural_tag", "structures": []}, None),
        ("logits_processors", ["my.module.Processor"], None),
        ("truncate_prompt_tokens", 16, None),
        ("web_search_options", {}, None),
        ("verbosity", "low", "medium"),
    ],
)
def test_vllm_and_openai_fields_serve_cannot_honour_are_a_400_naming_them(field, value, default):
    """vLLM's structural_tag and logits_processors, truncate_prompt_tokens (the prompt cut to its last k tokens) and
    OpenAI's web_search_options and verbosity were answered as if absent: a plain answer to the whole prompt."""
    from safealign.serve.protocol import RequestError, refuse_unsupported, validate_chat

    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(RequestError) as refused:
        refuse_unsupported(validate_chat({"messages": messages, field: value}))
    assert refused.value.status == 400 and refused.value.param == field and f"'{field}'" in refused.value.message
    refuse_unsupported(validate_chat({"messages": messages, field: default}))  # the default asks for nothing
