"""Routing by prefix: a request tries the routes of its own router only.

Starlette tries an app's routes in order, and FastAPI keeps each included
router as one more entry to try, so every resource added to the API made each
request routed after it slower, and every 404 paid for all of them. Here the
API's routers are kept in a table under the first segment of their own prefix
(the orders router, "/orders", under "orders"): a request looks up that
segment of its path once and tries the routes found there alone, in the order
they were included. A route costs the same in a project of one resource as in
one of sixty.

The table is one entry among the app's routes, speaking Starlette's route
interface (matches, then handle), so what happens around it is FastAPI's own:
dependencies, the 404, the 405 and the redirect to the other trailing slash.
"""

from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

# Where matches() leaves the route it found, for handle() to call.
MATCHED = "app.routing.matched"


class Routers:
    """The routers of one version of the API, in the order they are included,
    to be served under `prefix` by the app's PrefixTable (app/main.py)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.included: list[tuple[APIRouter, dict[str, Any]]] = []

    def include_router(self, router: APIRouter, **options: Any) -> None:
        """Takes APIRouter.include_router's options; a prefix goes under ours."""
        self.included.append((router, options))


class PrefixTable(BaseRoute):
    def __init__(self, app: FastAPI, prefix: str) -> None:
        self.prefix = prefix
        self.included: list[tuple[APIRouter, dict[str, Any]]] = []
        self._app = app
        # Each included router in an APIRouter of its own, which serves it
        # under the prefix with its options; by segment, in the order included.
        self._holders: list[APIRouter] = []
        self._by_segment: dict[str, list[APIRouter]] = {}

    def include_router(
        self, router: APIRouter, *, prefix: str = "", **options: Any
    ) -> None:
        """As APIRouter.include_router: `prefix` goes under the table's own."""
        path = prefix + router.prefix
        segment = path.removeprefix("/").split("/", 1)[0]
        if not segment or "{" in segment:
            raise ValueError(
                f"prefix {path!r}: a router of the API needs a prefix that"
                ' starts with a fixed segment, like APIRouter(prefix="/orders");'
                " or include it with app.include_router in app/main.py"
            )
        # FastAPI looks dependency overrides up on what the router names here:
        # the app, as for the routers it includes itself.
        holder = APIRouter(dependency_overrides_provider=self._app)
        holder.include_router(router, prefix=self.prefix + prefix, **options)
        self.included.append((router, {"prefix": prefix, **options}))
        self._holders.append(holder)
        self._by_segment.setdefault(segment, []).append(holder)

    def include_routers(self, routers: Routers, **options: Any) -> None:
        """Each of `routers`, with `options` under its own (its own win)."""
        for router, own in routers.included:
            self.include_router(router, **{**options, **own})

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route of the table, in the order included: what the OpenAPI
        document lists (app/api/openapi.py)."""
        return [route for holder in self._holders for route in holder.routes]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        partial: Scope | None = None
        for holder in self._by_segment.get(self._segment(scope), ()):
            for route in holder.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    return match, {**child_scope, MATCHED: route}
                if match is Match.PARTIAL and partial is None:
                    partial = {**child_scope, MATCHED: route}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[MATCHED].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    def _segment(self, scope: Scope) -> str:
        """The first segment of the path below the prefix ("orders" of
        /api/v1/orders/7), or "" when the path is not below it."""
        path: str = scope["path"]
        # As Starlette matches: below the root path the app is served under.
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path + "/"):
            path = path[len(root_path) :]
        if not path.startswith(self.prefix + "/"):
            return ""
        return path[len(self.prefix) + 1 :].split("/", 1)[0]
