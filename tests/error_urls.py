"""The site's URLs plus pages that fail on purpose, one under each site, for the error tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from sites.urls import handler403, handler404, handler500  # noqa: F401
from sites.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a defect in a view")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    *(path(f"{site}/test-broken/", broken) for site in ("portal", "office", "desk", "api")),
    *(path(f"{site}/test-forbidden/", forbidden) for site in ("portal", "office", "desk", "api")),
    *site_urlpatterns,
]
