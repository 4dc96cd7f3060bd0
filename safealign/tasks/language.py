"""Which language a text is in, and how much of it is in the language it should be in.

DeepSeek-R1 rewards the share of the chain of thought written in the target language; the same
share drives our language-consistency reward and the language-mixing metric. Words are checked by
Unicode script first (a Chinese character in an English answer is off-target whatever lingua says),
then Latin-script segments are told apart by lingua (French vs. English). Numbers, code and
punctuation are not words and are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from safealign.tasks.reasoning_format import require_text

LANGUAGES = ("en", "fr", "de", "es", "zh", "it", "pt", "ja", "ru", "ar")
# The script each supported language writes in; Latin-script languages need lingua to tell apart.
SCRIPT_OF = {"zh": "han", "ja": "japanese", "ru": "cyrillic", "ar": "arabic", "ko": "hangul"}
# The codes language_share reads (Korean is told by its script alone); any other ("EN", "en-US", "english") matched no
# language detected, and every word counted as off target.
LANGUAGE_CODES = frozenset({*LANGUAGES, *SCRIPT_OF})

# One CJK character is one unit (Chinese has no spaces); any other run of letters is one word.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d"
_UNIT_RE = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W\d_])+")
_CODE_RE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`|https?://\S+", re.DOTALL)
# A think tag ends a clause: "<think>Je pense que ...</think> The answer is 42." is two segments, not one.
_THINK_TAG_RE = re.compile(r"</?think>")
# Clause boundaries: lingua judges each clause on its own, so "Bonjour, but I think..." splits in two.
_CLAUSE_RE = re.compile(r"[.!?;:,\n()\[\]\"“”«»„—–。，！？；：、]+")
MIN_SEGMENT_WORDS = 3  # shorter Latin segments follow the whole text; a text this short is on target
CLEAR_MARGIN = 0.4  # lingua confidence lead a segment needs over the target language to count as another one
# A run this long that lingua puts in another language, by less than CLEAR_MARGIN, follows the whole text: a Spanish
# clause in a Spanish answer to a Portuguese prompt (es 0.54, pt 0.36) counted as Portuguese. No single lead is safe
# here: lingua puts "turn on iCloud Photos on an iPhone or Google Photos on Android" in German, 0.29 ahead of English
# (de 0.45, en 0.16), inside an English answer: a wider lead than the Spanish clause's 0.18, yet it must stay English.
LONG_RUN_WORDS = 8


def script_of(char: str) -> str:
    """The writing system of one letter: han, japanese (kana), hangul, cyrillic, arabic, latin or other."""
    code = ord(char)
    if (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2A6DF
    ):
        return "han"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "japanese"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFEFF
    ):
        return "arabic"
    if char.isalpha() and (code < 0x0250 or 0x1E00 <= code <= 0x1EFF):
        return "latin"
    return "other"


def _word_script(word: str) -> str:
    return script_of(word[0])


def _fits(script: str, lang: str) -> bool:
    if lang == "ja":
        return script in ("han", "japanese")
    return script == SCRIPT_OF.get(lang, "latin")


@lru_cache(maxsize=1)
def _detector() -> Any:
    """One lingua detector for our fixed language set, built on first use (models load lazily)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def _lingua(text: str) -> str | None:
    detected = _detector().detect_language_of(text)
    return detected.iso_code_639_1.name.lower() if detected is not None else None


def _clear_label(segment: str, lang: str) -> str | None:
    """lingua's language for a segment, or ``None`` when it is not clearly ahead of ``lang``.

    Clauses of three to seven words are often ambiguous ("Ask at a bank branch": German 0.48,
    English 0.33); only a clear margin overrules the target language there.
    """
    values = _detector().compute_language_confidence_values(segment)
    if not values:
        return None
    confidence = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
    top = values[0].language.iso_code_639_1.name.lower()
    if top == lang or values[0].value - confidence.get(lang, 0.0) >= CLEAR_MARGIN:
        return top
    return None


def _strip_non_words(text: str) -> str:
    return _THINK_TAG_RE.sub("\n", _CODE_RE.sub(" ", _without_marks(text)))


def _without_marks(text: str) -> str:
    """``text`` composed (NFC), less the combining marks no letter takes in: a mark is not a letter to the word pattern,
    so Arabic written with its vowel marks ("كَتَبَ", one word) counted as three words, and an "é" written as "e" and a
    combining accent ended its word ("été" was "e" and "te"). A number character that is no digit ("²", "½", "①", "Ⅳ",
    "〇") is read as a digit: the word pattern took it for a letter, so "5² = 25" held a word in no language (an English
    answer's share 0.83, mixed)."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return text
    return "".join(_plain_char(char) for char in text)


def _plain_char(char: str) -> str:
    """``char`` as the word pattern should read it: "" for a combining mark, "0" for a number that is no digit."""
    category = unicodedata.category(char)
    if category.startswith("M"):
        return ""
    return "0" if category in ("No", "Nl") else char


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's main language (``None`` when it has no words).

    >>> detect_language("Le chat dort sur le canapé.")
    'fr'
    """
    require_text(text, "text", "detect_language")
    units = _UNIT_RE.findall(_strip_non_words(text))
    if not units:
        return None
    counts: dict[str, int] = {}
    for unit in units:
        script = _word_script(unit)
        counts[script] = counts.get(script, 0) + 1
    top = max(counts, key=counts.get)
    if top in ("han", "japanese"):
        return "ja" if counts.get("japanese", 0) else "zh"
    if top == "latin":
        latin = " ".join(u for u in units if _word_script(u) == "latin")
        return _lingua(latin)
    return {"cyrillic": "ru", "arabic": "ar", "hangul": "ko"}.get(top)


def _is_symbol(unit: str) -> bool:
    """A lone Greek letter is a maths symbol ("let θ be the angle", "25π"), not a word in another language."""
    return len(unit) == 1 and 0x0370 <= ord(unit) <= 0x03FF


def _segments(text: str) -> list[list[str]]:
    """Units grouped into runs of one script within a clause (the pieces lingua can judge); maths symbols left out."""
    runs: list[list[str]] = []
    for clause in _CLAUSE_RE.split(text):
        current: list[str] = []
        for unit in _UNIT_RE.findall(clause):
            if _is_symbol(unit):
                continue
            if current and _word_script(current[-1]) != _word_script(unit):
                runs.append(current)
                current = []
            current.append(unit)
        if current:
            runs.append(current)
    return runs


def language_share(text: str, lang: str) -> float:
    """Share of the words (CJK: characters) written in ``lang``; 1.0 when the text has no words.

    Latin words too few to identify (under :data:`MIN_SEGMENT_WORDS` in the whole text: "No.", "Total: 48") count
    as written in a Latin-script ``lang``; a lone Greek letter is a maths symbol and not counted.

    >>> language_share("The answer is 42, 因为我们把两个数相加", "en") < 0.5
    True
    """
    require_text(text, "text", "language_share")
    lang = _language_code(lang)
    runs = _segments(_strip_non_words(text))
    total = sum(len(run) for run in runs)
    if total == 0:
        return 1.0
    if SCRIPT_OF.get(lang, "latin") != "latin":
        return sum(len(run) for run in runs if _fits(_word_script(run[0]), lang)) / total
    latin_runs = [run for run in runs if _word_script(run[0]) == "latin"]
    if not latin_runs:
        return 0.0
    if sum(len(run) for run in latin_runs) < MIN_SEGMENT_WORDS:
        # "No." / "Total: 48": too short to identify, so on target; lingua's guess on one word is often wrong
        return sum(len(run) for run in latin_runs) / total
    whole = _lingua(" ".join(" ".join(run) for run in latin_runs))
    in_lang = sum(len(run) for run in latin_runs if _run_label(run, lang, whole) == lang)
    return in_lang / total


def _language_code(lang: str) -> str:
    """``lang`` as language_share reads it, in lower case ("EN" is "en"); a ValueError naming the codes for others."""
    code = lang.lower() if isinstance(lang, str) else None
    if code not in LANGUAGE_CODES:
        raise ValueError(
            f"language_share: unknown language code {lang!r}; pass one of {', '.join(sorted(LANGUAGE_CODES))}"
        )
    return code


def _run_label(run: list[str], lang: str, whole: str | None) -> str | None:
    """The language a run of Latin words counts as: lingua's when clearly ahead of ``lang``; otherwise ``lang`` for a
    clause of three to seven words and the whole text's language (``whole``) for a shorter or a longer run."""
    if len(run) < MIN_SEGMENT_WORDS:
        return whole
    clear = _clear_label(" ".join(run), lang)
    if clear is not None:
        return clear
    return whole if len(run) >= LONG_RUN_WORDS else lang


def is_mixed(text: str, lang: str, threshold: float = 0.9) -> bool:
    """True when less than ``threshold`` of the words are in ``lang``.

    >>> is_mixed("The answer is 42, 因为我们把两个数相加", "en")
    True
    """
    return language_share(text, lang) < threshold
