"""The text of an OpenAI chat message's ``content``: what a request to `serve` or the gateway carries, and what an
endpoint under evaluation or a rubric judge answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The content-part types that carry text, each with the key its text is under: a text part's "text", and an assistant
# turn's refusal part's "refusal" (a refusal in the message's ``refusal`` field is text too).
TEXT_PARTS = {"text": "text", "refusal": "refusal"}
# What the monitor gateway reads as text besides (its request's prompt, its upstream's answer): the Responses API's
# input_text and output_text parts, which vLLM takes as text parts in a chat request. Read as TEXT_PARTS, a harmful
# request sent as an input_text part was forwarded, and stored and judged as an empty prompt.
FORWARDED_TEXT_PARTS = TEXT_PARTS | {"input_text": "text", "output_text": "text"}

# The roles a chat prompt may give its messages (`generate --prompts`, `probe`): a chat template's three, and OpenAI's
# ``developer``, which replaces ``system`` for newer models and is rendered as it (see ``template_role``).
CHAT_ROLES = ("system", "developer", "user", "assistant")


def template_role(role: str) -> str:
    """The role a chat template renders a message under: OpenAI's ``developer`` as ``system`` (a template knows no
    ``developer`` turn, and would add its default system prompt before one), any other as is. `serve`, `generate`,
    `eval` and `probe` all render a conversation through it.

    >>> template_role("developer"), template_role("user")
    ('system', 'user')
    """
    return "system" if role == "developer" else role


def message_text(content: Any, separator: str = "", parts: Mapping[str, str] = TEXT_PARTS) -> str:
    """A string as is; a content-part list's text parts joined with ``separator`` (image and audio parts skipped); None
    as "". An answer's parts are pieces of one text (""); a prompt's are shown to the model one per line ("\\n", as
    vLLM renders a text-only chat template's turn): see ``prompt_text``. An assistant turn's refusal part (OpenAI's
    ``{"type": "refusal", "refusal": ...}``) is text too, as a refusal in the message's ``refusal`` field is. ``parts``:
    the part types read as text, and the key of each one's text (see ``TEXT_PARTS``).

    Anything else raises TypeError.

    >>> message_text([{"type": "text", "text": "Hello, "}, {"type": "image_url"}, {"type": "text", "text": "world"}])
    'Hello, world'
    >>> message_text([{"type": "refusal", "refusal": "I can't help with that."}])
    "I can't help with that."
    >>> message_text({"text": "hi"})
    Traceback (most recent call last):
    ...
    TypeError: message content is not text: {'text': 'hi'}
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(part, dict) for part in content):
        # a refusal part was skipped as an image is: an earlier refused turn reached the model as a blank one
        texts = [
            part.get(parts[kind])
            for part in content
            if isinstance(kind := part.get("type", "text"), str) and kind in parts
        ]
        if all(isinstance(text, str) for text in texts):
            return separator.join(texts)
    raise TypeError(f"message content is not text: {content!r:.100}")


def answer_content(message: dict[str, Any], parts: Mapping[str, str] = TEXT_PARTS) -> str:
    """The text of an answer's ``message`` (or of a stream's ``delta``): its content, or, where that is empty, its
    ``refusal``: OpenAI answers a request it refuses under structured outputs with content null and the refusal there
    (streamed as ``delta.refusal`` pieces). Read as content alone, a refusal was an empty answer, which the refusal
    judge reads as evasive, not refused. Content that is not text raises TypeError (see ``message_text``, which
    ``parts`` is passed to).

    >>> answer_content({"content": None, "refusal": "I'm sorry, I can't help with that."})
    "I'm sorry, I can't help with that."
    >>> answer_content({"content": "Paris."}), answer_content({"role": "assistant"})
    ('Paris.', '')
    """
    text = message_text(message.get("content"), parts=parts)
    refusal = message.get("refusal")
    return text or (refusal if isinstance(refusal, str) else "")


def audio_transcript(message: Mapping[str, Any]) -> str:
    """The words of an audio answer: OpenAI's ``audio.transcript`` of a message (streamed in pieces under
    ``delta.audio``), whose ``content`` is null; "" without one.

    >>> audio_transcript({"content": None, "audio": {"id": "audio_1", "transcript": "Hello."}})
    'Hello.'
    """
    audio = message.get("audio")
    transcript = audio.get("transcript") if isinstance(audio, Mapping) else None
    return transcript if isinstance(transcript, str) else ""


def answer_words(message: dict[str, Any]) -> str:
    """What an answer's ``message`` (or a stream's ``delta``) says, read as the monitor gateway reads it: its content's
    text, output_text parts too (``FORWARDED_TEXT_PARTS``), else its refusal (see ``answer_content``), else an audio
    answer's transcript. Read as text parts alone, a Responses-style or spoken answer was judged as an empty one.
    Content that is not text raises TypeError.

    >>> answer_words({"content": [{"type": "output_text", "text": "Paris."}]})
    'Paris.'
    >>> answer_words({"content": None, "audio": {"transcript": "Paris."}})
    'Paris.'
    """
    return answer_content(message, FORWARDED_TEXT_PARTS) or audio_transcript(message)


def prompt_text(content: Any, parts: Mapping[str, str] = TEXT_PARTS) -> str:
    """A turn's text as a chat template is shown it: text parts one per line, as vLLM joins them for a template that
    takes string content (OpenAI's own rendering is not published); ``message_text`` (given ``parts``) otherwise.

    >>> prompt_text([{"type": "text", "text": "Translate to French:"}, {"type": "text", "text": "Good morning"}])
    'Translate to French:\\nGood morning'
    """
    return message_text(content, separator="\n", parts=parts)
