"""Tables of the search engine.

``SearchDocument`` is *derived* data: one row per searchable object (an item,
a guide's FAQ entry, a 12345 knowledge article …), holding the display title
and the pre-segmented terms the full-text index is built from. It can always
be rebuilt from its sources, so it uses a plain integer key: the SQLite FTS5
index maps its rowid onto it, and nothing outside this server refers to it.

The full-text index itself is not a Django field: on SQLite it is the FTS5
table ``core_search_fts`` (external content over this table, kept in step by
triggers), on PostgreSQL the generated ``search_vector`` tsvector column with a
GIN index. Both are created by migration ``search`` with vendor-guarded SQL.

``SearchSynonym`` is the editable dictionary of colloquial names and synonyms
(身份证丢了 → 居民身份证挂失); ``SearchWord`` the platform vocabulary taught to the
segmenter (犬类准养证, 最低生活保障 …), so every process segments alike.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("类别"), max_length=20)
    object_id = models.CharField(_("对象ID"), max_length=100)
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("正文"), blank=True)
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("每行一个"))
    weight = models.FloatField(_("权重"), default=1.0)
    public = models.BooleanField(_("公开"), default=True)
    region_path = models.CharField(
        _("区划路径"), max_length=255, blank=True, help_text=_("空表示全域可见")
    )
    department_id = models.CharField(_("部门ID"), max_length=64, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    # Pre-segmented, space-separated terms: what the full-text index holds.
    title_terms = models.TextField(_("标题分词"), blank=True)
    keywords_terms = models.TextField(_("关键词分词"), blank=True)
    body_terms = models.TextField(_("正文分词"), blank=True)
    pinyin_terms = models.TextField(_("拼音"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("搜索文档")
        verbose_name_plural = _("搜索文档")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_unique_object")
        ]

    def __str__(self):
        return f"{self.kind}:{self.object_id} {self.title}"


class SearchSynonym(models.Model):
    """A colloquial phrase or synonym and what it means in the catalog's
    words. Matched as a substring of the normalised query; each expansion is
    searched as an alternative reading of that part of the query."""

    id = models.BigAutoField(primary_key=True)
    term = models.CharField(_("说法"), max_length=50, unique=True)
    expansions = models.JSONField(_("扩展为"), default=list, help_text=_("一组规范说法"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("搜索同义词")
        verbose_name_plural = _("搜索同义词")
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} → {' / '.join(self.expansions)}"


class SearchWord(models.Model):
    """A word of the platform vocabulary added to the segmenter."""

    word = models.CharField(_("词"), max_length=50, primary_key=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("搜索词表")
        verbose_name_plural = _("搜索词表")

    def __str__(self):
        return self.word
