from django.utils.translation import get_language, pgettext


class Translated:
    """Read `obj.title` as `title_en` while English is active (when filled), else `title_zh`.

    Catalog content is written in Chinese first; English is optional per field, so a missing
    translation falls back to the Chinese original rather than showing nothing.
    """

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        if (get_language() or "").startswith("en"):
            value = getattr(obj, f"{self.name}_en", "")
            if value:
                return value
        return getattr(obj, f"{self.name}_zh")


def join_list(items) -> str:
    """Join words the way the active language does: "a, b" in English, "a、b" in Chinese."""
    return pgettext("list separator", ", ").join(str(item) for item in items)
