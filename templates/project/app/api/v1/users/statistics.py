from fastapi import APIRouter

from app.api.deps import AdminUser, UserReportServiceDep
from app.schemas.common import error_responses
from app.schemas.user import UserStatistics

router = APIRouter(responses=error_responses(401, 403))


@router.get("/statistics", response_model=UserStatistics)
async def user_statistics(
    _: AdminUser, reports: UserReportServiceDep
) -> UserStatistics:
    return await reports.statistics()
