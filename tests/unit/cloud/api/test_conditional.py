"""If-None-Match against an ETag: weak comparison, lists, the wildcard; tags follow the body's bytes."""

from cloud.api.conditional import etag_of, not_modified


def test_the_tag_follows_the_bytes() -> None:
    assert etag_of(b'{"sheds":[]}') == etag_of(b'{"sheds":[]}') != etag_of(b'{"sheds": []}')
    assert etag_of(b"").startswith('"') and etag_of(b"").endswith('"')


def test_if_none_match_forms() -> None:
    tag = etag_of(b"x")
    assert not_modified(tag, tag) and not_modified(f"W/{tag}", tag) and not_modified(f' "a" ,{tag} ', tag)
    assert not_modified("*", tag)
    assert not not_modified(None, tag) and not not_modified('"a", W/"b"', tag) and not not_modified("", tag)
    assert not not_modified(tag.strip('"'), tag)  # an unquoted tag is not the tag
