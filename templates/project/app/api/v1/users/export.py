from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from app.api.deps import AdminUser, UserReportServiceDep
from app.schemas.common import error_responses

router = APIRouter(responses=error_responses(401, 403))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        **error_responses(422),
    },
)
async def export_users(
    _: AdminUser,
    reports: UserReportServiceDep,
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
) -> StreamingResponse:
    """Every user, without secrets, streamed as it is read."""
    if format == "csv":
        return StreamingResponse(
            reports.export_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="users.csv"'},
        )
    return StreamingResponse(
        reports.export_json(),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="users.json"'},
    )
