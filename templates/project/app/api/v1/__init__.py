"""Version 1 of the API, mounted under /api/v1.

What the project's options add here (the admin routes, the rate limit's 429)
is mounted in app/main.py instead, so this file is the same whatever the
options: a router added to it later never meets an option's change when the
project is updated (`fastgen update --data`). For the same reason the import
of Routers stands apart from the routers' import (`isort: split`), which
`fastgen add resource` edits: an update then merges a change to either.
"""

from app.api.routing import Routers  # isort: split

from app.api.v1 import auth, users

router = Routers(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(users.router)
