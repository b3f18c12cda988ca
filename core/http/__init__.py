"""Shared HTTP plumbing for the Admin API, HTTP proxy and schema registry."""

from core.http.errors import HttpError, bad_request, error_response, not_found
from core.http.params import int_param, query_bool, read_json, read_json_object, string_field
from core.http.server import HttpServer, new_app, start_http_server

__all__ = [
    "HttpError",
    "HttpServer",
    "bad_request",
    "error_response",
    "int_param",
    "new_app",
    "not_found",
    "query_bool",
    "read_json",
    "read_json_object",
    "start_http_server",
    "string_field",
]
