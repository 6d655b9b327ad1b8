"""Search API: ``GET /api/v1/search/?q=…`` over items and FAQ (public), and the
synonym dictionary ``/api/v1/search-synonyms/`` (catalog administrators).

Search understands how people ask: Chinese segmentation, pinyin and initials
(``yyzz`` → 营业执照), the synonym dictionary (身份证丢了 → 居民身份证挂失),
homophone typos (营业执造). Errors come in the one format."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from yiwang.core.api import ModelSerializer, Serializer
from yiwang.core.errors import NotFound
from yiwang.core.search import MAX_QUERY_LENGTH, search
from yiwang.core.search import services as search_services
from yiwang.core.search.models import SearchSynonym

from . import indexing
from .api import AdminOnly

KINDS = (indexing.ITEM, indexing.FAQ)


class SearchQuerySerializer(Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH, allow_blank=True)
    kind = serializers.ChoiceField(choices=KINDS, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class HitSerializer(Serializer):
    kind = serializers.CharField()
    id = serializers.CharField(source="object_id")
    title = serializers.CharField()
    highlight = serializers.CharField(help_text="标题，匹配处以 <mark> 标出（已转义）")
    score = serializers.FloatField()
    url = serializers.SerializerMethodField()
    code = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    item_id = serializers.SerializerMethodField()
    item_name = serializers.SerializerMethodField()
    answer = serializers.SerializerMethodField()

    def get_url(self, hit) -> str:
        return hit.data.get("url", "")

    def get_code(self, hit) -> str:
        return hit.data.get("code", "")

    def get_department(self, hit) -> str:
        return hit.data.get("department", "")

    def get_item_id(self, hit) -> str:
        return hit.data.get("item_id", "")

    def get_item_name(self, hit) -> str:
        return hit.data.get("item_name", "") or (hit.title if hit.kind == indexing.ITEM else "")

    def get_answer(self, hit) -> str:
        return hit.data.get("answer", "")


class SearchResultSerializer(Serializer):
    q = serializers.CharField()
    count = serializers.IntegerField()
    results = HitSerializer(many=True)


def _validated(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


class SearchViewSet(viewsets.ViewSet):
    """Find service items and FAQ entries the way citizens ask."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="搜索词（最多 100 字）"),
            OpenApiParameter("kind", str, enum=list(KINDS), description="只搜事项或常见问题"),
            OpenApiParameter("limit", int, description="最多返回条数（1–50，默认 10）"),
        ],
        responses=SearchResultSerializer,
    )
    def list(self, request):
        d = _validated(SearchQuerySerializer, request.query_params)
        kinds = [d["kind"]] if d.get("kind") else list(KINDS)
        hits = search(d["q"], kinds=kinds, limit=d["limit"])
        return Response(
            {"q": d["q"], "count": len(hits), "results": HitSerializer(hits, many=True).data}
        )


class SynonymSerializer(ModelSerializer):
    expansions = serializers.ListField(child=serializers.CharField(max_length=50), min_length=1)

    class Meta:
        model = SearchSynonym
        fields = ["id", "term", "expansions", "note", "is_active", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class SynonymViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The synonym dictionary (群众说法 → 规范说法). Changes apply to searches at once."""

    serializer_class = SynonymSerializer
    permission_classes = [AdminOnly]
    queryset = SearchSynonym.objects.order_by("term")

    def get_object(self):
        obj = SearchSynonym.objects.filter(pk=self.kwargs["pk"]).first()
        if obj is None:
            raise NotFound(_("同义词不存在"))
        return obj

    def create(self, request):
        d = _validated(SynonymSerializer, request.data)
        s = search_services.create_synonym(actor=request.user, **d)
        return Response(SynonymSerializer(s).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        s = SynonymSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        synonym = search_services.update_synonym(
            actor=request.user, synonym=self.get_object(), **s.validated_data
        )
        return Response(SynonymSerializer(synonym).data)

    def destroy(self, request, pk=None):
        search_services.delete_synonym(actor=request.user, synonym=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router):
    router.register("search", SearchViewSet, basename="search")
    router.register("search-synonyms", SynonymViewSet, basename="search-synonym")
