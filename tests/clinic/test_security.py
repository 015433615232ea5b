import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    key: value
    for key, value in os.environ.items()
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for this process only.
    if key
    not in {
        "DEBUG",
        "SECURE_HTTPS",
        "SITE_URL",
        "EMAIL_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
} | {
    "SECRET_KEY": "x7Hq2-production-like-secret-" + "k" * 40,
    "ALLOWED_HOSTS": "www.example.com",
}


def csp_directives(response):
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (
            part.split() for part in header.split(";") if part.strip()
        )
    }


def test_pages_send_a_strict_content_security_policy(client, practice):
    directives = csp_directives(client.get(reverse("home")))
    assert directives == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }


def test_csp_nonce_is_fresh_per_response_and_matches_the_header(rf, practice):
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.template import engines
    from django.template.response import TemplateResponse

    template = engines["django"].from_string(
        "<script{% csp_nonce_attr %} type=module></script>"
    )

    def view(request):
        return TemplateResponse(request, template, {}).render()

    middleware = ContentSecurityPolicyMiddleware(view)
    first, second = (middleware(rf.get("/")) for _ in range(2))
    nonces = [
        csp_directives(response)["script-src"][1].removeprefix("'nonce-").rstrip("'")
        for response in (first, second)
    ]
    assert nonces[0] != nonces[1]
    assert f'nonce="{nonces[0]}"' in first.content.decode()


def test_pages_send_the_other_security_headers(client, practice):
    response = client.get(reverse("home"))
    assert {
        name: response.get(name)
        for name in (
            "Referrer-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Cross-Origin-Opener-Policy",
        )
    } == {
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def run_with_production_env(*args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=PRODUCTION_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = run_with_production_env("check", "--deploy", "--fail-level", "WARNING")
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "System check identified no issues (0 silenced).",
    ), result.stderr


def test_production_settings_use_https_only_cookies_and_a_year_of_hsts():
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({n: "
        "getattr(s, n) for n in %r}))"
        % [
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SESSION_COOKIE_NAME",
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "CSRF_COOKIE_NAME",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_HTTPONLY",
            "SECURE_REFERRER_POLICY",
            "SECURE_CONTENT_TYPE_NOSNIFF",
        ]
    )
    result = run_with_production_env("shell", "--no-imports", "-c", script)
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_NAME": "__Secure-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_NAME": "__Secure-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }, result.stderr
