"""Every error, whatever raised it, answers with the same envelope."""

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.exceptions import (
    AppException,
    Conflict,
    ReferenceNotFound,
    error_response,
)
from app.middleware.security_headers import security_headers
from app.repositories.base_repository import DuplicateError, MissingReferenceError

logger = logging.getLogger(__name__)
security_log = logging.getLogger("app.security")


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppException)
    async def handle_app_exception(request: Request, exc: AppException) -> JSONResponse:
        if exc.status_code in {401, 403}:
            security_log.warning(
                "%s %s on %s %r client=%s user=%s",
                exc.status_code,
                exc.error_code,
                request.method,
                request.url.path,
                _client(request),
                getattr(request.state, "user_id", "-"),
            )
        return error_response(
            exc.status_code, exc.error_code, exc.detail, request.url.path, exc.headers
        )

    # What a service did not translate itself: a write racing another one.
    @app.exception_handler(DuplicateError)
    async def handle_duplicate(request: Request, _: DuplicateError) -> JSONResponse:
        return await handle_app_exception(request, Conflict())

    @app.exception_handler(MissingReferenceError)
    async def handle_missing_reference(
        request: Request, _: MissingReferenceError
    ) -> JSONResponse:
        return await handle_app_exception(request, ReferenceNotFound())

    @app.exception_handler(StarletteHTTPException)
    async def handle_http_exception(
        request: Request, exc: StarletteHTTPException
    ) -> JSONResponse:
        code = HTTPStatus(exc.status_code).phrase.upper().replace(" ", "_")
        return error_response(
            exc.status_code, code, exc.detail, request.url.path, exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def handle_validation_error(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        # Only where and what: the rejected input may be a password.
        errors = [
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        return error_response(422, "VALIDATION_ERROR", errors, request.url.path)

    @app.exception_handler(Exception)
    async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Starlette runs this handler outside every user middleware, so the
        # headers they would add are added here.
        logger.exception("Unhandled error on %s %r", request.method, request.url.path)
        headers = security_headers(request.url.path)
        headers["X-Request-ID"] = getattr(request.state, "request_id", "-")
        return error_response(
            500,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
            request.url.path,
            headers,
        )
