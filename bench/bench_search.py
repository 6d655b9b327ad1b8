"""Search benchmark (issue #3): quality and latency of yiwang.core.search.

Indexes the district's real 1,135 service items (title = item name; keywords
= the parent item; body = department and a short generated guide text) and
100,000 generated FAQ entries (kind "faq", made deterministically from
templates over the item names) into a scratch database, then prints:

    search_p95_ms = V ms (ratio R to baseline)
        p95 of search() over the question set (each question searched twice:
        all kinds, and items only), 5 rounds; baseline: p95 of a plain
        indexed primary-key lookup, SearchDocument.objects.get(pk=…), on the
        same database in the same run.
    search_hit1 = V (ratio R to baseline)
    search_hit3 = V (ratio R to baseline)
        share of bench/search_questions.tsv whose expected item is the first
        / among the first three item hits; baseline: a naive
        ``title icontains question`` search in the same run.

Usage:  .venv/bin/python bench/bench_search.py [--db sqlite|postgres] [--faq N] [--keep] [-v]
``--db postgres`` uses DATABASE_URL's server with a scratch database
(<name>_bench_search), created and dropped by the run. With ``--keep`` the
scratch database is kept after the run, and a run that finds it (holding
exactly the items and ``--faq`` entries it would index) reuses it instead of
rebuilding: the two reindexes take most of a PostgreSQL run. Drop it by
hand, or run once without ``--keep``, after changing how documents are
built or segmented (engine.build_document, text).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
ITEMS_CSV = SHARED / "guangan-service-items.csv"
QUESTIONS = ROOT / "bench" / "search_questions.tsv"
sys.path.insert(0, str(ROOT / "src"))

FAQ_QUESTIONS = [
    "需要准备哪些材料？",
    "多久能办好？",
    "可以在网上办理吗？",
    "收费吗？收费标准是多少？",
    "在哪个窗口办理？",
    "需要本人到场吗？",
    "可以委托他人代办吗？",
    "材料不齐怎么办？",
    "办理结果怎么领取？",
    "可以邮寄送达吗？",
    "周末可以办理吗？",
    "办理进度在哪里查？",
    "申请被退回了怎么办？",
    "需要提供复印件吗？",
    "有没有表格样本？",
    "办理依据是什么？",
    "对申请人有什么条件？",
    "可以预约办理吗？",
    "办理流程是怎样的？",
    "对结果不满意怎么投诉？",
    "电子证照可以代替纸质材料吗？",
    "老年人有没有绿色通道？",
]
FAQ_PLACES = ["", "在乡镇便民服务中心", "在村便民服务室", "异地"]
FAQ_ANSWERS = [
    "请携带申请人有效身份证件原件及办事指南所列材料，到{dept}窗口或通过网上办事大厅提交。",
    "{dept}承诺在{days}个工作日内办结，材料齐全、符合法定形式的当场受理。",
    "本事项可以全程网办，也可以到政务服务中心综合窗口办理，结果可选择邮寄送达。",
    "本事项不收费。如需补正材料，窗口会一次性告知需要补正的全部内容。",
    "可以委托他人代办，代办人需携带本人身份证件和申请人签字的授权委托书。",
]


def _load_items():
    with ITEMS_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _load_questions():
    out = []
    with QUESTIONS.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            q, code, *_ = line.rstrip("\n").split("\t")
            out.append((q, code))
    return out


def item_documents(items):
    for r in items:
        group = "" if r["group"] == "未分类" else r["group"]
        body = (
            f"实施主体：{r['department']}。"
            + (f"所属主项：{group}。" if group else "")
            + f"{r['name']}可在广安区政务服务中心{r['department']}窗口办理，"
            "申请人按办事指南准备材料，窗口一次性告知。"
        )
        yield {
            "object_id": r["item_code"],
            "title": r["name"],
            "body": body,
            "keywords": [group] if group else [],
            "data": {"code": r["item_code"], "department": r["department"]},
        }


def faq_documents(items, n):
    for i in range(n):
        item = items[i % len(items)]
        k = i // len(items)
        question = FAQ_QUESTIONS[k % len(FAQ_QUESTIONS)]
        place = FAQ_PLACES[(k // len(FAQ_QUESTIONS)) % len(FAQ_PLACES)]
        answer = FAQ_ANSWERS[(i + k) % len(FAQ_ANSWERS)].format(
            dept=item["department"], days=(i % 15) + 1
        )
        yield {
            "object_id": f"faq-{i}",
            "title": f"{place}办理{item['name']}{question}",
            "body": answer,
            "weight": 0.8,
            "data": {"item_code": item["item_code"]},
        }


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def setup_database(db: str, keep: bool = False):
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings"
    os.environ["YIWANG_VAR_DIR"] = tempfile.mkdtemp(prefix="yiwang-bench-search-")
    cleanup = None
    if db == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            sys.exit("--db postgres needs DATABASE_URL=postgres://…")
        import psycopg

        base, _, name = url.rpartition("/")
        scratch = f"{name.split('?')[0]}_bench_search"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            present = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [scratch]
            ).fetchone()
            if not (keep and present):
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
                conn.execute(f'CREATE DATABASE "{scratch}"')
        os.environ["DATABASE_URL"] = f"{base}/{scratch}"

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')

        cleanup = None if keep else drop
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return cleanup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--faq", type=int, default=100_000, help="number of generated FAQ entries")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="PostgreSQL: keep the scratch database, and reuse it when it holds the documents",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    cleanup = setup_database(args.db, keep=args.keep)
    try:
        return _run(args, t0)
    finally:
        if cleanup:
            cleanup()


def _run(args, t0) -> int:
    from django.db import connection
    from django.db.models import Count

    from yiwang.core.search import engine, load_default_synonyms, reindex, search
    from yiwang.core.search.models import SearchDocument

    items = _load_items()
    questions = _load_questions()
    load_default_synonyms()
    t_setup = time.perf_counter()
    indexed = dict(
        SearchDocument.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    if args.keep and indexed == {"item": len(items), "faq": args.faq}:
        print(f"# {connection.vendor}: reusing the kept index", file=sys.stderr)
    else:
        reindex("item", item_documents(items))
        t_items = time.perf_counter()
        reindex("faq", faq_documents(items, args.faq))
        t_faq = time.perf_counter()
        print(
            f"# {connection.vendor}: setup {t_setup - t0:.1f} s, "
            f"{len(items)} items {t_items - t_setup:.1f} s, {args.faq} faq {t_faq - t_items:.1f} s",
            file=sys.stderr,
        )

    # quality
    hit1 = hit3 = base1 = base3 = 0
    misses = []
    for question, code in questions:
        hits = search(question, kinds="item", limit=3)
        codes = [h.object_id for h in hits]
        hit1 += bool(codes[:1] == [code])
        hit3 += code in codes
        if code not in codes:
            misses.append((question, code, [h.title for h in hits]))
        naive = list(
            SearchDocument.objects.filter(kind="item", title__icontains=question.strip())
            .order_by("title")
            .values_list("object_id", flat=True)[:3]
        )
        base1 += naive[:1] == [code]
        base3 += code in naive
    n = len(questions)

    # latency: the question set, all kinds and items only, several rounds
    engine.ensure_vocabulary(force=True)
    timings = []
    slow: dict[tuple, float] = {}
    for _ in range(args.rounds):
        for question, _code in questions:
            for kinds in (None, "item"):
                s = time.perf_counter()
                search(question, kinds=kinds, limit=10)
                ms = (time.perf_counter() - s) * 1000
                timings.append(ms)
                slow[(question, kinds)] = max(ms, slow.get((question, kinds), 0.0))
    ids = list(SearchDocument.objects.values_list("id", flat=True))
    rng = random.Random(3)
    base_timings = []
    for _ in range(len(timings)):
        pk = rng.choice(ids)
        s = time.perf_counter()
        SearchDocument.objects.get(pk=pk)
        base_timings.append((time.perf_counter() - s) * 1000)

    if args.verbose:
        for question, code, titles in misses:
            name = next((r["name"] for r in items if r["item_code"] == code), code)
            print(f"# miss: {question} → want {name}; got {titles}", file=sys.stderr)
    if args.verbose:
        for (question, kinds), ms in sorted(slow.items(), key=lambda x: -x[1])[:12]:
            print(f"# slow: {ms:.1f} ms {question} kinds={kinds}", file=sys.stderr)
    print(
        f"# latency p50 {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms, "
        f"{len(timings)} searches; total run {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )

    def ratio(v, b):
        return f"{v / b:.2f}" if b else "inf"

    v, b = p95(timings), p95(base_timings)
    print(f"search_p95_ms = {v:.2f} ms (ratio {ratio(v, b)} to baseline)")
    print(f"search_hit1 = {hit1 / n:.3f} (ratio {ratio(hit1, base1)} to baseline)")
    print(f"search_hit3 = {hit3 / n:.3f} (ratio {ratio(hit3, base3)} to baseline)")
    print(
        f"# {n} questions; naive baseline hit@1 {base1 / n:.3f}, hit@3 {base3 / n:.3f}; "
        f"baseline pk lookup p95 {b:.3f} ms",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
