"""What a deployer could break, checked on the portal as production runs it (see conftest.py):
pages with DEBUG off, static files, the proxy, health, hostile URLs, a cache outage."""

from __future__ import annotations

import gzip
import http.cookiejar
import re

import pytest

PAGES = [
    "/",
    "/template/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_public_page_answers_with_debug_off(deployment, path):
    answer = deployment.get(path)
    assert answer.status == 200, deployment.logs()
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<title>" in answer.text


def test_pages_link_hashed_static_files_served_compressed_and_cached_for_a_year(deployment):
    page = deployment.get("/").text
    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', page)
    scripts = re.findall(r'<script[^>]+src="(/static/[^"]+\.js)"', page)
    assert stylesheets
    assert scripts
    for path in stylesheets + scripts:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", path), f"{path} has no content hash"
        answer = deployment.get(path, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200, path
        assert answer.headers.get("Content-Encoding") == "gzip", path
        assert gzip.decompress(answer.body)
        cache = answer.headers["Cache-Control"]
        assert "immutable" in cache, (path, cache)
        assert "max-age=315360000" in cache, (path, cache)


def test_the_right_to_left_stylesheet_and_its_source_map_are_served(deployment):
    page = deployment.get("/", headers={"Accept-Language": "ar"}).text
    [rtl] = re.findall(r'href="(/static/vendor/bootstrap/bootstrap\.rtl\.min\.[0-9a-f]{12}\.css)"', page)
    css = deployment.get(rtl).text
    [source_map] = re.findall(r"sourceMappingURL=(\S+)", css)
    assert deployment.get(f"/static/vendor/bootstrap/{source_map}").status == 200


def test_an_unknown_address_answers_the_portal_404_page_without_details(deployment):
    answer = deployment.get("/no/such/page/", headers={"Accept-Language": "fr"})
    assert answer.status == 404
    assert "Traceback" not in answer.text
    assert "DEBUG" not in answer.text
    assert "<title>Page introuvable · " in answer.text
    assert "Aller à la page d'accueil" in answer.text


def test_behind_the_proxy_the_portal_knows_it_is_https(deployment):
    answer = deployment.get("/accounts/login/")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    cookie = answer.headers["Set-Cookie"]
    assert "csrftoken=" in cookie
    assert "Secure" in cookie
    # Straight to gunicorn without the proxy's header: sent to HTTPS.
    direct = deployment.get("/accounts/login/", direct=True)
    assert direct.status == 301
    assert direct.headers["Location"].startswith("https://")


def test_health_names_no_exception_and_the_favicon_exists(deployment):
    answer = deployment.get("/healthz")
    assert answer.status == 200
    assert deployment.healthz() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}
    icon = deployment.get("/favicon.ico")
    assert icon.status in {200, 301, 302}
    if icon.status != 200:
        target = icon.headers["Location"].removeprefix(deployment.url)
        icon = deployment.get(target)
    assert icon.status == 200
    assert icon.headers["Content-Type"].startswith("image/")


@pytest.mark.parametrize(
    "path",
    [
        "/reports/%00/",
        "/accounts/login/?next=/%00",
        "/admin/reports/report/?q=%00",
        "/admin/reports/report/?country__code__exact=%00",
        "/admin/reports/report/?status=%00draft",
        "/i18n/setlang/?next=%00",
        "/template/?%00=1",
    ],
)
def test_a_nul_byte_in_the_address_is_refused_not_a_server_error(deployment, path, secretariat_cookie):
    answer = deployment.get(path, headers={"Cookie": secretariat_cookie})
    assert answer.status == 400, (answer.status, answer.text[:300])
    # nginx refuses a NUL in the path itself; without a proxy that does, the portal refuses it.
    direct = deployment.get(
        path, headers={"Cookie": secretariat_cookie, "X-Forwarded-Proto": "https"}, direct=True
    )
    assert direct.status == 400, (direct.status, direct.text[:300])
    assert "<title>Bad request · " in direct.text
    # In the reader's language, whatever the worker's previous request spoke.
    for language, title in (("es", "Solicitud incorrecta"), ("ar", "طلب غير صالح"), ("en", "Bad request")):
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": language}
        spoken = deployment.get(path, headers=headers, direct=True)
        assert f"<title>{title} · " in spoken.text, (language, spoken.text[:300])


def admin_login(deployment) -> str:
    """The secretariat logs in to admin over the proxy (password and code); the session's cookies."""
    jar = http.cookiejar.CookieJar()
    deployment.staff_login(jar)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


@pytest.fixture(scope="module")
def secretariat_cookie(deployment) -> str:
    return admin_login(deployment)


def test_with_the_cache_down_login_the_admin_list_and_the_dashboard_still_answer(deployment):
    deployment.cache.stop()
    try:
        assert deployment.get("/accounts/login/").status == 200, deployment.logs()
        cookie = admin_login(deployment)  # counting failed logins needs the cache: it fails open
        for path in [
            "/admin/reports/report/",
            "/admin/reports/report/?status=submitted",
            "/admin/reports/report/dashboard/",
        ]:
            answer = deployment.get(path, headers={"Cookie": cookie})
            assert answer.status == 200, (path, answer.status, deployment.logs())
        health = deployment.healthz()
        assert health["cache"] == "unavailable"
        assert health["status"] == "ok"
    finally:
        assert deployment.cache.start()
    assert deployment.healthz()["cache"] == "ok"
