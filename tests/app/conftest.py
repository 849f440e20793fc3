import pytest


@pytest.fixture(scope="session")
def client():
    from app import server
    c = server.test_client()
    assert c.get("/").status_code == 200  # the first request sets up the page router
    return c
