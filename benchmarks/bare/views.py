"""The comparison endpoint: DRF's own ListCreateAPIView, same auth and page size as the API.

GET lists the one-field rows; POST inserts one (the baseline of filing: a write through the
same server, authentication and DRF, with nothing else to do).
"""

from rest_framework import generics, serializers

from apps.meter_service.api.base import Pagination
from benchmarks.bare.models import Item


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)

    def create(self, validated_data: dict) -> Item:
        return Item.objects.create(**validated_data)


class ItemListApi(generics.ListCreateAPIView):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    pagination_class = Pagination
