"""Password hashes, the login limiter and the CSRF guard's handling of odd requests."""

from __future__ import annotations

from starlette.testclient import TestClient

from monitor.review.auth import LoginLimiter, Users, hash_password, verify_password

from .conftest import csrf_of


def test_hash_round_trip_and_salting() -> None:
    first, second = hash_password("pass phrase"), hash_password("pass phrase")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("pass phrase", first) and not verify_password("pass phrase ", first)


def test_malformed_hashes_never_verify() -> None:
    for encoded in ("", "plain-text-password", "scrypt$1$2$3", "pbkdf2$1$1$1$AA$AA",
                    "scrypt$16384$8$1$!!$!!", "scrypt$99999999999$8$1$AAAA$AAAA"):
        assert not verify_password("x", encoded)


def test_users_from_settings_and_environment() -> None:
    users = Users.from_settings({"ana": hash_password("a-long-pass")},
                                {"MONITOR_ADMIN_PASSWORD": "admin-pass"})
    assert users.check("ana", "a-long-pass") and users.check("admin", "admin-pass")
    assert not users.check("ana", "admin-pass") and not users.check("nobody", "a-long-pass")
    assert not Users.from_settings({}, {})


def test_limiter_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    keys = ("ip:1", "user:ana")
    for _ in range(3):
        assert not limiter.blocked(keys)
        limiter.failed(keys)
    assert limiter.blocked(keys) and limiter.blocked(["user:ana"])
    assert not limiter.blocked(["ip:2", "user:omar"])
    now[0] = 61
    assert not limiter.blocked(keys)
    limiter.failed(keys)
    limiter.succeeded(keys)
    assert not limiter.blocked(keys)


def test_limiter_memory_is_bounded_and_keeps_the_sprayer_blocked() -> None:
    limiter = LoginLimiter(max_failures=3, max_keys=10, window_seconds=60, clock=lambda: 0.0)
    for i in range(100):
        limiter.failed(["ip:9", f"user:{i}"])
        assert len(limiter._failures) <= 10
    assert limiter.blocked(["ip:9"])
    assert not limiter.blocked(["ip:10"]) and "ip:10" not in limiter._failures


def test_csrf_guard_refuses_oversized_and_non_form_bodies(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    huge = client.post("/decide", data={"csrf": token, "note": "x" * 300_000})
    assert huge.status_code == 413
    as_json = client.post("/decide", content=f'{{"csrf": "{token}"}}',
                          headers={"content-type": "application/json"})
    assert as_json.status_code == 400
    bad_utf8 = client.post("/decide", content=b"csrf=" + token.encode() + b"&note=\xff",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad_utf8.status_code == 400
