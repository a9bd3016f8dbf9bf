import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _vietnamese_by_default(settings):
    # A request in English leaves English active in the thread; each test starts from the default language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
