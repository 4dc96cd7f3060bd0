"""Sentence-embedding helpers of the judges: texts whose characters tokenize to several tokens."""

from __future__ import annotations

from safealign.judges.embeddings import load_embedder, long_text_windows


def test_a_short_korean_text_longer_than_minilm_reads_is_windowed():
    # BERT's normalizer splits a Hangul syllable into its jamo (up to 3 tokens a character): 225 characters
    # are 450 tokens, of which MiniLM reads the first 254; the tail must come back as a window.
    text = "안녕하세요 저는 학생입니다 " * 15
    tokenizer = load_embedder().tokenizer
    assert len(text) < 254 < len(tokenizer(text, add_special_tokens=False)["input_ids"])
    windows = long_text_windows(text)
    assert windows and text.rstrip().endswith(windows[0])
