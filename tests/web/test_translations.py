"""The English catalog is complete and its compiled .mo matches the .po.

The .po is read as text (no polib): an entry is a run of non-blank lines;
``msgctxt``, ``msgid``, ``msgid_plural`` and ``msgstr``/``msgstr[n]`` may go on
over several ``"..."`` lines. The header (``msgid ""``) is exempt.

The .mo is checked by content, not by mtime (a fresh clone gives both files
the checkout time): it is loaded with Python's ``gettext`` and every entry of
the .po must translate to exactly its msgstr. Forgetting ``make messages``
after editing the .po therefore fails here.
"""

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

import yiwang

LC_MESSAGES = Path(yiwang.__file__).parent / "locale" / "en" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(literal: str, where: str) -> str:
    assert len(literal) >= 2 and literal[0] == literal[-1] == '"', f"{where}: bad string {literal}"
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            assert body[i + 1 : i + 2] in _ESCAPES, f"{where}: unknown escape in {literal}"
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def parse_po(text: str) -> list[dict]:
    """Entries as dicts: ``line`` (1-based, where the entry starts), ``flags``
    (set), ``fields`` ({keyword: text}). Obsolete (``#~``) entries are left out."""
    entries, entry, key = [], None, None

    def flush():
        if entry and entry["fields"] and not entry["obsolete"]:
            entries.append(entry)

    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            flush()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"line": n, "flags": set(), "fields": {}, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            continue  # translator, extracted, reference and previous-msgid comments
        elif m := _KEYWORD.match(line):
            key = m.group(1)
            assert key not in entry["fields"], f"django.po:{n}: {key} twice in one entry"
            entry["fields"][key] = _unquote(m.group(2), f"django.po:{n}")
        elif line.startswith('"') and key is not None:
            entry["fields"][key] += _unquote(line.strip(), f"django.po:{n}")
        else:
            pytest.fail(f"django.po:{n}: cannot read {line!r}")
    flush()
    return entries


def msgstrs(entry: dict) -> list[str]:
    f = entry["fields"]
    if "msgid_plural" in f:
        return [f[k] for k in sorted(k for k in f if k.startswith("msgstr["))]
    return [f.get("msgstr", "")]


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    found = parse_po(PO.read_text(encoding="utf-8"))
    assert len(found) > 100, "the English catalog looks empty or unreadable"
    return [e for e in found if e["fields"].get("msgid")]  # the header is exempt


def _describe(entry: dict) -> str:
    return f"django.po:{entry['line']}: {entry['fields']['msgid']!r}"


def test_parser_reads_multiline_plural_and_escaped_strings():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        '#| msgid "旧"\nmsgid ""\n"多行"\n"字符串 %(n)s"\nmsgstr "A \\"quoted\\" %(n)s"\n\n'
        'msgid "一"\nmsgid_plural "多"\nmsgstr[0] "one"\nmsgstr[1] ""\n\n'
        '#~ msgid "废弃"\n#~ msgstr ""\n'
    )
    header, multi, plural = parse_po(sample)
    assert header["fields"] == {"msgid": "", "msgstr": "Language: en\n"}
    assert multi["fields"]["msgid"] == "多行字符串 %(n)s"
    assert multi["fields"]["msgstr"] == 'A "quoted" %(n)s'
    assert multi["flags"] == {"fuzzy", "python-format"}
    assert msgstrs(plural) == ["one", ""]


def test_every_entry_is_translated(entries):
    empty = [_describe(e) for e in entries if not all(msgstrs(e))]
    assert not empty, f"{len(empty)} English entries have an empty msgstr:\n" + "\n".join(empty)


def test_no_entry_is_fuzzy(entries):
    fuzzy = [_describe(e) for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, (
        f"{len(fuzzy)} English entries are fuzzy (check the translation, then remove the flag):\n"
        + "\n".join(fuzzy)
    )


_PLACEHOLDERS = re.compile(r"%\((\w+)\)|\{(\w*)\}")


def test_translations_keep_the_placeholders(entries):
    """The msgstr names the same %(name)s and {name} placeholders as the msgid
    (an unknown one raises KeyError at run time, a dropped one loses a value);
    each may appear any number of times."""
    bad = []
    for e in entries:
        wanted = set(_PLACEHOLDERS.findall(e["fields"]["msgid"]))
        for s in msgstrs(e):
            if s and set(_PLACEHOLDERS.findall(s)) != wanted:
                bad.append(f"{_describe(e)} → {s!r}")
    assert not bad, "placeholders differ between msgid and msgstr:\n" + "\n".join(bad)


def test_compiled_catalog_matches_the_po(entries):
    """The .mo holds exactly the .po's translations: run `make messages` after
    editing the .po."""
    with MO.open("rb") as fp:
        mo = gettext.GNUTranslations(fp)
    stale = []
    for e in entries:
        f = e["fields"]
        ctx, msgid, plural = f.get("msgctxt"), f["msgid"], f.get("msgid_plural")
        if plural is not None:
            got = [
                mo.npgettext(ctx, msgid, plural, n) if ctx else mo.ngettext(msgid, plural, n)
                for n in (1, 2)
            ]
            want = msgstrs(e)[:2]
        else:
            got = [mo.pgettext(ctx, msgid) if ctx else mo.gettext(msgid)]
            want = msgstrs(e)
        if got != want:
            stale.append(f"{_describe(e)}: .mo gives {got!r}, .po says {want!r}")
    assert not stale, (
        f"django.mo is out of date with django.po for {len(stale)} entries; run `make messages`:\n"
        + "\n".join(stale[:30])
    )


def test_django_serves_the_english_catalog():
    """Through Django's own machinery (LOCALE_PATHS, lazy strings, plurals)."""
    from yiwang.cases import lifecycle
    from yiwang.cases.models import Status

    with translation.override("en"):
        assert translation.gettext("办件进度查询") == "Track case progress"
        assert str(lifecycle.get("issue").label) == "Issue the result"
        assert str(Status.CORRECTING.label) == "Awaiting corrections"
        assert translation.ngettext("共 %(n)s 条", "共 %(n)s 条", 2) % {"n": 2} == (
            "2 entries in total"
        )
    with translation.override("zh-hans"):
        assert translation.gettext("办件进度查询") == "办件进度查询"
