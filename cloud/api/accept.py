"""Which form a client asked for in its ``Accept`` header (RFC 9110 12.5.1), for routes that answer a person
(HTML) and a page's script (JSON) at the same address."""


def _quality(accept: str, media: str) -> float:
    best = 0.0
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() not in (media, media.split("/")[0] + "/*", "*/*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # The exact type outranks a wildcard; */* alone (curl, chat previews) must not turn a page into JSON.
        best = max(best, q if kind.lower() == media else q * 0.5)
    return best


def wants_json(accept: str | None) -> bool:
    """True when JSON is named explicitly and preferred to HTML; a browser's default or no header: HTML."""
    if not accept:
        return False
    return _quality(accept, "application/json") > _quality(accept, "text/html")
