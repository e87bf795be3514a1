"""Every model, imported here so `Base.metadata` knows all tables.

Importing a model imports its whole module, so app.models.token's
RevokedToken (the logout blocklist, when it lives in the database) is known
too. So this file is the same whatever the project's options, and the lines
each new model adds here never meet an option's change when the project is
updated (`fastgen update --data`).
"""

from app.models.base import Base
from app.models.token import RefreshToken
from app.models.user import User

__all__ = ["Base", "RefreshToken", "User"]
