from tests.recognition.conftest import land  # noqa: F401  (the same small world)
