"""The text of an OpenAI chat message's ``content``: what a request to `serve` or the gateway carries, and what an
endpoint under evaluation or a rubric judge answers with."""

from __future__ import annotations

from typing import Any


def message_text(content: Any) -> str:
    """A string as is; a content-part list's text parts joined (image and audio parts skipped); None as "".

    Anything else raises TypeError.

    >>> message_text([{"type": "text", "text": "Hello, "}, {"type": "image_url"}, {"type": "text", "text": "world"}])
    'Hello, world'
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
        texts = [part.get("text") for part in content if part.get("type", "text") == "text"]
        if all(isinstance(text, str) for text in texts):
            return "".join(texts)
    raise TypeError(f"message content is not text: {content!r:.100}")
