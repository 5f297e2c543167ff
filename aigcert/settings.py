"""The one settings module. Every knob is an environment variable; nothing else configures aigcert.

Unset DATABASE_URL means SQLite (WAL) in AIGCERT_DATA_DIR; unset REDIS_URL means database/local-memory
cache and database sessions. See docs/decisions/0002-settings.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def database_config(url: str | None, data_dir: Path) -> dict:
    """Translate DATABASE_URL into Django's DATABASES["default"]."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": data_dir / "aigcert.sqlite3",
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout
            # instead of failing with "database is locked" halfway through a transaction.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": None},
        }
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r} (use postgres://)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options: dict = {}
    if query.pop("pool", "true").lower() not in {"0", "false", "no", "off"}:
        options["pool"] = {
            "min_size": int(query.pop("pool_min", "1")),
            "max_size": int(query.pop("pool_max", "10")),
            "timeout": float(query.pop("pool_timeout", "10")),
        }
    options.update(query)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "aigcert",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # The pool owns connection reuse; Django refuses persistent connections alongside it.
        "CONN_MAX_AGE": 0,
        "OPTIONS": options,
    }


def read_or_create_secret_key(data_dir: Path) -> str:
    """A stable per-installation key for development and demo installs (production sets SECRET_KEY)."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # Created with owner-only permissions from the first byte; O_EXCL lets one of two racing
            # processes win, and the other reads what the winner wrote.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DATA_DIR = Path(os.environ.get("AIGCERT_DATA_DIR", BASE_DIR / "var")).resolve()
DEBUG = env_bool("DEBUG", False)
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or read_or_create_secret_key(DATA_DIR)
# Earlier keys, comma-separated, while sessions and sealed issuer keys move to a new SECRET_KEY (docs/credentials.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "aigcert.core.views.csrf_failure"  # refuses as Django does, and logs it
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "aigcert")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # Bounded contexts, lowest layer first (ARCHITECTURE.md).
    "aigcert.core",
    "aigcert.accounts",
    "aigcert.orgs",
    "aigcert.catalog",
    "aigcert.billing",
    "aigcert.itembank",
    "aigcert.learning",
    "aigcert.exams",
    "aigcert.enrolment",
    "aigcert.delivery",
    "aigcert.scoring",
    "aigcert.marking",
    "aigcert.results",
    "aigcert.credentials",
    "aigcert.talent",
    "aigcert.tutor",
    # Composition layer: pages that gather several contexts.
    "aigcert.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "aigcert.delivery.middleware.ExamHotPathMiddleware",  # the exam's start, autosave and submit: ADR 0011
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aigcert.core.middleware.DefaultLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aigcert.urls"
WSGI_APPLICATION = "aigcert.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "aigcert" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aigcert.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "aigcert.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "aigcert"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["aigcert.accounts.backends.PhoneOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:center"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Wrong passwords allowed per window: for one account from one address (the guessing case), for one account
# from anywhere (high, so a stranger can't lock a candidate out before an exam), and from one address.
LOGIN_FAILURES_PER_ACCOUNT_AND_IP = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT_AND_IP", "5"))
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "50"))
LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", "100"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

# zh-Hans first: a visitor who has not chosen a language sees Chinese, whatever the browser asks for.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "aigcert" / "locale"]
LANGUAGE_COOKIE_NAME = "aigcert_language"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("AIGCERT_PLAIN_STATIC")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the app directories when nobody ran collectstatic (tests, runserver).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "aigcert <noreply@localhost>")

# Behind nginx or another TLS-terminating proxy: trust its X-Forwarded-Proto, so links come out https://.
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
# The request header that carries the client's address when a proxy sits in front (e.g. HTTP_X_REAL_IP);
# unset, REMOTE_ADDR is the client. Used by the login throttle.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

CATALOG_FILE = Path(os.environ.get("CATALOG_FILE", BASE_DIR / "aigcert" / "catalog" / "data" / "catalog.yaml"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools (fpdf2's font subsetter) logs every glyph list at INFO: hundreds of lines per PDF.
    "loggers": {"django.db.backends": {"level": "INFO"}, "fontTools": {"level": "WARNING"}},
}

# Spreadsheet imports into the item bank: refused above these sizes (a zip bomb unpacks far beyond its size).
ITEMBANK_IMPORT_LIMITS = {
    "max_bytes": int(os.environ.get("ITEMBANK_IMPORT_MAX_MB", "20")) << 20,
    "max_unpacked_bytes": int(os.environ.get("ITEMBANK_IMPORT_MAX_UNPACKED_MB", "300")) << 20,
    "max_rows": int(os.environ.get("ITEMBANK_IMPORT_MAX_ROWS", "20000")),
}

# Registration, payments and sessions (issue #4). Bank details are what the candidate sees for a transfer.
PAYMENT_WINDOW_HOURS = int(os.environ.get("PAYMENT_WINDOW_HOURS", "72"))
VOUCHER_VALID_DAYS = int(os.environ.get("VOUCHER_VALID_DAYS", "365"))
SESSION_REMINDER_DAYS = int(os.environ.get("SESSION_REMINDER_DAYS", "3"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
BANK_TRANSFER = {
    "account_name": os.environ.get("BANK_ACCOUNT_NAME", "aigcert 演示收款账户（请勿汇款）"),
    "bank_name": os.environ.get("BANK_NAME", "演示银行 北京分行"),
    "account_number": os.environ.get("BANK_ACCOUNT_NUMBER", "6222 0000 0000 0000 000"),
}


def _read_key(variable: str) -> str:
    path = os.environ.get(variable, "")
    return Path(path).read_text() if path else ""


# Online gateways are off unless configured; keys are PEM files so they never sit in the environment itself.
ALIPAY = {
    "app_id": os.environ.get("ALIPAY_APP_ID", ""),
    "private_key_pem": _read_key("ALIPAY_PRIVATE_KEY_FILE"),
    "alipay_public_key_pem": _read_key("ALIPAY_PUBLIC_KEY_FILE"),
    "gateway_url": os.environ.get("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do"),
}
WECHAT_PAY = {
    "mchid": os.environ.get("WECHAT_PAY_MCHID", ""),
    "appid": os.environ.get("WECHAT_PAY_APPID", ""),
    "merchant_serial_no": os.environ.get("WECHAT_PAY_SERIAL_NO", ""),
    "merchant_private_key_pem": _read_key("WECHAT_PAY_PRIVATE_KEY_FILE"),
    "platform_public_key_pem": _read_key("WECHAT_PAY_PLATFORM_PUBLIC_KEY_FILE"),
    "platform_serial_no": os.environ.get("WECHAT_PAY_PLATFORM_SERIAL_NO", ""),
    "api_v3_key": os.environ.get("WECHAT_PAY_API_V3_KEY", ""),
    "api_base": os.environ.get("WECHAT_PAY_API_BASE", "https://api.mch.weixin.qq.com"),
}

# The exam hot path (issue #5). Saves count until the deadline plus this grace (requests already in flight:
# p99 under 1 s even in the submit minute of 5,000 candidates, docs/benchmarks.md); the server closes attempts once
# it has passed, which with `finalize --every 2` keeps every close within 10 s of the deadline. Autosave bodies and
# uploads are capped.
EXAM_SAVE_GRACE_SECONDS = int(os.environ.get("EXAM_SAVE_GRACE_SECONDS", "5"))
EXAM_PAUSE_MAX_MINUTES = int(os.environ.get("EXAM_PAUSE_MAX_MINUTES", "180"))
EXAM_AUTOSAVE_MAX_BYTES = int(os.environ.get("EXAM_AUTOSAVE_MAX_KB", "256")) << 10
EXAM_UPLOAD_MAX_MB = int(os.environ.get("EXAM_UPLOAD_MAX_MB", "50"))
# The hot statements as server-side prepared statements on PostgreSQL (ADR 0014). Off behind a pooler in
# transaction mode (PgBouncer's pool_mode=transaction), where a statement prepared on one server connection is
# missing on the next.
EXAM_PREPARED_STATEMENTS = env_bool("EXAM_PREPARED_STATEMENTS", True)

# Program judging (issue #7): each test case runs the candidate's code with Debian's Python inside bubblewrap, as an
# unprivileged user, with no network and none of the project's files (docs/decisions/0017-program-judge.md).
JUDGE_BWRAP = os.environ.get("JUDGE_BWRAP", "/usr/bin/bwrap")
JUDGE_PYTHON = os.environ.get("JUDGE_PYTHON", "/usr/bin/python3")
JUDGE_UID = int(os.environ.get("JUDGE_UID", "65534"))  # nobody: the process limit counts per user
JUDGE_DEFAULT_TIME_MS = int(os.environ.get("JUDGE_DEFAULT_TIME_MS", "2000"))
JUDGE_DEFAULT_MEMORY_MB = int(os.environ.get("JUDGE_DEFAULT_MEMORY_MB", "256"))
JUDGE_MAX_OUTPUT_KB = int(os.environ.get("JUDGE_MAX_OUTPUT_KB", "1024"))
JUDGE_MAX_PROCESSES = int(os.environ.get("JUDGE_MAX_PROCESSES", "16"))

# An optional language model: any OpenAI-compatible chat-completions endpoint. Unset, everything works without one
# (prompt tasks are marked from the prompt alone, AI-assisted marking is off, the tutor quotes the course).
LLM_BASE_URL = os.environ.get("LLM_BASE_URL", "").rstrip("/")
LLM_API_KEY = os.environ.get("LLM_API_KEY", "")
LLM_MODEL = os.environ.get("LLM_MODEL", "")
LLM_TIMEOUT_SECONDS = float(os.environ.get("LLM_TIMEOUT_SECONDS", "60"))
