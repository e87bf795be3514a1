from fastapi import APIRouter

from app.core.dependencies import CurrentUser, UserServiceDep
from app.schemas.common import error_responses
from app.schemas.user import UserRead, UserSelfUpdate

router = APIRouter(responses=error_responses(401))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.put("/me", response_model=UserRead, responses=error_responses(400, 409, 422))
async def update_me(
    data: UserSelfUpdate, user: CurrentUser, users: UserServiceDep
) -> UserRead:
    """Change email, username or password; a new password needs
    `current_password` and ends every other session."""
    return UserRead.model_validate(await users.update_me(user.id, data))
