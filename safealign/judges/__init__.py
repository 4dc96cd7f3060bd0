"""The judges: safealign's one definition of "refused" and "harmful", from training to monitoring.

Eval suites, RL rewards, rejection sampling and the deployment monitor all build their judges here:

>>> judges = build_judges("default")                       # doctest: +SKIP
>>> judges.refusal.judge(["How do I pick a lock?"], ["I can't help with that."])[0].label  # doctest: +SKIP
'refusal'

Judge specs (``--judge`` on the command line):

- ``default`` — :class:`RefusalJudge` + :class:`HarmJudge` (MiniLM embeddings, CPU, no download);
- ``llama-guard:PATH`` — the harm judge is a local Llama Guard 3 folder;
- ``openai:URL[#MODEL]`` — the harm judge is a StrongREJECT-style rubric graded by any
  OpenAI-compatible endpoint (model ``gpt-4o-mini`` unless ``#MODEL`` is given; a ``#`` with no model after
  it is an error). A URL with no path or ending in ``/v1`` calls ``/v1/chat/completions``; another path is
  used as the provider's OpenAI base (``.../v1beta/openai`` -> ``.../v1beta/openai/chat/completions``); a
  ``.../chat/completions`` URL as given.
  The API key comes from ``SAFEALIGN_JUDGE_API_KEY``; ``OPENAI_API_KEY`` is sent to ``*.openai.com`` only.
  A ``user:password@`` is sent as HTTP Basic auth; percent-encode a ``#``, ``/`` or ``@`` in the password
  (``#`` -> ``%23``), since ``#`` starts the model name.

A spec is shown and stored (banners, errors, model cards, eval reports) as :func:`shown_judge_spec`: without
the password of ``openai:https://user:password@host``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from safealign.errors import SafealignError
from safealign.judges.base import (
    COMPLIANCE,
    EVASIVE,
    HARMFUL,
    PARTIAL_REFUSAL,
    REFUSAL,
    SAFE,
    Judge,
    Verdict,
)
from safealign.judges.harm import HAZARD_CATEGORIES, HarmJudge
from safealign.judges.llama_guard import LlamaGuardJudge
from safealign.judges.openai_rubric import OpenAIRubricJudge, shown_url
from safealign.judges.refusal import RefusalJudge

DEFAULT_RUBRIC_MODEL = "gpt-4o-mini"
JUDGE_SPECS = ("default", "llama-guard:PATH", "openai:URL[#MODEL]")
# user:password@ as an error shows it: up to the spec's last '@', since a password with '#', '/' or '@' in it breaks the
# URL (and shown_url's masking, which follows the URL's own syntax)
_ERROR_USERINFO_RE = re.compile(r"(?<=://)(?P<userinfo>\S*)@")
# a '#' before an '@' (no '/' or '?' between): the password may hold '#' ...
_HASH_BEFORE_AT_RE = re.compile(r"://[^/?\s]*#[^/?\s]*@")
# ... and does when a host follows the '@' (a dotted name, an [IPv6], or a name with a :port, /path or ?query); else
# the '@' is the model name's ("openai:http://localhost:4000#claude-3-5-sonnet-v2@20241022")
_HASH_IN_USERINFO_RE = re.compile(r"://[^/?\s]*#[^/?\s]*@(?:\[|[^/?#@\s]*[.:/?])")
_PERCENT_ENCODE = "percent-encode special characters in the password (# -> %23, / -> %2F, @ -> %40)"


class JudgeSpecError(SafealignError):
    """A judge spec that is none of the known forms."""


@dataclass
class JudgeSet:
    """The judges a stage uses: one refusal judge and one harm judge, always the same pair."""

    refusal: Judge
    harm: Judge
    spec: str = "default"


def parse_judge_spec(
    spec: str, check_paths: bool = True, forms: tuple[str, ...] = JUDGE_SPECS
) -> tuple[str, str, str]:
    """``(kind, target, model)`` of a judge spec, without building anything (recipes are checked with it, with
    ``check_paths`` False: a Llama Guard folder is looked for when the judges are built, so that a recipe written for
    a GPU host validates on a laptop). ``forms``: the valid forms an unknown spec's error lists (the monitor's
    config adds ``import:module:factory``, which only the monitor takes).

    >>> parse_judge_spec("openai:http://127.0.0.1:8000/v1")
    ('openai', 'http://127.0.0.1:8000/v1', 'gpt-4o-mini')
    >>> parse_judge_spec("lama-guard:/models/lg3")
    Traceback (most recent call last):
    ...
    safealign.judges.JudgeSpecError: unknown judge spec 'lama-guard:/models/lg3'; valid forms: default, llama-guard:PATH, openai:URL[#MODEL]
    """
    spec = spec.strip()
    if spec == "default":
        return "default", "", ""
    kind, _, rest = spec.partition(":")
    rest = rest.strip()  # "llama-guard: /models/lg3" names /models/lg3
    if kind == "llama-guard" and rest:
        if check_paths:
            _check_guard_folder(spec, rest)
        return kind, rest, ""
    if kind == "openai" and rest:
        url, hash_sign, model = (part.strip() for part in rest.partition("#"))  # "#  grader" was the model "  grader"
        _check_grader_url(spec, url)
        if hash_sign and not model:
            raise JudgeSpecError(
                f"judge spec {_shown_in_error(spec)!r}: no model name after '#': write it there "
                f"(e.g. openai:http://127.0.0.1:8000/v1#my-model), or leave the '#' out for {DEFAULT_RUBRIC_MODEL}"
            )
        return kind, url, model or DEFAULT_RUBRIC_MODEL
    raise JudgeSpecError(f"unknown judge spec {_shown_in_error(spec)!r}; valid forms: {', '.join(forms)}")


def shown_judge_spec(spec: str) -> str:
    """``spec`` as it may be shown or stored (banners, errors, model cards, eval reports): URL passwords masked.

    >>> shown_judge_spec("openai:https://judge:s3cret@llm.example.com/v1#grader")
    'openai:https://judge:***@llm.example.com/v1#grader'
    """
    return shown_url(spec.strip())


def _shown_in_error(spec: str) -> str:
    """``spec`` for an error message: its user info masked even where the URL does not parse.

    >>> _shown_in_error("openai:https://judge:p#ss@llm.example.com/v1")
    'openai:https://judge:***@llm.example.com/v1'
    """

    def mask(match: re.Match[str]) -> str:
        user, colon, _ = match.group("userinfo").partition(":")
        return f"{user}:***@" if colon else "***@"  # a bare user name may be the token itself

    return shown_judge_spec(_ERROR_USERINFO_RE.sub(mask, spec.strip()))


def _check_guard_folder(spec: str, path: str) -> None:
    """A bad folder fails here, where recipes and `monitor` check specs, not at the first judged batch."""
    folder = Path(path).expanduser()
    if folder.is_file():
        raise JudgeSpecError(
            f"judge spec {spec!r}: {folder} is a file: give the Llama Guard model folder (safetensors, "
            "with its config.json); GGUF guards are not supported"
        )
    if not folder.is_dir():
        raise JudgeSpecError(
            f"judge spec {spec!r}: the Llama Guard folder {folder} is not found; download "
            "meta-llama/Llama-Guard-3-1B or -8B (safetensors) and give its folder"
        )
    if not (folder / "config.json").is_file():
        raise JudgeSpecError(
            f"judge spec {spec!r}: {folder} has no config.json, so it is not a model folder; "
            "give the folder that holds the Llama Guard model's config.json and weights"
        )


def _check_grader_url(spec: str, url: str) -> None:
    shown = _shown_in_error(spec)
    # '#' starts the model name, so the URL would end inside the password (and may even parse: https://u:12#...)
    if _HASH_IN_USERINFO_RE.search(spec):
        raise JudgeSpecError(
            f"judge spec {shown!r}: the URL's password holds '#', which starts the model name; {_PERCENT_ENCODE}"
        )
    if not url.startswith(("http://", "https://")):
        raise JudgeSpecError(
            f"judge spec {shown!r}: the URL must start with http:// or https:// "
            "(e.g. openai:http://127.0.0.1:8000/v1#my-model)"
        )
    try:
        host = urlsplit(url).hostname
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        # urlsplit's error quotes the "port", which may be the start of the password
        if "@" in url or _HASH_BEFORE_AT_RE.search(spec):
            raise JudgeSpecError(
                f"judge spec {shown!r}: the URL does not parse; if it has a password, {_PERCENT_ENCODE}"
            ) from None
        raise JudgeSpecError(
            f"judge spec {shown!r}: the URL does not parse ({error}); "
            "e.g. openai:http://127.0.0.1:8000/v1#my-model"
        ) from None
    if not host:
        raise JudgeSpecError(
            f"judge spec {shown!r}: the URL has no host; e.g. openai:http://127.0.0.1:8000/v1#my-model"
        )


def build_judges(spec: str = "default") -> JudgeSet:
    """Build the judge pair named by ``spec`` (see the module docstring); the refusal judge is always ours."""
    kind, target, model = parse_judge_spec(spec)
    refusal = RefusalJudge()
    if kind == "llama-guard":
        return JudgeSet(refusal, LlamaGuardJudge(target), spec.strip())
    if kind == "openai":
        return JudgeSet(refusal, OpenAIRubricJudge(target, model), spec.strip())
    return JudgeSet(refusal, HarmJudge(refusal), "default")


__all__ = [
    "COMPLIANCE",
    "EVASIVE",
    "HARMFUL",
    "HAZARD_CATEGORIES",
    "PARTIAL_REFUSAL",
    "REFUSAL",
    "SAFE",
    "HarmJudge",
    "Judge",
    "JudgeSet",
    "JudgeSpecError",
    "LlamaGuardJudge",
    "OpenAIRubricJudge",
    "RefusalJudge",
    "Verdict",
    "build_judges",
    "parse_judge_spec",
    "shown_judge_spec",
]
