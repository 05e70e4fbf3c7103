"""Small typed readers for request parameters, so bad input names the field that is wrong."""
from typing import Any, Dict, Optional

from .errors import bad_request


def req_str(params: Dict[str, Any], key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{key}' must be a non-empty string")
    return value


def opt_str(params: Dict[str, Any], key: str, default: Optional[str]) -> Optional[str]:
    value = params.get(key, default)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string")
    return value


def opt_int(params: Dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_request(f"'{key}' must be an integer >= {minimum}")
    return value


def opt_bool(params: Dict[str, Any], key: str, default: bool) -> bool:
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise bad_request(f"'{key}' must be true or false")
    return value
