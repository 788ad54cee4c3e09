"""The comparison endpoint: DRF's own ListAPIView, same auth and page size as the API."""

from rest_framework import generics, serializers

from apps.meter_service.api.base import Pagination
from benchmarks.bare.models import Item


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField()


class ItemListApi(generics.ListAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    pagination_class = Pagination
