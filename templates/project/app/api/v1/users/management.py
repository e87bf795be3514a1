from fastapi import APIRouter, Response, status
from starlette.convertors import Convertor, register_url_convertor

from app.api.deps import AdminUser, IdPath, PageParamsDep, UserServiceDep
from app.schemas.common import Page, error_responses
from app.schemas.user import UserAdminCreate, UserRead, UserReplace, UserUpdate


class SignedIntegerConvertor(Convertor[str]):
    """A path segment shaped like an integer, sign included. Matching only such
    segments keeps /{user_id} off the fixed paths (PUT /statistics is a 405),
    while -1 still reaches IdPath and is a 422 like on every id route. The text
    is passed on as is: IdPath parses it, so a number too long for `int()` is a
    422 too, not an error in the router."""

    regex = "-?[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("signed_int", SignedIntegerConvertor())
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
    "/{user_id:signed_int}",
    response_model=UserRead,
    responses=error_responses(404, 422),
)
async def read_user(user_id: IdPath, _: AdminUser, users: UserServiceDep) -> UserRead:
    return UserRead.model_validate(await users.get_cached(user_id))


@router.put(
    "/{user_id:signed_int}",
    response_model=UserRead,
    responses=error_responses(404, 409, 422),
)
async def replace_user(
    user_id: IdPath, data: UserReplace, admin: AdminUser, users: UserServiceDep
) -> UserRead:
    """Set every field, and the password when sent. 409 `ADMIN_LOCKOUT` for
    deactivating or demoting yourself or the last active admin."""
    return UserRead.model_validate(await users.manage(admin.id, user_id, data))


@router.patch(
    "/{user_id:signed_int}",
    response_model=UserRead,
    responses=error_responses(404, 409, 422),
)
async def update_user(
    user_id: IdPath, data: UserUpdate, admin: AdminUser, users: UserServiceDep
) -> UserRead:
    """Change only the fields sent, by the same rules as PUT."""
    return UserRead.model_validate(await users.manage(admin.id, user_id, data))


@router.delete(
    "/{user_id:signed_int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409, 422),
)
async def delete_user(
    user_id: IdPath, admin: AdminUser, users: UserServiceDep
) -> Response:
    """409 `ADMIN_LOCKOUT` for yourself or the last active admin."""
    await users.remove(admin.id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
