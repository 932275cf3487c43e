"""The Odoo exceptions the simulator raises, with how each travels over XML-RPC and JSON-RPC.

XML-RPC fault codes follow ``odoo.addons.base.controllers.rpc``: 2 for the UserError family
(ValidationError and MissingError included), 3 for AccessDenied, 4 for AccessError, and 1 with a whole
traceback for anything else.
"""

from __future__ import annotations

from typing import ClassVar


class OdooError(Exception):
    qualified_name: ClassVar[str] = "builtins.Exception"
    fault_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def short_name(self) -> str:
        return self.qualified_name.rsplit(".", 1)[-1]


class UserError(OdooError):
    qualified_name = "odoo.exceptions.UserError"
    fault_code = 2


class ValidationError(UserError):
    qualified_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    qualified_name = "odoo.exceptions.MissingError"


class AccessDenied(OdooError):
    qualified_name = "odoo.exceptions.AccessDenied"
    fault_code = 3


class AccessError(OdooError):
    qualified_name = "odoo.exceptions.AccessError"
    fault_code = 4


class PyValueError(OdooError):
    qualified_name = "builtins.ValueError"


class PyTypeError(OdooError):
    qualified_name = "builtins.TypeError"


class PyAttributeError(OdooError):
    qualified_name = "builtins.AttributeError"


class SerializationFailure(OdooError):
    qualified_name = "psycopg2.errors.SerializationFailure"


def missing(model: str, ids: list[int], uid: int) -> MissingError:
    shown = ", ".join(str(i) for i in ids)
    return MissingError(f"Record does not exist or has been deleted.\n(Record: {model}({shown},), User: {uid})")


def access_denied_for(model: str, operation: str, description: str, group: str) -> AccessError:
    return AccessError(
        f"You are not allowed to {operation} '{description}' ({model}) records.\n\n"
        f"This operation is allowed for the following groups:\n\t- {group}\n\n"
        "Contact your administrator to request access if necessary."
    )


SERIALIZATION_MESSAGE = "could not serialize access due to concurrent update"
