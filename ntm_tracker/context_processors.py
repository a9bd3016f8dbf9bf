import os
import unicodedata

from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language_info

_TRUE = {"1", "true", "yes", "on"}


def demo_mode() -> bool:
    """DEMO_MODE from settings when a deployment defines it there, else from the environment."""
    configured = getattr(settings, "DEMO_MODE", None)
    if configured is not None:
        return bool(configured)
    return os.environ.get("DEMO_MODE", "").strip().lower() in _TRUE


def language_choices() -> list[tuple[str, str]]:
    # Each language named in itself; Django stores "Tiếng Việt" decomposed (NFD), which some phone
    # fonts draw with detached accents, so it is recomposed here.
    return [
        (code, unicodedata.normalize("NFC", get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


def site(request):
    # An installation running on sample data says so on every page, so nobody reports its numbers.
    from communes.access import rights_for

    user = getattr(request, "user", None)
    return {
        "DEBUG": settings.DEBUG,
        "DEMO_MODE": demo_mode(),
        "LANGUAGE_CHOICES": language_choices(),
        # Read only by the navigation; shares the memberships query the page's own access check made.
        "nav_rights": SimpleLazyObject(lambda: rights_for(user)),
    }
