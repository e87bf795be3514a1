"""The OpenAPI document, completed with answers the app gives before any route
runs, so no route can declare them itself."""

from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute

from app.api.routing import PrefixTable

ERROR_CONTENT = {
    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
}


class DocumentedFastAPI(FastAPI):
    """Every operation may answer 413 (middleware/body_limit.py), and one with
    a body 400 when that body is not valid JSON or form data. The API's routes
    are served from a PrefixTable and documented as FastAPI would any other."""

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, those of a PrefixTable included (app/api/routing.py):
        what FastAPI builds the document from."""
        return [
            inner
            for route in self.router.routes
            for inner in (route.routes if isinstance(route, PrefixTable) else [route])
        ]

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            for operations in super().openapi()["paths"].values():
                for operation in operations.values():
                    responses = operation["responses"]
                    responses.setdefault(
                        "413",
                        {"description": "Payload too large", "content": ERROR_CONTENT},
                    )
                    if "requestBody" in operation:
                        responses.setdefault(
                            "400",
                            {"description": "Bad request", "content": ERROR_CONTENT},
                        )
        return super().openapi()
