"""Images for stems and options: checked by their content, not their name, and stored by content hash."""

from __future__ import annotations

import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from aigcert.core.api import DomainError
from aigcert.itembank.models import Asset
from aigcert.itembank.sanitize import ASSET_URL_PREFIX

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# Extension → (Pillow format, content type). SVG is left out on purpose: it can carry script.
IMAGE_TYPES = {
    "png": ("PNG", "image/png"),
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "gif": ("GIF", "image/gif"),
    "webp": ("WEBP", "image/webp"),
}


class ImageRejected(DomainError):
    pass


def image_check(name: str, data: bytes) -> tuple[str, str]:
    """(extension, content type) of an acceptable image, or ImageRejected saying why, in the user's language."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in IMAGE_TYPES:
        raise ImageRejected(_("“%(name)s”: images must be PNG, JPEG, GIF or WebP.") % {"name": name})
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(_("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": MAX_IMAGE_BYTES >> 20})
    expected_format, content_type = IMAGE_TYPES[extension]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                actual = image.format
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        raise ImageRejected(_("“%(name)s” is not a valid image.") % {"name": name}) from None
    if actual != expected_format:
        raise ImageRejected(_("“%(name)s” is named .%(ext)s but its content is %(actual)s.")
                            % {"name": name, "ext": extension, "actual": actual or "?"})
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRejected(_("“%(name)s” has too many pixels.") % {"name": name})
    return ("jpg" if extension == "jpeg" else extension), content_type


def asset_store(*, name: str, data: bytes, actor=None) -> Asset:
    """Store an image once (by SHA-256) and return it; the same bytes uploaded again reuse the stored file."""
    extension, content_type = image_check(name, data)
    sha = hashlib.sha256(data).hexdigest()
    existing = Asset.objects.filter(sha256=sha).first()
    if existing:
        return existing
    asset = Asset(sha256=sha, extension=extension, content_type=content_type, size=len(data), created_by=actor)
    asset.file.save(f"{sha}.{extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        return Asset.objects.get(sha256=sha)
    return asset


def asset_url(asset: Asset) -> str:
    return f"{ASSET_URL_PREFIX}{asset.filename}"


def asset_url_for(name: str, data: bytes) -> str:
    """The URL an image will have once stored (checked now, stored later), so importers can decide first."""
    extension, _content_type = image_check(name, data)
    return f"{ASSET_URL_PREFIX}{hashlib.sha256(data).hexdigest()}.{extension}"
