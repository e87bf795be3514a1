from fastapi import APIRouter, Response, status

from app.core.dependencies import AdminUser, IdPath, PageParamsDep, UserServiceDep
from app.schemas.common import Page, error_responses
from app.schemas.user import UserAdminCreate, UserRead, UserUpdate

router = APIRouter(responses=error_responses(401, 403))


@router.get("/", response_model=Page[UserRead], responses=error_responses(422))
async def list_users(
    _: AdminUser, users: UserServiceDep, page: PageParamsDep
) -> Page[UserRead]:
    rows, total = await users.page(skip=page.skip, limit=page.limit)
    return Page(
        items=[UserRead.model_validate(row) for row in rows],
        total=total,
        skip=page.skip,
        limit=page.limit,
    )


@router.post(
    "/",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422),
)
async def create_user(
    data: UserAdminCreate, _: AdminUser, users: UserServiceDep
) -> UserRead:
    return UserRead.model_validate(await users.create(data))


@router.get(
    "/{user_id:int}", response_model=UserRead, responses=error_responses(404, 422)
)
async def read_user(user_id: IdPath, _: AdminUser, users: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await users.get_cached(user_id))


@router.put(
    "/{user_id:int}", response_model=UserRead, responses=error_responses(404, 409, 422)
)
async def update_user(
    user_id: IdPath, data: UserUpdate, _: AdminUser, users: UserServiceDep
) -> UserRead:
    user = await users.get(user_id)
    return UserRead.model_validate(await users.update(user, data))


@router.delete(
    "/{user_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 422),
)
async def delete_user(user_id: IdPath, _: AdminUser, users: UserServiceDep) -> Response:
    await users.delete(await users.get(user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
