"""Text handling shared by indexing and querying: normalisation, Chinese
segmentation (jieba, search mode), stopwords and pinyin.

Index and query go through the same functions, so a term written at index
time is spelled exactly as the query will spell it.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)


def _words(block: str) -> list[str]:
    return block.split()


#: Question words, particles and filler: dropped from queries and bodies.
STOPWORDS = frozenset(
    _words(
        """
    我 我的 我们 你 你们 您 他 她 他们 它 咱 俺 自己 家里 家 本人
    的 了 吗 呢 吧 啊 呀 哦 么 嘛 啦 着 过 得 地
    怎么 怎么办 怎样 怎么样 如何 咋 咋办 怎么弄 怎么搞 弄 搞
    在 在哪 在哪里 在哪儿 哪里 哪儿 哪个 去哪 去哪里 哪些 到哪 到哪里
    什么 啥 什么样 为什么 是 是不是 有没有 有 没有 没 不
    想 我想 想要 要 需要 需不需要 得要 能 能不能 可以 可不可以 会 应该 该
    一下 个 一个 这个 那个 这 那 这些 那些 请问 请 问 问一下 麻烦 谢谢 您好 你好
    和 与 及 或 还 就 都 也 又 才 再 给 让 被 把 对 向 从 跟 到 去 来 上 下
    多少 多久 几天 多长时间 时候 什么时候 现在 已经 刚 刚刚 马上 如果 然后 之后 以后
    一些 一点 些 哈 嗯 过来 回来
    """
    )
)

#: Words that are part of many item names (办理, 申请 …): kept, but they only
#: refine the ranking; they do not by themselves pull a document in while the
#: query has more telling words.
GENERIC = frozenset(
    _words(
        """
    办理 办 申请 申报 申领 领取 服务 事项 业务 手续 流程 材料 审批 许可 核发 备案 登记 变更
    注销 证 证书 证明 县级 行使 县级行使 区级 市级 管理 信息 相关 情况 有关 单位 个人 办事
    补办 发放 确认 认定 审核 核准 查询 咨询 指引 新办 首次 批准
    """
    )
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TERM_RE = re.compile(f"^[{_CJK}a-z0-9]+$")
_LATIN_QUERY_RE = re.compile(r"^[a-z0-9\s']+$")
_CHUNK_SPLIT_RE = re.compile(f"[^{_CJK}a-z0-9]+")

_lock = threading.RLock()
_tokenizer: jieba.Tokenizer | None = None
_custom: set[str] = set()  # words added to the segmenter


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), lower-case latin, collapse spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(text.split())


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def is_cjk_char(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def is_latin_query(text: str) -> bool:
    """All latin letters/digits: read as pinyin (or a code)."""
    return bool(_LATIN_QUERY_RE.match(text)) and any(c.isalpha() for c in text)


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def _valid(term: str) -> bool:
    return bool(_TERM_RE.match(term))


def add_words(words: Iterable[str]) -> list[str]:
    """Teach the segmenter platform words (犬类准养证, 营业执照 …). Returns the
    words that were new. Process-local; ``engine.add_words`` also stores
    them so that every process learns them."""
    tok = tokenizer()
    new = []
    with _lock:
        for raw in words:
            word = normalise(raw).replace(" ", "")
            if len(word) < 2 or word in _custom or not _valid(word) or not has_cjk(word):
                continue
            tok.add_word(word)
            _custom.add(word)
            new.append(word)
        if new:
            expand_token.cache_clear()
    return new


def known_custom_words() -> frozenset[str]:
    return frozenset(_custom)


def cut(text: str) -> list[str]:
    """Precise-mode tokens of normalised text (punctuation dropped)."""
    return [t for t in tokenizer().cut(text, HMM=False) if t.strip() and _valid(t)]


@lru_cache(maxsize=100_000)
def expand_token(token: str, chars: bool = False) -> tuple[str, ...]:
    """A token and every dictionary word inside it (jieba's full mode):
    养老保险 → 养老保险, 养老, 保险; 残疾人证新办 → …, 残疾人证, 新办. The same
    for index and query, whatever order the platform words were added in."""
    out = [token]
    if has_cjk(token) and len(token) > 2:
        out.extend(p for p in tokenizer().cut(token, cut_all=True) if len(p) > 1 and _valid(p))
    if chars and has_cjk(token) and len(token) > 1:
        out.extend(token)  # its characters: partial and single-character matches
    return tuple(dict.fromkeys(out))


def terms(text: str, *, chars: bool = False, drop_stopwords: bool = True) -> list[str]:
    """Index terms of a text: search-mode segmentation plus the parts of
    platform words (and, with ``chars``, every character: titles are indexed
    so, for partial and one-character matches), de-duplicated, in order of
    first appearance."""
    out: dict[str, None] = {}
    for token in cut(normalise(text)):
        for t in expand_token(token, chars):
            if drop_stopwords and t in STOPWORDS:
                continue
            out[t] = None
    return list(out)


# --- pinyin ---------------------------------------------------------------

_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"))


def fuzzy(latin: str) -> str:
    """Fold the sounds people mix up (zh/z, ch/c, sh/s, -ng/-n), applied to a
    whole pinyin string alike at index and query time: 营业执造 and 营业执照
    then read the same, and so do ``yingyezhizhao`` and ``yinyezizao``."""
    for a, b in _FUZZY:
        latin = latin.replace(a, b)
    return latin


def syllables(text: str) -> list[str]:
    """Pinyin syllables of the CJK characters of ``text`` (others dropped)."""
    return [
        s
        for ch, s in zip(text, lazy_pinyin(text, errors=lambda x: ["?"] * len(x)), strict=False)
        if is_cjk_char(ch)
    ]


@lru_cache(maxsize=100_000)
def pinyin_full(text: str) -> str:
    return fuzzy("".join(lazy_pinyin([c for c in text if is_cjk_char(c)])))


@lru_cache(maxsize=100_000)
def pinyin_initials(text: str) -> str:
    return "".join(lazy_pinyin([c for c in text if is_cjk_char(c)], style=Style.FIRST_LETTER))


def pinyin_terms(words: Iterable[str]) -> list[str]:
    """Full (fuzzy) pinyin and initials of each word of two or more CJK
    characters: 营业执照 → yinyezizao, yyzz."""
    out: dict[str, None] = {}
    for w in words:
        cjk = "".join(c for c in w if is_cjk_char(c))
        if len(cjk) < 2:
            continue
        out[pinyin_full(cjk)] = None
        out[pinyin_initials(cjk)] = None
    return list(out)


def chunks(text: str) -> list[str]:
    """The runs of a title between punctuation: 居民身份证办理（包括临时）→
    居民身份证办理, 包括临时."""
    return [c for c in _CHUNK_SPLIT_RE.split(normalise(text)) if c]


_ACTION_SUFFIXES = sorted(
    _words(
        """
    核发 申请 申领 申报 登记 备案 审批 办理 变更 注销 补办 换发 签发 首次签发 许可 确认 认定 发放
    审核 核准 查询 延续 新办 补领 给付 支付 转移 接续 转移接续 预约 认证 资格认证 核验 设立
    """
    ),
    key=len,
    reverse=True,
)


def derive_words(title: str) -> list[str]:
    """Vocabulary derived from a title: its chunks, and each chunk without a
    trailing action word (犬类准养证核发 → 犬类准养证), 3 to 8 characters long."""
    out: dict[str, None] = {}
    for chunk in chunks(title):
        if not has_cjk(chunk):
            continue
        cands = [chunk]
        stem = chunk
        changed = True
        while changed:
            changed = False
            for suf in _ACTION_SUFFIXES:
                if stem.endswith(suf) and len(stem) - len(suf) >= 2:
                    stem = stem[: -len(suf)]
                    cands.append(stem)
                    changed = True
                    break
        if len(cands) > 1:
            cands = cands[1:]  # the stems; the whole chunk would hide them
        for c in cands:
            if 3 <= len(c) <= 8 and _valid(c):
                out[c] = None
    return list(out)
