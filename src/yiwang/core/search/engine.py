"""Indexing and searching.

Two stages:

1. *Recall* in the database's full-text index, over the strong terms of the
   parsed query (see :mod:`.query`): SQLite FTS5 ranked by ``bm25()`` with
   column weights (title 10, keywords 4, pinyin 3, body 1), or PostgreSQL's
   GIN-indexed tsvector ranked by ``ts_rank_cd`` (weights A title, B
   keywords, C body, D pinyin). At most ``RECALL_LIMIT`` candidates.
2. *Ranking* in Python over those candidates: how much of each concept of
   the question the title (then keywords, then body) covers, an exact-title
   bonus, the full-text rank as a tie-breaker, the document's ``weight``
   multiplying, and shorter titles first among equals. Ties are broken by
   kind and object id, so results are deterministic.
"""

from __future__ import annotations

import html
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection, transaction
from django.utils.translation import gettext as _

from ..errors import ValidationFailed
from . import query as q
from . import text
from .models import SearchDocument, SearchWord

MAX_QUERY_LENGTH = 100
RECALL_LIMIT = 120
WEAK_RECALL_BELOW = 3
BATCH = 2000
VOCAB_SECONDS = 60.0
FTS_TABLE = "core_search_fts"

# field weights in the Python ranking
F_TITLE, F_KEYWORDS, F_BODY, F_PINYIN = 1.0, 0.6, 0.25, 0.9
PARTIAL = 0.3
# When a question names a thing and no action (社保卡怎么办), the item that
# grants it comes before the ones that change, renew or cancel it.
OBTAIN_ACTIONS = ("申领", "新办", "新增", "配发", "办理", "核发", "设立", "首次", "签发", "申请")
OTHER_ACTIONS = frozenset(
    text._words(
        "变更 注销 补办 补领 挂失 延续 换发 换领 迁移 密码 转移 终止 遗失 过户 补发 到期 更正 恢复 停业 歇业"
    )
)


@dataclass
class Hit:
    kind: str
    object_id: str
    title: str
    score: float
    highlight: str
    data: dict = field(default_factory=dict)


# --- indexing ------------------------------------------------------------------

_vocab_lock = threading.Lock()
_vocab_at = -1e9


def add_words(words: Iterable[str], *, source: str = "caller") -> list[str]:
    """Add platform words to the segmenter of this process and store them, so
    that every process (web, worker, command) segments the same way."""
    new = text.add_words(words)
    if new:
        SearchWord.objects.bulk_create(
            [SearchWord(word=w, source=source[:20]) for w in new], ignore_conflicts=True
        )
    return new


def ensure_vocabulary(force: bool = False) -> None:
    """Load the stored vocabulary into this process's segmenter (every
    ``VOCAB_SECONDS`` at most)."""
    global _vocab_at
    now = time.monotonic()
    if not force and now - _vocab_at < VOCAB_SECONDS:
        return
    with _vocab_lock:
        _vocab_at = now
    known = text.known_custom_words()
    words = [w for w in SearchWord.objects.values_list("word", flat=True) if w not in known]
    if words:
        text.add_words(words)


@lru_cache(maxsize=200_000)
def _sentence_terms(sentence: str, chars: bool = False) -> tuple[str, ...]:
    return tuple(text.terms(sentence, chars=chars))


def _body_terms(body: str) -> list[str]:
    """Terms of a longer text, sentence by sentence (cached: guides and FAQ
    repeat the same sentences across many documents)."""
    out: dict[str, None] = {}
    for sentence in _split_sentences(body):
        for t in _sentence_terms(sentence):
            out[t] = None
    return list(out)


def _split_sentences(body: str) -> list[str]:
    buf, out = [], []
    for ch in body:
        if ch in "。！？；;!?\n":
            if buf:
                out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if buf:
        out.append("".join(buf))
    return out


def _keywords_list(keywords) -> list[str]:
    if isinstance(keywords, str):
        keywords = keywords.replace("，", ",").replace("\n", ",").split(",")
    return [k.strip() for k in keywords or () if k and k.strip()]


def build_document(
    kind: str,
    object_id,
    title: str,
    body: str = "",
    keywords: Iterable[str] = (),
    weight: float = 1.0,
    public: bool = True,
    region_path: str = "",
    department_id="",
    data: Mapping | None = None,
) -> SearchDocument:
    """An unsaved SearchDocument with its segmented terms filled in."""
    kws = _keywords_list(keywords)
    title = (title or "").strip()[:300]
    title_terms = _sentence_terms(title, True)
    kw_terms: dict[str, None] = {}
    for k in kws:
        for t in _sentence_terms(k, True):
            kw_terms[t] = None
    words = [t for t in title_terms if len(t) >= 2] + text.chunks(title) + list(kw_terms)
    return SearchDocument(
        kind=kind,
        object_id=str(object_id),
        title=title,
        body=body or "",
        keywords="\n".join(kws),
        weight=float(weight),
        public=bool(public),
        region_path=region_path or "",
        department_id=str(department_id or ""),
        data=dict(data or {}),
        title_terms=" ".join(title_terms),
        keywords_terms=" ".join(kw_terms),
        body_terms=" ".join(_body_terms(body or "")),
        pinyin_terms=" ".join(text.pinyin_terms(words)),
    )


def index_document(
    kind: str,
    object_id,
    title: str,
    body: str = "",
    keywords: Iterable[str] = (),
    weight: float = 1.0,
    public: bool = True,
    **scope,
) -> SearchDocument:
    """Add or replace one document. ``scope``: ``region_path`` (visible in
    that region's subtree only; empty: everywhere), ``department_id``, and
    ``data`` (a small dict returned with each hit, e.g. a code or a URL)."""
    ensure_vocabulary()
    add_words(text.derive_words(title), source=kind)
    doc = build_document(kind, object_id, title, body, keywords, weight, public, **scope)
    with transaction.atomic():
        existing = SearchDocument.objects.filter(kind=kind, object_id=doc.object_id).first()
        if existing:
            doc.id = existing.id
            doc.save(force_update=True)
        else:
            doc.save(force_insert=True)
    return doc


def index_documents(kind: str, iterable: Iterable, *, batch_size: int = BATCH) -> int:
    """Add or replace many documents of ``kind`` at once (each a mapping with
    the arguments of :func:`index_document`): one delete and bulk inserts,
    for importers. Returns the number indexed."""
    ensure_vocabulary()
    rows = [dict(r) for r in iterable]
    if not rows:
        return 0
    words: dict[str, None] = {}
    for r in rows:
        for w in text.derive_words(r.get("title", "")):
            words[w] = None
    add_words(words, source=kind)
    ids = [str(r["object_id"]) for r in rows]
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            SearchDocument.objects.filter(
                kind=kind, object_id__in=ids[start : start + 500]
            ).delete()
        batch = []
        for r in rows:
            batch.append(build_document(kind, **r))
            if len(batch) >= batch_size:
                SearchDocument.objects.bulk_create(batch)
                batch = []
        if batch:
            SearchDocument.objects.bulk_create(batch)
    _forget_statistics()
    return len(rows)


def remove_document(kind: str, object_id) -> bool:
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id=str(object_id)).delete()
    return bool(deleted)


def reindex(kind: str, iterable: Iterable, *, batch_size: int = BATCH) -> int:
    """Replace every document of ``kind`` with those of ``iterable`` — each a
    mapping with the arguments of :func:`index_document` (``object_id``,
    ``title``, ``body``, ``keywords``, ``weight``, ``public``, ``region_path``,
    ``department_id``, ``data``). Words derived from the titles are added to
    the vocabulary first. Returns the number indexed."""
    ensure_vocabulary()
    rows = [dict(r) for r in iterable]
    words: dict[str, None] = {}
    for r in rows:
        for w in text.derive_words(r.get("title", "")):
            words[w] = None
    add_words(words, source=kind)
    _sentence_terms.cache_clear()
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind).delete()
        batch = []
        for r in rows:
            batch.append(build_document(kind, **r))
            if len(batch) >= batch_size:
                SearchDocument.objects.bulk_create(batch)
                batch = []
        if batch:
            SearchDocument.objects.bulk_create(batch)
    optimise()
    _forget_statistics()
    return len(rows)


def optimise() -> None:
    """Merge the full-text index's segments (SQLite) / refresh statistics."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('optimize')")
        elif connection.vendor == "postgresql":
            cur.execute("ANALYZE core_searchdocument")


def stats() -> dict:
    from django.db.models import Count

    from .models import SearchSynonym

    by_kind = dict(
        SearchDocument.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    return {
        "documents": by_kind,
        "synonyms": SearchSynonym.objects.filter(is_active=True).count(),
        "words": SearchWord.objects.count(),
        "backend": connection.vendor,
    }


# --- searching -----------------------------------------------------------------


def _fts5_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fts5_group(words, pins, body: bool) -> str:
    cols = "{title_terms keywords_terms body_terms}" if body else "{title_terms keywords_terms}"
    parts = []
    if words:
        parts.append(f"{cols} : (" + " OR ".join(_fts5_quote(w) for w in words) + ")")
    if pins:
        parts.append(
            "pinyin_terms : ("
            + " OR ".join(_fts5_quote(p) + ("*" if prefix else "") for p, prefix in pins)
            + ")"
        )
    return "(" + " OR ".join(parts) + ")"


def _fts5_expression(groups, mode: str, body: bool, kinds) -> str:
    return _fts5_kinds(kinds, f" {mode} ".join(_fts5_group(w, p, body) for w, p in groups))


def _pg_quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _pg_expression(groups, mode: str, body: bool) -> str:
    cols = "ABC" if body else "AB"
    out = []
    for words, pins in groups:
        parts = [f"{_pg_quote(w)}:{cols}" for w in words]
        parts += [f"{_pg_quote(p)}:{'*' if prefix else ''}D" for p, prefix in pins]
        out.append("(" + " | ".join(parts) + ")")
    return (" & " if mode == "AND" else " | ").join(out)


_COLUMNS = (
    "d.id, d.kind, d.object_id, d.title, d.weight, d.data, "
    "d.title_terms, d.keywords_terms, d.body_terms, d.pinyin_terms"
)


def _scope_sql(kinds, include_private, region_path, department_id, params) -> str:
    sql = ""
    if kinds:
        sql += " AND d.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")"
        params.extend(kinds)
    if not include_private:
        sql += " AND d.public"
    if region_path is not None:
        # documents of that region and of the regions above it (or everywhere)
        sql += " AND (d.region_path = '' OR %s LIKE d.region_path || '%%')"
        params.append(region_path)
    if department_id:
        sql += " AND d.department_id = %s"
        params.append(str(department_id))
    return sql


def _recall(groups, mode, body, scope, limit):
    """One full-text query: the concepts' groups joined by AND or OR, over
    title and keywords (and body), ranked by the database, at most ``limit``."""
    if not groups:
        return []
    kinds, include_private, region_path, department_id = scope
    params: list = []
    if connection.vendor != "postgresql":
        return _recall_fts5(groups, mode, body, scope, limit)
    params.append(_pg_expression(groups, mode, body))
    where = _scope_sql(kinds, include_private, region_path, department_id, params)
    sql = (
        f"SELECT {_COLUMNS}, ts_rank_cd('{{0.3, 0.1, 0.4, 1.0}}', d.search_vector, tq) AS r "
        f"FROM core_searchdocument d, to_tsquery('simple', %s) tq "
        f"WHERE d.search_vector @@ tq{where} ORDER BY r DESC, d.id LIMIT %s"
    )
    params.append(limit)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


_BM25 = f"-bm25({FTS_TABLE}, 10.0, 4.0, 1.0, 3.0, 0.0)"
# bm25 scores every matching row (and, per phrase, scans the phrase's whole
# posting list for its document frequency): beyond this many matches a
# recall query is ranked by its rarer phrases only (see _prune).
RANK_CAP = 1000
_df_lock = threading.Lock()
_df_cache: dict[str, int] = {}
_df_at = -1e9
_df_total = 0


def _forget_statistics() -> None:
    global _df_at
    with _df_lock:
        _df_cache.clear()
        _df_at = -1e9


def _fts5_count(cur, expr: str, cap: int) -> int:
    """How many documents match ``expr``, counting no further than ``cap``
    (rowid order: FTS5 stops early, nothing is scored)."""
    cur.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",
        [expr, cap],
    )
    return cur.fetchone()[0]


def _global_df(cur, phrase: str) -> tuple[int, int]:
    """(documents holding ``phrase`` — counted up to half the index —, the
    number of documents). Kept for ``VOCAB_SECONDS``: how common a word is
    changes slowly, and the common ones (办, 证, 人) cost most to count."""
    global _df_at, _df_total
    now = time.monotonic()
    with _df_lock:
        if now - _df_at >= VOCAB_SECONDS:
            _df_cache.clear()
            _df_at = now
            _df_total = 0
        total = _df_total
        df = _df_cache.get(phrase)
    if not total:
        cur.execute("SELECT count(*) FROM core_searchdocument")
        total = cur.fetchone()[0]
        with _df_lock:
            _df_total = total
    if df is None:
        df = _fts5_count(cur, phrase, total // 2 + 1)
        with _df_lock:
            _df_cache[phrase] = df
    return df, total


def _fts5_phrases(group, body: bool) -> list[str]:
    words, pins = group
    cols = "{title_terms keywords_terms body_terms}" if body else "{title_terms keywords_terms}"
    out = [f"{cols} : {_fts5_quote(w)}" for w in words]
    out += [f"pinyin_terms : {_fts5_quote(p)}{'*' if prefix else ''}" for p, prefix in pins]
    return out


def _fts5_kinds(kinds, expr: str) -> str:
    if kinds:
        return "kind : (" + " OR ".join(_fts5_quote(k) for k in kinds) + f") AND ({expr})"
    return expr


def _prune(cur, groups, mode: str, body: bool, kinds) -> str | None:
    """The expression to rank by when ranking the full one would mean scoring
    too much, or None to rank the full one.

    Phrases are left out of the ranking, most common first: those in at
    least half of the index (bm25 gives them no weight, yet counting them
    is the dearest part of the query: 办 is in nearly every FAQ title), and
    then, while the matches could exceed ``RANK_CAP``, the commonest of the
    others — a document holding only those would be ranked low by bm25
    anyway. A group keeps at least one phrase under AND, the query at least
    one under OR. The documents only the left-out phrases find still come,
    unranked, after the ranked ones (see _recall_fts5)."""
    phrase_groups = [_fts5_phrases(g, body) for g in groups]
    stats: dict[str, int] = {}
    total = 0
    common = False
    for ps in phrase_groups:
        for ph in ps:
            if ph not in stats:
                df, total = _global_df(cur, ph)
                stats[ph] = df
                common = common or df > total // 2
    full = _fts5_expression(groups, mode, body, kinds)
    if not common and _fts5_count(cur, full, RANK_CAP + 1) <= RANK_CAP:
        return None
    if kinds:  # how many of the searched kinds hold each phrase
        scoped = {ph: _fts5_count(cur, _fts5_kinds(kinds, ph), RANK_CAP + 1) for ph in stats}
    else:
        scoped = dict(stats)
    keep = [list(ps) for ps in phrase_groups]

    def removable(i: int, ph: str) -> bool:
        if mode == "AND":
            return len(keep[i]) > 1
        return sum(len(k) for k in keep) > 1

    def bound() -> int:
        sizes = [sum(scoped[ph] for ph in k) for k in keep]
        return min(sizes) if mode == "AND" else sum(sizes)

    for i, ps in enumerate(phrase_groups):
        for ph in sorted(ps, key=lambda ph: -stats[ph]):
            if stats[ph] > total // 2 and removable(i, ph):
                keep[i].remove(ph)
    while bound() > RANK_CAP:
        order = sorted(((scoped[ph], i, ph) for i, k in enumerate(keep) for ph in k), reverse=True)
        victim = next(((i, ph) for _n, i, ph in order if removable(i, ph)), None)
        if victim is None:
            break
        keep[victim[0]].remove(victim[1])
    if keep == phrase_groups:
        return None
    kept = [k for k in keep if k]
    return f" {mode} ".join("(" + " OR ".join(k) + ")" for k in kept)


def _kinds_present(cur) -> list[str]:
    global _df_at
    with _df_lock:
        if time.monotonic() - _df_at >= VOCAB_SECONDS:
            _df_cache.clear()
            _df_at = time.monotonic()
        kinds = _df_cache.get(" kinds")
    if kinds is None:
        cur.execute("SELECT DISTINCT kind FROM core_searchdocument ORDER BY kind")
        kinds = [r[0] for r in cur.fetchall()]
        with _df_lock:
            _df_cache[" kinds"] = kinds
    return list(kinds)


def _recall_fts5(groups, mode: str, body: bool, scope, limit: int):
    """FTS5 recall. When bm25 would have to score too many matches, it ranks
    by the rarer phrases only (see _prune) — and, over several kinds, kind by
    kind, each with its share of ``limit``: a few hundred items are not to be
    crowded out, nor pruned, because a hundred thousand FAQ entries share a
    word with the question."""
    kinds = scope[0]
    with connection.cursor() as cur:
        kept = _prune(cur, groups, mode, body, kinds)
        if kept is not None:
            each = kinds or _kinds_present(cur)
            if len(each) > 1:
                rows = []
                share = max(1, limit // len(each))
                for kind in each:
                    one = ([kind], *scope[1:])
                    kept_one = _prune(cur, groups, mode, body, [kind])
                    rows += _recall_fts5_ranked(cur, groups, mode, body, one, share, kept_one)
                return rows
        return _recall_fts5_ranked(cur, groups, mode, body, scope, limit, kept)


def _recall_fts5_ranked(cur, groups, mode: str, body: bool, scope, limit: int, kept):
    """Rank inside the full-text table alone (rowid and bm25, a top-N sort),
    then read the few winning documents. Joining first would make SQLite read
    and carry every matching document through the sort — with thousands of
    FAQ entries matching a common word, most of the time.

    With ``kept`` (a pruned expression, see _prune), bm25 ranks by it; the
    documents that only the left-out phrases find follow, unranked, in index
    order, up to ``limit``.

    The scope filters that the full-text table cannot apply (public, region,
    department) are applied to the winners; when they leave fewer than
    ``limit`` of a truncated list, the query is run again unbounded and
    unpruned, so the result is exactly that of ranking the filtered matches."""
    kinds, include_private, region_path, department_id = scope
    filtered = not include_private or region_path is not None or bool(department_id)
    inner = limit * 2 if filtered else limit
    full = _fts5_expression(groups, mode, body, kinds)
    cur.execute(
        f"SELECT rowid, {_BM25} AS r FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
        f"ORDER BY r DESC, rowid LIMIT %s",
        [full if kept is None else _fts5_kinds(kinds, kept), inner],
    )
    ranked = cur.fetchall()
    if kept is not None and len(ranked) < inner:
        cur.execute(
            f"SELECT rowid, 0.0 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            f"ORDER BY rowid LIMIT %s",
            [f"({full}) NOT ({kept})", inner - len(ranked)],
        )
        ranked += cur.fetchall()
    if not ranked:
        return []
    params: list = [r[0] for r in ranked]
    where = _scope_sql(None, include_private, region_path, department_id, params)
    cur.execute(
        f"SELECT {_COLUMNS} FROM core_searchdocument d "
        f"WHERE d.id IN ({', '.join(['%s'] * len(ranked))}){where}",
        params,
    )
    docs = {row[0]: row for row in cur.fetchall()}
    if len(docs) < limit and len(ranked) == inner:
        # the filters dropped too many of the best: rank all the matches
        params = [full]
        where = _scope_sql(None, include_private, region_path, department_id, params)
        params.append(limit)
        cur.execute(
            f"SELECT {_COLUMNS}, {_BM25} AS r FROM {FTS_TABLE} "
            f"JOIN core_searchdocument d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s{where} ORDER BY r DESC, d.id LIMIT %s",
            params,
        )
        return cur.fetchall()
    return [(*docs[i], r) for i, r in ranked if i in docs][:limit]


def _staged_recall(parsed: q.ParsedQuery, scope, limit: int, recall_limit: int):
    """Cheapest first, widening only while fewer than ``limit`` candidates:
    all telling concepts in title/keywords (AND); any of them (OR); any of
    them anywhere, body included; then the weak words too."""
    rows: dict[int, tuple] = {}
    strong = parsed.recall_groups(strong_only=True)
    stages = []
    if len(strong) > 1:
        stages.append((strong, "AND", False))
    stages += [(strong, "OR", False), (strong, "OR", True)]
    for groups, mode, body in stages:
        if not groups:
            continue
        for row in _recall(groups, mode, body, scope, recall_limit):
            rows.setdefault(row[0], row)
        if len(rows) >= limit:
            break
    # The weak words (办理, 申请, single characters) match a large part of the
    # index: pull documents in by them only when the telling words found
    # (almost) nothing, and then by title and keywords only.
    if len(rows) < WEAK_RECALL_BELOW:
        weak = parsed.recall_groups(strong_only=False)
        if weak:
            groups = [(sum((w for w, _ in weak), []), sum((p for _, p in weak), []))]
            for row in _recall(groups, "OR", False, scope, recall_limit):
                rows.setdefault(row[0], row)
    return list(rows.values())


@lru_cache(maxsize=50_000)
def _field_values(title_terms: str, keywords_terms: str, body_terms: str) -> dict[str, float]:
    """term → the value of the best field holding it (title, then keywords,
    then body). Cached: the same documents come back query after query."""
    values = dict.fromkeys(body_terms.split(), F_BODY)
    values.update(dict.fromkeys(keywords_terms.split(), F_KEYWORDS))
    values.update(dict.fromkeys(title_terms.split(), F_TITLE))
    return values


@lru_cache(maxsize=50_000)
def _pinyin_values(pinyin_terms: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The pinyin terms as a set, and sorted (for prefix look-ups)."""
    items = pinyin_terms.split()
    return frozenset(items), tuple(sorted(set(items)))


def _has_prefix(ordered: tuple[str, ...], p: str) -> bool:
    i = bisect_left(ordered, p)
    return i < len(ordered) and ordered[i].startswith(p)


@lru_cache(maxsize=50_000)
def _compact(title: str) -> str:
    return text.normalise(title).replace(" ", "")


class _Candidate:
    __slots__ = ("row", "matched_terms", "matched_pinyin")

    def __init__(self, row, matched_terms, matched_pinyin):
        self.row = row
        self.matched_terms: set[str] = matched_terms
        self.matched_pinyin: set[tuple[str, bool]] = matched_pinyin


class _Plan:
    """The parsed query laid out for scoring many candidates: per concept its
    weight and readings — ``(None, (pinyin, prefix), factor)`` or
    ``(((term, weight), …), total weight, factor)`` —, and every term and pinyin term once, so each
    candidate looks each of them up once."""

    __slots__ = ("concepts", "terms", "pins")

    def __init__(self, parsed: q.ParsedQuery):
        self.concepts = []
        terms: dict[str, None] = {}
        pins: dict[tuple[str, bool], None] = {}
        for concept in parsed.concepts:
            alts = []
            for a in concept.alts:
                if a.pinyin:
                    pins[(a.pinyin, a.prefix)] = None
                    alts.append((None, (a.pinyin, a.prefix), a.factor))
                else:
                    total = 0.0
                    for w in a.weights:
                        total += w
                    terms.update(dict.fromkeys(a.terms))
                    alts.append((tuple(zip(a.terms, a.weights, strict=True)), total, a.factor))
            self.concepts.append((concept.weight, alts))
        self.terms = tuple(terms)
        self.pins = tuple(pins)


def _score_cover(plan: _Plan, row) -> tuple[float, set[str], set[tuple[str, bool]]]:
    """Σ concept weight × its best reading's credit, and the title terms and
    pinyin terms matched.

    A reading of words earns the weighted share of them the document holds,
    each by its best field (title, keywords, body), and only ``PARTIAL`` of
    that when one of its telling words is missing: 经营 and 许可 alone are not
    食品经营许可. A pinyin reading earns ``F_PINYIN`` (0.8 of it as a
    prefix)."""
    values = _field_values(row[6], row[7], row[8])
    vals = {t: values.get(t, 0.0) for t in plan.terms}
    matched = {t for t, v in vals.items() if v == F_TITLE}
    matched_pinyin: set[tuple[str, bool]] = set()
    pin_vals: dict[tuple[str, bool], float] = {}
    if plan.pins:
        pset, plist = _pinyin_values(row[9])
        for key in plan.pins:
            p, prefix = key
            if p in pset:
                matched_pinyin.add((p, False))
                pin_vals[key] = F_PINYIN
            elif prefix and _has_prefix(plist, p):
                matched_pinyin.add((p, True))
                pin_vals[key] = F_PINYIN * 0.8
            else:
                pin_vals[key] = 0.0
    cover = 0.0
    for weight, alts in plan.concepts:
        best = 0.0
        for tw, total, factor in alts:
            if tw is None:  # a pinyin reading; total is its (pinyin, prefix)
                credit = pin_vals[total] * factor
            else:
                if not total:
                    credit = 0.0
                else:
                    got = 0.0
                    missing_telling = False
                    for t, w in tw:
                        v = vals[t]
                        got += w * v
                        if not v and w >= 1.0:
                            missing_telling = True
                    credit = got / total * (PARTIAL if missing_telling else 1.0) * factor
            if credit > best:
                best = credit
        cover += weight * best
    return cover, matched, matched_pinyin


def _title_coverage(title: str, matched: set[str]) -> float:
    """Share of the title's characters that the matched words cover: among
    equally matching items, the one the question explains best comes first
    (失业保险金申领 before 领取失业保险金期间职业介绍补贴申领)."""
    low = _compact(title)
    if not low:
        return 0.0
    marks = [False] * len(low)
    for w in matched:
        start = low.find(w)
        while start != -1:
            for i in range(start, start + len(w)):
                marks[i] = True
            start = low.find(w, start + len(w))
    return sum(marks) / len(low)


def _asks_other_action(parsed: q.ParsedQuery) -> bool:
    for concept in parsed.concepts:
        for alt in concept.alts:
            if any(t in OTHER_ACTIONS for t in alt.terms):
                return True
    return any(w in parsed.normal for w in OTHER_ACTIONS)


def _rank(parsed: q.ParsedQuery, rows) -> list[tuple[float, _Candidate]]:
    if not rows:
        return []
    total_weight = sum(c.weight for c in parsed.concepts) or 1.0
    top_r = max(float(r[10] or 0.0) for r in rows) or 1.0
    exact = {e.replace(" ", "") for e in parsed.exact}
    prefer_obtain = not _asks_other_action(parsed)
    plan = _Plan(parsed)
    ranked = []
    for row in rows:
        cover, matched, matched_pinyin = _score_cover(plan, row)
        title = row[3]
        score = 100.0 * cover / total_weight
        score += 10.0 * _title_coverage(title, matched)
        score += 1.0 * float(row[10] or 0.0) / top_r
        if _compact(title) in exact:
            score += 30.0
        if prefer_obtain and any(w in title for w in OBTAIN_ACTIONS):
            score += 2.0
        score *= float(row[4])
        ranked.append((score, _Candidate(row, matched, matched_pinyin)))
    ranked.sort(key=lambda sc: (-round(sc[0], 6), len(sc[1].row[3]), sc[1].row[1], sc[1].row[2]))
    return ranked


def highlight(
    title: str, terms: Iterable[str] = (), pinyin: Iterable[tuple[str, bool]] = ()
) -> str:
    """The title, HTML-escaped, with ``<mark>`` around the matched words."""
    low = text.normalise(title) if len(text.normalise(title)) == len(title) else title.lower()
    marks = [False] * len(title)
    words = set(terms)
    pins = list(pinyin)
    if pins:
        for w in text.terms(title):
            if len(w) < 2 or not text.has_cjk(w):
                continue
            full, ini = text.pinyin_full(w), text.pinyin_initials(w)
            for p, prefix in pins:
                if p in (full, ini) or (prefix and (full.startswith(p) or ini.startswith(p))):
                    words.add(w)
    for w in sorted(words, key=len, reverse=True):
        if not w:
            continue
        start = low.find(w)
        while start != -1:
            for i in range(start, start + len(w)):
                marks[i] = True
            start = low.find(w, start + len(w))
    out, open_ = [], False
    for ch, m in zip(title, marks, strict=True):
        if m and not open_:
            out.append("<mark>")
            open_ = True
        elif not m and open_:
            out.append("</mark>")
            open_ = False
        out.append(html.escape(ch))
    if open_:
        out.append("</mark>")
    return "".join(out)


def search(
    query: str,
    kinds: Iterable[str] | str | None = None,
    limit: int = 10,
    *,
    include_private: bool = False,
    region_path: str | None = None,
    department_id=None,
) -> list[Hit]:
    """Search. ``kinds`` restricts to document kinds; ``region_path`` keeps
    documents of that region and the regions above it (and those without a
    region); ``department_id`` keeps one department's documents. Raises
    ValidationFailed for a query over ``MAX_QUERY_LENGTH`` characters; a
    blank query finds nothing."""
    if query is not None and len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed(
            _("搜索词过长（最多 %(n)d 个字符）/ Query too long (at most %(n)d characters)")
            % {"n": MAX_QUERY_LENGTH},
            code="query_too_long",
            fields={
                "q": _("最多 %(n)d 个字符 / at most %(n)d characters") % {"n": MAX_QUERY_LENGTH}
            },
        )
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = sorted(set(kinds)) if kinds else None
    limit = max(1, min(int(limit), 100))
    ensure_vocabulary()
    parsed = q.parse(query or "")
    if not parsed.concepts:
        return []
    scope = (kinds, include_private, region_path, department_id)
    recall_limit = max(RECALL_LIMIT, limit * 4)
    rows = _staged_recall(parsed, scope, limit, recall_limit)
    if not rows:
        rows = _recall_by_sound(parsed, scope, recall_limit)
    ranked = _rank(parsed, rows)[:limit]
    return [
        Hit(
            kind=c.row[1],
            object_id=c.row[2],
            title=c.row[3],
            score=round(score, 4),
            highlight=highlight(c.row[3], c.matched_terms, c.matched_pinyin),
            data=_data(c.row[5]),
        )
        for score, c in ranked
    ]


def _recall_by_sound(parsed: q.ParsedQuery, scope, recall_limit):
    """Last resort: read the whole query by its sound (pinyin n-grams of it),
    for typos in words the segmenter does know."""
    compact = parsed.normal.replace(" ", "")
    chunk = [t for t in text.cut(compact) if t not in text.STOPWORDS and text.has_cjk(t)]
    sylls = [s for t in chunk for s in text.syllables(t)]
    n = len(sylls)
    alts = []
    for a in range(n):
        for b in range(a + 2, min(n, a + q.MAX_PINYIN_NGRAM) + 1):
            alts.append(q.Alt(pinyin=text.fuzzy("".join(sylls[a:b])), factor=(b - a) / n))
    if not alts:
        return []
    concept = q.Concept(compact + "(拼音)", alts, weight=1.0, strong=True)
    parsed.concepts.append(concept)
    pins = list(dict.fromkeys((a.pinyin, a.prefix) for a in alts))
    return _recall([([], pins)], "OR", False, scope, recall_limit)


def _data(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        import json

        try:
            return json.loads(value)
        except ValueError:
            return {}
    return {}
