"""Writing treatments: auth, validation, conflicts, preconditions and history."""

import httpx


async def test_create_update_delete_with_history(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    body = {
        "slug": "ketoconazole",
        "name": "Ketoconazole",
        "kind": "topical_drug",
        "aliases": ["Nizoral"],
    }
    created = await client.post("/v1/treatments", json=body, headers=writer)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/treatments/ketoconazole"
    etag = created.headers["etag"]

    got = await client.get("/v1/treatments/ketoconazole")
    assert got.headers["etag"] == etag

    stale = await client.patch(
        "/v1/treatments/ketoconazole", json={"name": "K"}, headers={**writer, "If-Match": '"x"'}
    )
    assert stale.status_code == 412
    missing = await client.patch("/v1/treatments/ketoconazole", json={"name": "K"}, headers=writer)
    assert missing.status_code == 428

    patched = await client.patch(
        "/v1/treatments/ketoconazole",
        json={"name": "Ketoconazole shampoo", "aliases": []},
        headers={**writer, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Ketoconazole shampoo"
    assert patched.json()["aliases"] == []
    new_etag = patched.headers["etag"]
    assert new_etag != etag

    deleted = await client.delete(
        "/v1/treatments/ketoconazole", headers={**writer, "If-Match": new_etag}
    )
    assert deleted.status_code == 204
    assert (await client.get("/v1/treatments/ketoconazole")).status_code == 404

    history = await client.get("/v1/treatments/ketoconazole/history")
    assert history.status_code == 200, history.text
    entries = history.json()["data"]
    assert [entry["action"] for entry in entries] == ["create", "update", "delete"]
    assert {entry["actor"] for entry in entries} == {"test-writer"}
    assert entries[0]["changes"]["aliases"] == {"from": None, "to": ["Nizoral"]}
    assert entries[1]["changes"] == {
        "name": {"from": "Ketoconazole", "to": "Ketoconazole shampoo"},
        "aliases": {"from": ["Nizoral"], "to": []},
    }
    assert entries[2]["changes"]["slug"] == {"from": "ketoconazole", "to": None}
