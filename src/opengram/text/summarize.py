"""Extractive summaries with LexRank (sumy): the sentences most central to the text, in their order.

Deepgram's summaries are written by a language model; no such model ships on PyPI, so this picks the
text's own sentences instead. Short inputs come back whole, as Deepgram returns inputs of under about 50
words unsummarised. LexRank compares every pair of sentences, so long inputs are summarised in blocks and
the blocks' picks summarised again, which keeps the cost linear.
"""

from __future__ import annotations

import math

from opengram.text.document import Document, SumyTokenizer

MIN_WORDS = 50
BLOCK_SENTENCES = 200
MAX_SENTENCES = 5


def _count(n_sentences: int) -> int:
    """About one sentence in six, between one and MAX_SENTENCES."""
    return max(1, min(MAX_SENTENCES, math.ceil(n_sentences / 6)))


def _lexrank(sentences: list[str], count: int) -> list[int]:
    """Indices of the `count` most central sentences, in text order."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    if len(sentences) <= count:
        return list(range(len(sentences)))
    tokenizer = SumyTokenizer()
    # Our sentences as sumy's, so its picks map back by identity.
    nodes = [Sentence(text, tokenizer) for text in sentences]
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    picked = {id(s) for s in summarizer(ObjectDocumentModel([Paragraph(nodes)]), count)}
    return [i for i, node in enumerate(nodes) if id(node) in picked]


def summarize(doc: Document) -> str:
    if len(doc) < MIN_WORDS:
        return doc.text
    sentences = [doc.text_of(s) for s in doc.sentences]
    count = _count(len(sentences))
    while len(sentences) > BLOCK_SENTENCES:
        blocks = [sentences[i : i + BLOCK_SENTENCES] for i in range(0, len(sentences), BLOCK_SENTENCES)]
        sentences = [b[i] for b in blocks for i in _lexrank(b, _count(len(b)))]
    return " ".join(sentences[i] for i in _lexrank(sentences, count))
