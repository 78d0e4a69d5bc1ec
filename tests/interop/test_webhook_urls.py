"""Which webhook URLs a manager may register: https to public addresses, unless allowed."""

import pytest

from backend.interop.webhooks.urlcheck import UrlPolicy, url_problem

STRICT = UrlPolicy()
DEV = UrlPolicy(allow_insecure=True)
ON_PREMISES = UrlPolicy(allow_private=True)

PUBLIC = "93.184.215.14"


def resolving_to(*addresses):
    return lambda host, port: list(addresses)


def unresolvable(host, port):
    raise OSError("Name or service not known")


@pytest.mark.parametrize(
    ("url", "addresses", "policy", "allowed"),
    [
        ("https://hooks.example.org/kap", [PUBLIC], STRICT, True),
        ("https://hooks.example.org:8443/kap?x=1", [PUBLIC], STRICT, True),
        ("http://hooks.example.org/kap", [PUBLIC], STRICT, False),
        ("http://hooks.example.org/kap", [PUBLIC], DEV, True),
        ("ftp://hooks.example.org/kap", [PUBLIC], DEV, False),
        ("https://localhost/kap", ["127.0.0.1"], STRICT, False),
        ("https://localhost/kap", ["127.0.0.1", "::1"], DEV, True),
        ("http://127.0.0.1:9000/kap", ["127.0.0.1"], DEV, True),
        ("https://ehr.internal/kap", ["10.1.2.3"], STRICT, False),
        ("https://ehr.internal/kap", ["10.1.2.3"], DEV, False),
        ("https://ehr.internal/kap", ["10.1.2.3"], ON_PREMISES, True),
        ("https://ehr.internal/kap", ["192.168.1.5"], STRICT, False),
        ("https://ehr.internal/kap", ["172.16.0.9"], STRICT, False),
        ("https://ehr.internal/kap", ["100.64.0.1"], STRICT, False),
        ("https://ehr.internal/kap", ["fd00::1"], STRICT, False),
        ("https://ehr.internal/kap", ["fd00::1"], ON_PREMISES, True),
        # One bad address among good ones is enough to refuse: DNS picks which is used.
        ("https://mixed.example.org/kap", [PUBLIC, "10.0.0.1"], STRICT, False),
        # Cloud metadata (link-local) and other special addresses: never.
        ("https://metadata.example/kap", ["169.254.169.254"], ON_PREMISES, False),
        ("https://metadata.example/kap", ["169.254.169.254"], DEV, False),
        ("https://zero.example/kap", ["0.0.0.0"], ON_PREMISES, False),
        ("https://mapped.example/kap", ["::ffff:10.0.0.1"], STRICT, False),
        ("https://mapped.example/kap", ["::ffff:127.0.0.1"], STRICT, False),
        ("https://user:secret@hooks.example.org/kap", [PUBLIC], STRICT, False),
        ("https:///kap", [PUBLIC], STRICT, False),
        ("https://hooks.example.org:99999/kap", [PUBLIC], STRICT, False),
    ],
)
def test_url_policy(url, addresses, policy, allowed):
    problem = url_problem(url, policy, resolver=resolving_to(*addresses))

    assert (problem is None) is allowed, problem


def test_a_host_that_does_not_resolve_is_refused_with_its_name():
    problem = url_problem("https://nowhere.invalid/kap", STRICT, resolver=unresolvable)

    assert problem == "The host nowhere.invalid cannot be resolved."


def test_messages_say_what_is_wrong():
    assert url_problem("http://h.example/x", STRICT, resolver=resolving_to(PUBLIC)) == (
        "Use an https:// URL."
    )
    assert "loopback" in url_problem("https://localhost/", STRICT, resolver=resolving_to("::1"))
    assert "private network" in url_problem(
        "https://h.example/", STRICT, resolver=resolving_to("10.0.0.2")
    )
