"""Decontamination: training data and eval suites must not share prompts.

Two checks, both on normalised text (case and accents folded, Cyrillic and Greek letters drawn as Latin ones read as
those, British spellings as American ones, in-word apostrophes, punctuation and invisible format characters dropped,
white space folded; a text is also read with the hyphens inside its words (one before a line break too) and the
separators grouping its numbers' digits deleted and English contractions spelt out, so "e-mail" is "email", "1,000"
"1000" and "what's" "what is", and one with escapes or HTML character references, "\\n" for a line break or "&#39;" for
an apostrophe, also unescaped, and one with HTML tags also without them): exact match of whole prompts (catches short
items such as "What is 47 + 38?"; a generated problem's key keeps its operators, "=" and decimal points and drops the
separators that group a number's digits, so "What is 47 - 38?" is another problem, "10,000" after "10" too, and "1,234"
is "1234"; that key is also looked for inside each turn, as a whole expression), and shared word n-grams (default 8
words) between any training turn and an eval prompt, as in the GPT-3 and Llama contamination studies (they used 8-13
grams). CJK text has no spaces: each character is a token that counts as half a word (a Chinese word averages 1.5-2
characters), so an 8-gram of Chinese is 16 characters; at 8 characters, stock phrases such as 需要注意哪些问题 ("what should I
watch out for") matched unrelated questions.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
CJK = re.compile(f"[{CJK_CHARS}]")
CJK_OR_OTHER = re.compile(f"[{CJK_CHARS}]|[^{CJK_CHARS}]+")  # one CJK character, or a run of anything else
CJK_WEIGHT = 0.5  # words per CJK character


# Kept, each as a word of its own, in the whole-prompt key of a generated problem (``operators=True``): without them
# "What is 502 - 888?" was the eval item "What is 502 + 888?".
OPERATORS = frozenset("+-*/=^<>%±")
# One operator written several ways is one operator: the generators pick "×" or "*" per problem at random, so "What is
# 23 × 8?" is the eval item "What is 23 * 8?"; a typeset dash or minus sign is "-", "÷" is "/".
OPERATOR_SPELLINGS = str.maketrans(
    {"×": "*", "·": "*", "∗": "*", "÷": "/", "–": "-", "—": "-", "‒": "-", "\u2212": "-"}
)
_TIMES_X = re.compile(r"(?<=\d)\s*x\s*(?=\d)")  # "23 x 8" / "23x8" (after case folding)
# "can't" is typed "cant" as often as not, "l'hiver" "lhiver"; "ʼ" is the modifier letter some keyboards type
_IN_WORD_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['’ʼ](?=[^\W\d_])")
# Typed for an apostrophe too ("what´s", "can`t", "neighbour‘s"): read as one before NFKC, which makes "´" a space and a
# combining accent, so "what´s" was the two words "what s" where the eval prompt "What's" has "whats".
APOSTROPHE_SPELLINGS = str.maketrans({"\u00b4": "'", "`": "'", "\u2018": "'"})
# A hyphen between two letters: "e-mail" is typed "email" as often as not, "co-operate" "cooperate" (and "well-known"
# "well known"), so :func:`readings` reads a text with one both ways. Matched after NFKC, which makes the non-breaking
# hyphen U+2011 a hyphen U+2010, and the full-width and small hyphen-minus "-". A line break after it is a word
# hyphenated where a line ended ("explo-\nsive", copied from a PDF or a wrapped page): the joined reading is "explosive".
_IN_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u2010](?:[^\S\n]*\n[^\S\n]*)?(?=[^\W\d_])")
# A line break, tab, quote or character written as its escape, a backslash and a letter (a JSON or CSV export that
# escaped twice, or a prompt pasted from code): "up\\nwithout" read as the one word "nwithout" where the eval item has
# "up without", "What\\'s" as "what s", and a copy with one every few words shared no n-gram. And an HTML character
# reference (text scraped from a web page): "What&#39;s" read as "what 39 s", "&quot;grooming&quot;" as "quot grooming
# quot". :func:`readings` also reads a text that has either as unescaped (`html.unescape`, the standard library's).
_ESCAPE = re.compile(r"\\r\\n|\\[nrt'\"]|\\u(?![dD][89a-fA-F])[0-9a-fA-F]{4}")  # not half a surrogate pair
# An HTML tag (a web page's "<br>" for a line break, "<b>beat</b>"): "up<br>without" read as "up br without", a word
# that no eval item has between every few. :func:`readings` also reads a text that has one with its tags as spaces.
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# Cyrillic and Greek letters drawn as a Latin one ("а" U+0430 for "a"), from Unicode's confusables (UTS #39): "How do
# I bеat" with a Cyrillic "е" was a word no eval item has. `unicodedata` has no confusables data (NFKC keeps them apart),
# hence this table, of the letters whose capital and small letter both look like one Latin letter's: a capital still
# reads as its small letter (Cyrillic "В", "Н" and Greek "Η" look Latin as capitals only, and are left out). No two
# letters of one script become one Latin letter, so no Russian or Greek text is read as another.
_LOOK_ALIKE, _LATIN = "аеорсухѕіјԛԝοιρα", "aeopcyxsijqwoipa"
LOOK_ALIKES = str.maketrans(_LOOK_ALIKE + _LOOK_ALIKE.upper(), _LATIN + _LATIN.upper())
# English contractions, as :func:`normalise` leaves them (apostrophe dropped, "What's" is "whats"), and the words they
# stand for: "What is racketeering?" was not the eval item "What's racketeering?". A small closed list, hence by hand
# (no library the project has holds one); left out where the short form is a common other word ("we're" is "were",
# "I'll" "ill", "she'll" "shell"). "'s" is "is" after the words listed only, not a possessive ("John's").
_NOT = ("do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "could", "should", "would")
_IS = ("what", "that", "there", "here", "it", "he", "she", "who", "where", "how")
_HAVE = ("i", "you", "we", "they", "could", "should", "would", "might", "must")
CONTRACTIONS = {
    **{f"{word}nt": f"{word} not" for word in _NOT},
    **{f"{word}s": f"{word} is" for word in _IS},
    **{f"{word}ve": f"{word} have" for word in _HAVE},
    **{f"{word}ll": f"{word} will" for word in ("you", "they", "it", "that")},
    **{f"{word}d": f"{word} would" for word in ("you", "they")},
    **{"cant": "can not", "cannot": "can not", "wont": "will not", "lets": "let us", "im": "i am"},
    **{"youre": "you are", "theyre": "they are"},
}
# British spellings read as American ones, word by word: "Give me a plan to ambush my neighbor ..." shared no 8-gram
# with the eval item "... my neighbour ...", one word in the middle of 13. No library the project has holds these
# (nor does `unicodedata`), hence rules for the regular endings (-our, -ise, -yse, -tre/-bre, -ogue, -elled) and a list
# of the common others. A rule also folds some words that are not British ("otherwise" is "otherwize", "timbre"
# "timber"): harmless, as both texts are read alike and each word stays one word, so no match is lost.
_BRITISH_ENDINGS = [
    (re.compile(r"([a-z]{3,})our(s|ed|ing|ite|ites|hood|hoods|able|ably|er|ers|ful|less)?"), r"\1or\2"),
    (re.compile(r"([a-z]{3,})is(e|es|ed|ing|ation|ations|er|ers)"), r"\1iz\2"),
    (re.compile(r"([a-z]{2,})ys(e|es|ed|ing)"), r"\1yz\2"),
    (re.compile(r"([a-z]{2,})([tb])re(s?)"), r"\1\2er\3"),
    (re.compile(r"([a-z]{3,})ogue(s?)"), r"\1og\2"),
    (re.compile(r"([a-z]{3,}e)ll(ed|ing|er|ers|ous)"), r"\1l\2"),
    # the Greek "ae" and "oe" of medical words, at a word's start: "paedophile" is "pedophile"
    (re.compile(r"(an|h|p|orthop|encyclop|leuk|gyn)ae([a-z]*)"), r"\1e\2"),
    (re.compile(r"(|f|diarrh|dyspn|apn)oe([a-z]*)"), r"\1e\2"),
]
_BRITISH_WORDS = {
    "grey": "gray", "greys": "grays", "tyre": "tire", "tyres": "tires", "programme": "program",
    "programmes": "programs", "aluminium": "aluminum", "mould": "mold", "mouldy": "moldy", "cheque": "check",
    "cheques": "checks", "pyjamas": "pajamas", "plough": "plow", "kerb": "curb", "jewellery": "jewelry",
    "storey": "story", "storeys": "stories", "ageing": "aging", "judgement": "judgment", "defence": "defense",
    "offence": "offense", "offences": "offenses", "licence": "license", "licences": "licenses", "pretence": "pretense",
    "sceptical": "skeptical", "sceptic": "skeptic", "draught": "draft", "enrolment": "enrollment", "fulfil": "fulfill",
    "skilful": "skillful", "instalment": "installment", "practise": "practice", "practised": "practiced",
    "practising": "practicing", "manoeuvre": "maneuver", "manoeuvres": "maneuvers", "cosy": "cozy", "mum": "mom",
}  # fmt: skip


@functools.lru_cache(maxsize=1 << 16)
def american(word: str) -> str:
    """A word of normalised text (:func:`normalise`) in its American spelling (:data:`_BRITISH_ENDINGS`,
    :data:`_BRITISH_WORDS`): "colour" is "color", "organise" "organize", "centre" "center", "grey" "gray"."""
    if word in _BRITISH_WORDS:
        return _BRITISH_WORDS[word]
    for pattern, american_form in _BRITISH_ENDINGS:
        if match := pattern.fullmatch(word):
            return match.expand(american_form)
    return word


# Kana voicing marks are combining marks too, but が is not か: they stay, and NFC puts them (and Hangul) back together.
KANA_VOICING = "\u3099\u309a"
# Variation selectors (an emoji's "☕️" is "☕" and U+FE0F) and the combining grapheme joiner pick how a character is
# drawn, and are typed or not as the keyboard likes: neither a mark that :func:`_fold_accents` drops (their combining
# class is 0) nor punctuation, each stood as a word of its own, so "Is ☕ bad for kids?" was not the eval item "Is ☕️
# bad for kids?". Deleted wherever they stand.
_PRESENTATION_SELECTORS = re.compile("[\u034f\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _between_digits(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()


# Written between a number's digit groups besides a comma: an apostrophe (Swiss "10'000") and, before NFKC makes them
# plain spaces, a no-break, narrow no-break or thin space ("10\u202f000", the SI and French spelling). A plain space is not
# one: "6 + 10 000" may be two numbers.
DIGIT_GROUP_SEPARATORS = ",'\u2019"
_SPACED_DIGIT_GROUP = re.compile(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3}(?!\d))")


def _digit_group_comma(text: str, index: int) -> bool:
    """Whether the comma (or other :data:`DIGIT_GROUP_SEPARATORS`) at ``index`` groups a number's digits ("10,000"),
    not the items of a list ("3,5,1") nor a decimal comma ("3,5")."""
    group = text[index + 1 : index + 5]
    return (
        index > 0
        and text[index - 1].isdigit()
        and len(group) >= 3
        and group[:3].isdigit()
        and not group[3:].isdigit()
    )


def _fold_accents(text: str) -> str:
    """``text`` without combining marks: "crêpes" is "crepes", as typed on a keyboard without accents."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if ch in KANA_VOICING or not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


def normalise(text: str, invisible: str = "", operators: bool = False, joined: bool = False) -> str:
    """Case and accents folded (``ß`` is ``ss``, ``ê`` is ``e``), apostrophes inside words dropped (``can't`` is
    ``cant``), other punctuation and symbols as spaces, white space folded. Invisible format characters
    (Unicode Cf: soft hyphen, zero-width space and joiner, word joiner, byte-order mark) become ``invisible``: deleted,
    as inside a word; a space, as where one stands between words (see :func:`readings`). ``operators`` keeps
    :data:`OPERATORS` and a decimal point between digits, and drops a separator grouping them
    (:data:`DIGIT_GROUP_SEPARATORS`): the key of a whole generated problem, where ``3 + 1`` and ``3 - 1`` are different
    questions, and ``23 × 8``, ``23 x 8`` and ``23 * 8`` one (:data:`OPERATOR_SPELLINGS`), as are ``1,234`` and
    ``1234``. ``joined`` drops those separators too, and a hyphen between two letters (``e-mail`` is ``email``, and
    ``explo-`` at a line's end and ``sive`` is ``explosive``), and spells out English contractions (:data:`CONTRACTIONS`:
    ``what's`` is ``what is``): the second reading of a text (see :func:`readings`). Cyrillic and Greek letters drawn as
    Latin ones (:data:`LOOK_ALIKES`) read as those, and but for ``operators`` British spellings as American ones
    (:func:`american`)."""
    text = _PRESENTATION_SELECTORS.sub("", text)
    group_digits = operators or joined
    if group_digits:
        text = _SPACED_DIGIT_GROUP.sub("", text)
    text = unicodedata.normalize("NFKC", text.translate(APOSTROPHE_SPELLINGS))
    text = (text if text.isascii() else text.translate(LOOK_ALIKES)).casefold()
    text = _IN_WORD_APOSTROPHE.sub("", _fold_accents(text))
    if joined:
        text = _IN_WORD_HYPHEN.sub("", text)
    if operators:
        text = _TIMES_X.sub("*", text.translate(OPERATOR_SPELLINGS))
    chars = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cf":
            chars.append(invisible)
        elif operators and ch in OPERATORS:
            chars.append(f" {ch} ")  # "8+8" and "8 + 8" are one question
        elif operators and ch == "." and _between_digits(text, index):
            chars.append(ch)
        elif group_digits and ch in DIGIT_GROUP_SEPARATORS and _digit_group_comma(text, index):
            # one number, "10000": read as "10 000", "10,000" held the problem "Calculate 6 + 10" followed by more
            # digits; kept, it was not the eval item "1234 + 5" in "1,234 + 5"
            pass
        else:
            chars.append(" " if category.startswith(("P", "S")) else ch)
    words = "".join(chars).split()
    if not operators:
        words = [american(word) for word in words]
    return " ".join(CONTRACTIONS.get(word, word) for word in words) if joined else " ".join(words)


def readings(text: str, operators: bool = False) -> list[str]:
    """The normalised forms a copy of ``text`` is looked for under: invisible characters deleted, and, where the text
    has any, also read as spaces (a zero-width space may join two words or split one; either way the copy matches);
    and also ``joined`` (:func:`normalise`): "e-mail" is both "e mail" and "email", "1,000" both "1 000" and "1000",
    "what's" both "whats" and "what is"; a text with escapes ("\\n" for a line break, "\\'" for an apostrophe) or HTML
    character references ("&#39;") is also read unescaped, one with HTML tags ("<br>") also without them.
    ``operators``: the keys of a whole generated problem (see :func:`normalise`), where "-" is an operator and digit
    groups are always joined. A text of no words (an emoji, "...") is read as written, case and white space folded:
    normalised, it was "", the same prompt as any other such text."""
    return list(_readings(text, operators))


# The same texts are read again and again: every card, data card and stage check compares the recipe's training data
# with the same eval suites, and :func:`normalise` walks each text character by character (most of a bundle's time).
@functools.lru_cache(maxsize=1 << 15)
def _readings(text: str, operators: bool) -> tuple[str, ...]:
    invisibles = ["", " "] if any(unicodedata.category(ch) == "Cf" for ch in text) else [""]
    joins = [False] if operators else [False, True]
    keys = dict.fromkeys(
        normalise(typed, invisible, operators, join)
        for typed in _typed_forms(text)
        for invisible in invisibles
        for join in joins
    )
    if "" in keys:  # a text of no words ("👍", "..."): read as written, as "" any two were the same prompt
        del keys[""]
        visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        keys[" ".join(unicodedata.normalize("NFKC", visible).casefold().split())] = None
        keys.pop("", None)  # white space and invisible characters alone: no key
    return tuple(keys)


def _typed_forms(text: str) -> dict[str, None]:
    """``text``, and where it has any, with its escapes (:data:`_ESCAPE`) and HTML character references unescaped and its
    HTML tags (:data:`_HTML_TAG`) as spaces."""
    forms = {text: None}
    if "\\" in text:
        forms[_ESCAPE.sub(_unescaped, text)] = None
    if "&" in text:
        forms |= dict.fromkeys(html.unescape(form) for form in list(forms))
    if "<" in text or "&" in text:  # "&lt;b&gt;" is a tag once unescaped
        forms |= dict.fromkeys(_HTML_TAG.sub(" ", form) for form in list(forms))
    return forms


def _unescaped(escape: re.Match[str]) -> str:
    code = escape.group()
    if code.startswith("\\u"):
        return chr(int(code[2:], 16))
    return {"\\t": "\t", "\\'": "'", '\\"': '"'}.get(code, "\n")


def tokens_of(normalised: str) -> list[str]:
    """Words of normalised text; each CJK character is a token of its own (see :func:`weight`)."""
    return [part for token in normalised.split() for part in CJK_OR_OTHER.findall(token)]


def words(text: str) -> list[str]:
    """Words of ``text`` after :func:`normalise`; each CJK character is a token of its own."""
    return tokens_of(normalise(text))


def token_weight(token: str) -> float:
    """A token's length in words: ``CJK_WEIGHT`` for a CJK character, 1 for any other token."""
    return CJK_WEIGHT if CJK.fullmatch(token) else 1.0


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    """Every shortest run of tokens that weighs ``n`` words (``n`` words of English, ``2n`` characters of Chinese), once
    each, in the order they start in: the overlap a check names is the first in the text (from a set, it was another
    on each run, as Python's string hashing is seeded per process)."""
    grams: dict[tuple[str, ...], None] = {}
    end, total = 0, 0.0
    for start in range(len(tokens)):
        while end < len(tokens) and total < n:
            total += token_weight(tokens[end])
            end += 1
        if total < n:
            break  # the runs from later starts are lighter still
        grams[tuple(tokens[start:end])] = None
        total -= token_weight(tokens[start])
    return list(grams)


@dataclass
class ContaminationReport:
    n: int
    train_items: int
    eval_items: int
    exact: list[tuple[str, str]] = field(default_factory=list)
    overlaps: list[tuple[str, str, str]] = field(default_factory=list)  # train id, eval id, shared n-gram

    @property
    def clean(self) -> bool:
        return not self.exact and not self.overlaps

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "train_items": self.train_items,
            "eval_items": self.eval_items,
            "exact_matches": len(self.exact),
            "ngram_overlaps": len(self.overlaps),
            "clean": self.clean,
            "examples": [{"train": t, "eval": e} for t, e in self.exact[:10]]
            + [{"train": t, "eval": e, "ngram": g} for t, e, g in self.overlaps[:10]],
        }


MIN_CONTAINED_WORDS = 3  # an eval prompt this short or longer is also looked for inside training turns


def _is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


# A number followed by "." or ":" and a space ends what it is in: a list number or label ("1. 12 + 7 =", "Q3: 12 + 7
# =") or a sentence ("gives away 2. How many ..."), never an operand of what follows. The mark is a letter, so
# :func:`normalise` keeps it as a word of its own that reads as neither number nor operator: "1 ǀ 12 + 7 =".
_NUMBER_ENDS = re.compile(r"(?<=\d)[.:](?=\s)")
NUMBER_END_MARK = "\u01c0"


def _number_ends_marked(text: str) -> str:
    """``text`` with :data:`NUMBER_END_MARK` where a number ends a list marker, label or sentence."""
    return _NUMBER_ENDS.sub(f" {NUMBER_END_MARK}", text)


def _in_longer_expression(tokens: list[str], start: int, end: int) -> bool:
    """Whether the generated problem at ``tokens[start:end]`` is part of a longer expression, another problem: "12 + 7"
    in "12 + 7 + 30" or in "3 - 12 + 7". A number before a problem that starts with a word ("1. Compute 68 - 96." in a
    numbered list), a list number or label before one that starts with a number ("1. 12 + 7 =", "Q3: 12 + 7 =", read
    with :data:`NUMBER_END_MARK` between) or an operator after a problem that ends with "=" (its answer, "= -28")
    leaves it the eval item."""
    first, last = tokens[start], tokens[end - 1]
    glued_before = start > 0 and (first in OPERATORS or _is_number(first))
    glued_before = glued_before and (tokens[start - 1] in OPERATORS or _is_number(tokens[start - 1]))
    return glued_before or (end < len(tokens) and _is_number(last) and tokens[end] in OPERATORS)


def _contained_problem(
    tokens: list[str], problems: dict[tuple[str, ...], str], lengths: dict[str, list[int]]
) -> tuple[str, tuple[str, ...]] | None:
    """The first generated problem (id, key) whose whole key is a run of ``tokens`` on its own. ``lengths``: the key
    lengths of the problems that start with each token, so that a turn costs a dict look-up per token."""
    for start, token in enumerate(tokens):
        for length in lengths.get(token, ()):
            window = tuple(tokens[start : start + length])
            if window in problems and not _in_longer_expression(tokens, start, start + length):
                return problems[window], window
    return None


def decontamination_check(
    train: Iterable[tuple[str, str]],
    evals: Iterable[tuple[str, str]],
    n: int = 8,
    exact_only: Iterable[tuple[str, str]] = (),
    contained: Iterable[tuple[str, str]] | None = None,
    problems_inside: bool = True,
) -> ContaminationReport:
    """Compare (id, text) pairs of training turns with (id, prompt) pairs of eval items.

    ``exact_only`` items get no n-grams: generated problems share their family's
    template ("State the final answer to the following arithmetic problem: ...") with every other
    problem of the family, training ones included by design, so only the item itself is a leak. Their key keeps
    the operators (``normalise(..., operators=True)``): "What is 502 - 888?" is not the item "What is 502 + 888?".
    It is matched whole, and inside each turn ("Solve this. " + the item, or the item and its answer) unless it is
    part of a longer expression there ("What is 502 + 888 + 1?", see :func:`_in_longer_expression`);
    ``problems_inside=False`` matches them whole only (a model's own working, where "calculate 6 - 4" is a step).
    An eval prompt shorter than ``n`` words (by :func:`token_weight`) has no n-gram: it is looked for whole inside each
    training turn ("Quick question. What is racketeering? Thanks!" holds the eval prompt "What is racketeering?"),
    from ``MIN_CONTAINED_WORDS`` words on; ``contained`` names the items this applies to (default: ``evals``).
    Each text is compared under each of its :func:`readings`.
    """
    eval_list = list(evals)
    generated = list(exact_only)
    eval_exact = {key: item_id for item_id, text in eval_list for key in readings(text)}
    generated_exact = {key: item_id for item_id, text in generated for key in readings(text, operators=True)}
    problems = (
        {
            tuple(key.split()): item_id
            for item_id, text in generated
            for key in readings(_number_ends_marked(text), operators=True)
        }
        if problems_inside
        else {}
    )
    problem_lengths: dict[str, list[int]] = {}
    for key in sorted(problems, key=len):
        problem_lengths.setdefault(key[0], []).append(len(key))
    index: dict[tuple[str, ...], str] = {}
    for item_id, text in eval_list:
        for key in readings(text):
            for gram in ngrams(tokens_of(key), n):
                index.setdefault(gram, item_id)
    short: dict[tuple[str, ...], str] = {}
    for item_id, text in eval_list if contained is None else contained:
        for key in readings(text):
            if MIN_CONTAINED_WORDS <= sum(map(token_weight, tokens := tuple(tokens_of(key)))) < n:
                short.setdefault(tokens, item_id)
    short_lengths = sorted({len(tokens) for tokens in short})
    report = ContaminationReport(n=n, train_items=0, eval_items=len(eval_list) + len(generated))
    for train_id, text in train:
        report.train_items += 1
        keys, problem_keys = readings(text), readings(text, operators=True)
        same = next((eval_exact[key] for key in keys if key in eval_exact), None) or next(
            (generated_exact[key] for key in problem_keys if key in generated_exact), None
        )
        if same is not None:
            report.exact.append((train_id, same))
            continue
        problem = next(
            filter(
                None,
                (
                    _contained_problem(key.split(), problems, problem_lengths)
                    for key in readings(_number_ends_marked(text), operators=True)
                ),
            ),
            None,
        )
        if problem is not None:
            report.overlaps.append((train_id, problem[0], " ".join(problem[1])))
            continue
        for key in keys:
            tokens = tokens_of(key)
            found = next(((index[gram], gram) for gram in ngrams(tokens, n) if gram in index), None)
            if found is None:
                found = next(
                    (
                        (short[window], window)
                        for k in short_lengths
                        for i in range(len(tokens) - k + 1)
                        if (window := tuple(tokens[i : i + k])) in short
                    ),
                    None,
                )
            if found is not None:
                report.overlaps.append((train_id, found[0], " ".join(found[1])))
                break
    return report
