"""The API docs work offline (issue 8): /docs and /redoc load only local assets."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_assets_that_answer(live_server, page):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        html = client.get(page)
        assert html.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html.text)
        urls += re.findall(r"""\b(?:https?:)?//[^\s'"<>)]+""", html.text)
        assets = {u for u in urls if not u.startswith("#")}
        assert assets, "the page loads no assets at all?"
        assert not [u for u in assets if re.match(r"(?:https?:)?//", u)], assets
        for url in assets:
            response = client.get(urljoin(live_server.url + page, url))
            assert response.status_code == 200, url
        assert "/openapi.json" in assets
        assert any(u.endswith(".js") for u in assets)
