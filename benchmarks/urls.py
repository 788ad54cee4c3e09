"""The site's URLs plus /bench/bare/, a DRF list (and insert) of a one-field model."""

from django.urls import path

from benchmarks.bare.views import ItemListApi
from sites.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("bench/bare/", ItemListApi.as_view())]
