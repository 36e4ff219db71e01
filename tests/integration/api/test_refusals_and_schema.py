"""Refusals a client can act on, and a schema that agrees with the domain (issue 13):

- a 405 names in `Allow` every method the path has (/api/admin/feeds: GET and POST);
- a body that is not UTF-8 is a 422, as every other body error, never a 400;
- the OpenAPI schema refuses what the domain refuses: an empty title (`{}`: minProperties)
  and a subscription without channels (`[]`: minItems).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.support import Api, invitation

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_on_admin_feeds_allows_get_and_post(admin: Api, method: str) -> None:
    answer = admin.client.request(method, "/api/admin/feeds", headers=admin.headers())
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert "use GET, POST" in answer.json()["message"]


def test_a_body_that_is_not_utf8_is_a_422_like_every_body_error(officer: Api) -> None:
    headers = officer.headers(**{"Content-Type": "application/json"})
    bad = officer.client.post("/api/engagements", content=b'{"mode": "\xff\xfe"}', headers=headers)
    broken = officer.client.post("/api/engagements", content=b'{"mode": ', headers=headers)
    assert bad.status_code == broken.status_code == 422, (bad.text, broken.text)
    assert bad.json()["error"] == "validation_error"
    assert "UTF-8" in bad.json()["message"]


def _schema(api: Api, name: str) -> dict[str, Any]:
    found: dict[str, Any] = api.client.get("/openapi.json").json()["components"]["schemas"][name]
    return found


def test_the_schema_refuses_an_empty_title_as_the_domain_does(officer: Api) -> None:
    localized = _schema(officer, "LocalizedIn")
    assert localized["minProperties"] == 1
    for text in localized["properties"].values():
        assert text["type"] == "string"
        assert text["minLength"] == 1
    answer = officer.post("/api/engagements", invitation("empty-title-2027", title={}))
    assert answer.status_code == 422, answer.text


def test_the_schema_refuses_a_subscription_without_channels_as_the_domain_does(
    admin: Api,
) -> None:
    assert _schema(admin, "SubscriptionIn")["properties"]["channels"]["minItems"] == 1
    body = {"name": "Interpreter Choi", "email": "c@example.org", "channels": []}
    answer = admin.client.put("/api/admin/staff/choi", json=body, headers=admin.headers())
    assert answer.status_code == 422, answer.text
    assert "channels" in answer.json()["field"], answer.json()
