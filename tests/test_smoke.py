import httpx


async def test_treatments_are_listed(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/treatments")
    assert response.status_code == 200
    slugs = [item["slug"] for item in response.json()["data"]]
    assert slugs == ["mesotherapy", "microneedling", "minoxidil", "minoxidil-microneedling"]
