"""User routes. The fixed paths (/me, /statistics, /export) come before
management's /{user_id} so they are matched first; and /{user_id:signed_int}
matches integers only, so another method on a fixed path is a 405, not a bad id."""

from fastapi import APIRouter

from app.api.v1.users import export, management, profile, statistics

router = APIRouter(prefix="/users", tags=["users"])
router.include_router(profile.router)
router.include_router(statistics.router)
router.include_router(export.router)
router.include_router(management.router)
