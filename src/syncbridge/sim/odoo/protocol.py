"""The wire protocols of the Odoo simulator: XML-RPC, JSON-RPC and JSON-2 bodies and their error shapes.

Pure functions from a decoded call's outcome to response bytes, so the shapes are tested without a server.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import orjson

from syncbridge.sim.odoo.exceptions import OdooError

RPC_FILE = "/opt/odoo/odoo/addons/base/controllers/rpc.py"

_NONE_TRACEBACK = (
    "Traceback (most recent call last):\n"
    f'  File "{RPC_FILE}", line 165, in xmlrpc_2\n'
    "    response = self._xmlrpc(service)\n"
    "               ^^^^^^^^^^^^^^^^^^^^^\n"
    f'  File "{RPC_FILE}", line 140, in _xmlrpc\n'
    "    return dumps((result,))\n"
    "           ^^^^^^^^^^^^^^^^\n"
    f'  File "{RPC_FILE}", line 114, in dumps\n'
    "    response = OdooMarshaller(allow_none=False).dumps(params)\n"
    "               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/usr/lib/python3.11/xmlrpc/client.py", line 514, in dumps\n'
    "    dump(v, write)\n"
    '  File "/usr/lib/python3.11/xmlrpc/client.py", line 536, in __dump\n'
    "    f(self, value, write)\n"
    '  File "/usr/lib/python3.11/xmlrpc/client.py", line 540, in dump_nil\n'
    '    raise TypeError("cannot marshal None unless allow_none is enabled")\n'
    "TypeError: cannot marshal None unless allow_none is enabled\n"
)


def traceback_of(error: OdooError) -> str:
    """A server traceback ending with the exception line, as Odoo's fault 1 and ``data.debug`` carry."""
    name = error.qualified_name.removeprefix("builtins.")
    return (
        "Traceback (most recent call last):\n"
        '  File "/opt/odoo/odoo/service/model.py", line 156, in retrying\n'
        "    result = func()\n"
        "             ^^^^^^\n"
        '  File "/opt/odoo/odoo/api.py", line 533, in call_kw\n'
        "    result = getattr(recs, name)(*args, **kwargs)\n"
        "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        f"{name}: {error.message}\n"
    )


def xmlrpc_result(value: Any) -> bytes:
    if value is None:
        return xmlrpc_fault_bytes(1, _NONE_TRACEBACK)
    return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=False).encode()


def xmlrpc_fault_bytes(code: int, text: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True).encode()


def xmlrpc_fault(error: OdooError) -> bytes:
    text = traceback_of(error) if error.fault_code == 1 else error.message
    return xmlrpc_fault_bytes(error.fault_code, text)


def jsonrpc_result(request_id: Any, value: Any) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if value is not None:  # Odoo leaves the key out when the method returned None
        body["result"] = value
    return orjson.dumps(body)


def jsonrpc_error(request_id: Any, error: OdooError) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "error": {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {
                    "name": error.qualified_name,
                    "debug": traceback_of(error),
                    "message": error.message,
                    "arguments": [error.message],
                    "context": {},
                },
            },
        }
    )


JSON2_STATUS = {
    "odoo.exceptions.AccessDenied": 401,
    "odoo.exceptions.AccessError": 403,
    "odoo.exceptions.MissingError": 404,
    "psycopg2.errors.SerializationFailure": 409,
    "odoo.exceptions.UserError": 422,
    "odoo.exceptions.ValidationError": 422,
    "builtins.ValueError": 422,
    "builtins.TypeError": 422,
    "builtins.AttributeError": 404,
}


def json2_error(error: OdooError) -> tuple[int, bytes]:
    status = JSON2_STATUS.get(error.qualified_name, 500)
    return status, orjson.dumps(
        {
            "name": error.qualified_name,
            "message": error.message,
            "arguments": [error.message],
            "context": {},
            "debug": traceback_of(error),
        }
    )
