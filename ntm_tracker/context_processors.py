import os

from django.conf import settings

_TRUE = {"1", "true", "yes", "on"}


def demo_mode() -> bool:
    """DEMO_MODE from settings when a deployment defines it there, else from the environment."""
    configured = getattr(settings, "DEMO_MODE", None)
    if configured is not None:
        return bool(configured)
    return os.environ.get("DEMO_MODE", "").strip().lower() in _TRUE


def site(request):
    # An installation running on sample data says so on every page, so nobody reports its numbers.
    return {"DEBUG": settings.DEBUG, "DEMO_MODE": demo_mode()}
