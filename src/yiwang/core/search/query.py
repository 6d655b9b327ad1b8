"""Query understanding: turn what a citizen typed into *concepts*.

A concept is one thing the query asks about (身份证, 丢了 → 挂失, 养老金 …) with
its alternative readings: the words themselves and their parts, synonym
expansions, and pinyin (typed pinyin or initials, or the sound of an unknown
word, which catches homophone typos such as 营业执造 → 营业执照).

Strong concepts pull documents in (full-text recall); weak ones (办理, 申请,
single characters) only refine the ranking, so a question full of common
words stays fast and precise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from . import synonyms, text

WEAK_WEIGHT = 0.35
CONSUMED_WEIGHT = 0.4
SYNONYM_WEIGHT = 1.3
MAX_PINYIN_NGRAM = 8


@dataclass(frozen=True)
class Alt:
    """One reading: all ``terms`` present earns full credit (a weighted
    fraction otherwise); a ``pinyin`` term matches the pinyin column, exactly
    or as a prefix."""

    terms: tuple[str, ...] = ()
    pinyin: str = ""
    prefix: bool = False
    factor: float = 1.0
    core: tuple[str, ...] = ()  # the words themselves (not their parts): used for recall
    weights: tuple[float, ...] = ()  # term_weight of each term, computed once

    def __post_init__(self):
        if not self.core:
            object.__setattr__(self, "core", self.terms)
        object.__setattr__(self, "weights", tuple(term_weight(t) for t in self.terms))


@dataclass
class Concept:
    label: str
    alts: list[Alt]
    weight: float = 1.0
    strong: bool = True


@dataclass
class ParsedQuery:
    raw: str
    normal: str
    concepts: list[Concept] = field(default_factory=list)
    # normalised phrases that, equal to a title, make it an exact match
    exact: set[str] = field(default_factory=set)

    def recall_groups(self, *, strong_only: bool) -> list[tuple[list[str], list[tuple[str, bool]]]]:
        """Per concept: (terms for the text columns, (pinyin, prefix) pairs
        for the pinyin column). Weak words inside a longer reading are left
        out of recall when ``strong_only``."""
        groups = []
        for c in self.concepts:
            if strong_only and not c.strong:
                continue
            words: dict[str, None] = {}
            pins: dict[tuple[str, bool], None] = {}
            for a in c.alts:
                for t in a.core if strong_only else a.terms:
                    if strong_only and is_weak(t) and len(a.core) > 1:
                        continue
                    words[t] = None
                if a.pinyin:
                    pins[(a.pinyin, a.prefix)] = None
            if words or pins:
                groups.append((list(words), list(pins)))
        return groups


def is_weak(term: str) -> bool:
    return term in text.GENERIC or (len(term) == 1 and text.has_cjk(term))


@lru_cache(maxsize=20_000)
def term_weight(term: str) -> float:
    return 0.5 if is_weak(term) else 1.0


def _alt_for(phrase: str, factor: float = 1.0) -> Alt | None:
    ts = tuple(t for t in text.terms(phrase, chars=True) if t)
    core = tuple(t for t in text.cut(text.normalise(phrase)) if t not in text.STOPWORDS)
    return Alt(terms=ts, factor=factor, core=core or ts) if ts else None


def parse(query: str) -> ParsedQuery:
    normal = text.normalise(query)
    pq = ParsedQuery(raw=query, normal=normal)
    compact = normal.replace(" ", "")
    if not compact:
        return pq
    pq.exact.add(compact)
    if text.is_latin_query(normal):
        _parse_latin(pq, normal)
    else:
        _parse_chinese(pq, compact)
    return pq


def _synonym_concept(m: synonyms.SynonymMatch) -> Concept:
    alts = [a for a in (_alt_for(e) for e in m.expansions) if a]
    return Concept(label=m.term, alts=alts, weight=SYNONYM_WEIGHT, strong=True)


def _parse_latin(pq: ParsedQuery, normal: str) -> None:
    tokens = normal.split()
    whole = "".join(tokens)
    for m in synonyms.find_pinyin(whole):
        pq.concepts.append(_synonym_concept(m))
        pq.exact.update(m.expansions)
    pieces = [whole] if len(tokens) == 1 else [whole, *tokens]
    for i, piece in enumerate(pieces):
        alts = [Alt(terms=(piece,))]
        if any(c.isalpha() for c in piece):
            prefix = len(piece) >= 2
            alts.append(Alt(pinyin=piece, prefix=prefix))
            if text.fuzzy(piece) != piece:
                alts.append(Alt(pinyin=text.fuzzy(piece), prefix=prefix))
        pq.concepts.append(Concept(label=piece, alts=alts, weight=1.0 if i == 0 else 0.5))


def _parse_chinese(pq: ParsedQuery, compact: str) -> None:
    matches = synonyms.find(compact)
    consumed = [False] * len(compact)
    for m in matches:
        for i in range(m.start, m.end):
            consumed[i] = True
    matches += synonyms.find_by_sound(compact, consumed)
    for m in matches:
        pq.concepts.append(_synonym_concept(m))
        for i in range(m.start, m.end):
            consumed[i] = True
        pq.exact.update(m.expansions)
    # Tokens with their positions in the compact query.
    tokens: list[tuple[str, int, bool]] = []
    pos = 0
    for tok in text.tokenizer().cut(compact, HMM=False):
        start = pos
        pos += len(tok)
        if not tok.strip():
            continue
        tokens.append((text.normalise(tok), start, any(consumed[start:pos])))
    kept: list[tuple[str, bool]] = []  # (token, consumed) of non-stopwords, in order
    for tok, _start, was_consumed in tokens:
        if tok in text.STOPWORDS or not text._valid(tok):
            kept.append(("", True))  # a gap: breaks runs for the typo check
            continue
        kept.append((tok, was_consumed))
        alt = Alt(
            terms=tuple(t for t in text.expand_token(tok, True) if t not in text.STOPWORDS),
            core=(tok,),
        )
        if was_consumed:
            pq.concepts.append(Concept(tok, [alt], weight=CONSUMED_WEIGHT, strong=False))
        elif is_weak(tok):
            pq.concepts.append(Concept(tok, [alt], weight=WEAK_WEIGHT, strong=False))
        else:
            pq.concepts.append(Concept(tok, [alt], weight=1.0, strong=True))
    _typo_concepts(pq, kept)


def _typo_concepts(pq: ParsedQuery, kept: list[tuple[str, bool]]) -> None:
    """A run of two or more single characters that are not words (jieba
    without HMM leaves unknown words as characters) is read by its sound:
    pinyin n-grams over the surrounding words that cover the run."""
    # split into chunks of consecutive, unconsumed, CJK tokens
    chunk: list[str] = []
    for tok, was_consumed in [*kept, ("", True)]:
        if tok and not was_consumed and text.has_cjk(tok):
            chunk.append(tok)
            continue
        if chunk:
            _typo_chunk(pq, chunk)
        chunk = []


def _typo_chunk(pq: ParsedQuery, chunk: list[str]) -> None:
    singles = [len(t) == 1 for t in chunk]
    runs = [i for i in range(len(chunk) - 1) if singles[i] and singles[i + 1]]
    if not runs:
        return
    # syllable positions of each token
    sylls: list[str] = []
    owner: list[int] = []
    for i, tok in enumerate(chunk):
        s = text.syllables(tok)
        sylls.extend(s)
        owner.extend([i] * len(s))
    run_tokens = {i for r in runs for i in (r, r + 1)}
    alts = []
    n = len(sylls)
    for a in range(n):
        for b in range(a + 2, min(n, a + MAX_PINYIN_NGRAM) + 1):
            if not run_tokens & set(owner[a:b]):
                continue
            alts.append(Alt(pinyin=text.fuzzy("".join(sylls[a:b])), factor=(b - a) / n))
    if alts:
        pq.concepts.append(Concept("".join(chunk) + "(拼音)", alts, weight=1.0, strong=True))
