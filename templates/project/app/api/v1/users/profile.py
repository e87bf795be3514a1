from fastapi import APIRouter

from app.api.deps import CurrentUser, UserServiceDep
from app.schemas.common import error_responses
from app.schemas.user import UserRead, UserSelfReplace, UserSelfUpdate

router = APIRouter(responses=error_responses(401))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.put("/me", response_model=UserRead, responses=error_responses(400, 409, 422))
async def replace_me(
    data: UserSelfReplace, user: CurrentUser, users: UserServiceDep
) -> UserRead:
    """Set email and username, and the password when sent; a new password needs
    `current_password` and ends every other session."""
    return UserRead.model_validate(await users.update_me(user.id, data))


@router.patch("/me", response_model=UserRead, responses=error_responses(400, 409, 422))
async def update_me(
    data: UserSelfUpdate, user: CurrentUser, users: UserServiceDep
) -> UserRead:
    """Change only the fields sent, by the same rules as PUT."""
    return UserRead.model_validate(await users.update_me(user.id, data))
