"""Who is asking: the client address of the current request, for per-client limits."""
from app import settings


def client_address() -> str:
    """The request's client address: the peer's, or — behind GRADLAB_TRUSTED_PROXIES proxies
    that each append to X-Forwarded-For — the address the outermost trusted proxy saw. A
    client cannot forge its way past the limit: entries to the left of those are ignored."""
    from flask import has_request_context, request
    if not has_request_context():
        return "local"
    hops = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")
                     if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.remote_addr or "unknown")[:64]
