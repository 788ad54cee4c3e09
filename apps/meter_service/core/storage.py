"""The object-store backend of a site's files: private objects, links only to the app's view.

django-storages' S3Storage would give every FileField a presigned link straight to the bucket
(`.url`), handing a file to whoever sees the page, for an hour. Here `url()` is the app's own
/files/<name>, which checks the record rules first (apps/meter_service/files.py); only that
view asks for a presigned link, short-lived, when the site serves files by redirect.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        return settings.MEDIA_URL + quote(name)

    def presigned_url(
        self, name: str, *, expire: int, content_type: str, content_disposition: str
    ) -> str:
        """A link to the object that S3 honours for `expire` seconds, with our headers."""
        parameters = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition,
            "ResponseCacheControl": "private, no-store",
        }
        return super().url(name, parameters=parameters, expire=expire)
