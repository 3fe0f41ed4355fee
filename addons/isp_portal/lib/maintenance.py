"""Which requests the portal maintenance mode replaces (pure logic, no Odoo)."""

# Subscriber portal pages closed in maintenance mode (exact paths or path prefixes
# ending with "/"). Each portal area adds its own under its marker.
MAINTENANCE_PATHS = (
    # ---- subscriber home
    "/my/connection",
    "/my/payment-claims",
    "/my/auto-debit",
    # ---- subscriber actions (the package and password pages are under /my/connection)
    "/my/tickets",
    "/my/ticket",
    "/new/ticket",
    "/submitted/ticket",
)


def is_maintenance_path(path, paths=MAINTENANCE_PATHS):
    """Whether ``path`` (a request path or a route pattern) is one of ``paths`` or
    under one of them."""
    path = (path or "").rstrip("/") or "/"
    for entry in paths:
        base = entry.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return True
    return False


def routes_in_maintenance(routes, paths=MAINTENANCE_PATHS):
    """Whether any route pattern of an endpoint falls under maintenance."""
    return any(is_maintenance_path(route, paths) for route in routes or ())
