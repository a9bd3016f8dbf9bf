"""Production settings: strict when DEBUG is off, quiet under `check --deploy` when configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k3y-for-the-deploy-check-" + "x7Qp2Lm9Zr4Tn8Vb1Wc6Yd3Hf5Jg0Ks" * 2


def _env(**overrides):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests and would make check --deploy warn.
    dropped = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DEMO_MODE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    # A file database is enough for the checks and keeps the subprocess away from a shared server.
    env.pop("DATABASE_URL", None)
    env.update({"DJANGO_SETTINGS_MODULE": "ntm_tracker.settings", "PYTHONPATH": str(ROOT)}, **overrides)
    return env


def _run(args, env):
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production():
    assert len(PRODUCTION_KEY) >= 50
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _env(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="ntm.example.gov.vn"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "?: (security." not in output
    assert "System check identified no issues (0 silenced)." in output


def test_missing_secret_key_with_debug_off_fails_clearly():
    result = _run(["-c", "import ntm_tracker.settings"], _env(DEBUG="0"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_defaults_on_for_a_local_first_run():
    code = "import ntm_tracker.settings as s; print(s.DEBUG, bool(s.SECRET_KEY), s.LANGUAGE_CODE)"
    result = _run(["-c", code], _env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "vi"]


def test_production_static_files_are_collected_with_compressed_copies(tmp_path):
    result = _run(
        ["manage.py", "collectstatic", "--noinput"],
        _env(DEBUG="0", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="ntm.example.gov.vn", STATIC_ROOT=str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    plotly = next((tmp_path / "vendor" / "plotly").glob("plotly-ntm-4.1.1.min.*.js"))  # hashed name
    compressed = plotly.with_name(plotly.name + ".gz")
    assert compressed.exists()
    assert compressed.stat().st_size < plotly.stat().st_size / 2
    assert "vendor/plotly/plotly-ntm-4.1.1.min.js" in (tmp_path / "staticfiles.json").read_text()
