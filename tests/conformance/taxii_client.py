#!/usr/bin/env python3
"""An independent TAXII 2.1 client and conformance run.

Written only from the TAXII 2.1 specification (OASIS Standard, 10 June 2021) and
from the public behaviour of the OASIS python client ``taxii2-client``
(``taxii2client.v21``: Server, ApiRoot, Collection, Status, as_pages), with the
Python 3 standard library alone. It does not know the server it talks to.

Library part (importable)::

    from taxii_client import Server, as_pages
    server = Server("https://hub.example/taxii2/", user="u", password="p")
    root = server.default
    coll = root.collections[0]
    for envelope in as_pages(coll.get_objects, per_request=100, type="indicator"):
        ...

Conformance part (run as a program)::

    taxii_client.py --url http://127.0.0.1:PORT/taxii2/ --user U --password P \
                    --user2 U2 --password2 P2

or with TAXII_URL, TAXII_USER, TAXII_PASSWORD, TAXII_USER2, TAXII_PASSWORD2. It
prints one line per check ("ok - ..." / "not ok - ...: detail"), then the
cmocka-style summary lines, and exits 1 if any check failed.

Section numbers in the check descriptions refer to the TAXII 2.1 specification.
"""

import argparse
import base64
import datetime
import json
import os
import random
import re
import ssl
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

__version__ = "1.0"

MEDIA_TYPE_TAXII_V21 = "application/taxii+json;version=2.1"
MEDIA_TYPE_STIX_V21 = "application/stix+json;version=2.1"
DEFAULT_USER_AGENT = "taxii-conformance-client/%s (Python urllib)" % __version__


# --------------------------------------------------------------------------
# Exceptions (named after taxii2client.exceptions)
# --------------------------------------------------------------------------


class TAXIIServiceException(Exception):
    """Base class for every error this client raises."""


class InvalidArgumentsError(TAXIIServiceException):
    """The caller combined arguments that cannot go together."""


class InvalidJSONError(TAXIIServiceException):
    """A response body that should have been JSON was not."""


class ValidationError(TAXIIServiceException):
    """A TAXII resource lacks a required property or has a wrong type."""


class AccessError(TAXIIServiceException):
    """The collection says the caller may not do this (can_read/can_write)."""


class HTTPError(TAXIIServiceException):
    """The server answered with a 4xx or 5xx status."""

    def __init__(self, response):
        self.response = response
        self.status = response.status
        self.headers = response.headers
        self.error = None  # the TAXII error resource, when the body is one
        try:
            body = response.json()
            if isinstance(body, dict):
                self.error = body
        except (InvalidJSONError, ValueError):
            pass
        title = ""
        if self.error and isinstance(self.error.get("title"), str):
            title = " (%s)" % self.error["title"]
        super().__init__("%s %s: HTTP %d%s" % (response.method, response.url, response.status, title))


# --------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------

_RFC3339_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")
# TAXII timestamp (section 2): YYYY-MM-DDTHH:MM:SS.ssssssZ, microsecond precision, UTC.
TAXII_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def parse_timestamp(value):
    """An RFC 3339 UTC ('Z') timestamp as integer microseconds since the epoch."""
    if not isinstance(value, str):
        raise ValueError("not a timestamp: %r" % (value,))
    m = _RFC3339_RE.match(value)
    if not m:
        raise ValueError("not an RFC 3339 UTC timestamp: %r" % (value,))
    y, mo, d, h, mi, s, frac = m.groups()
    dt = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=datetime.timezone.utc)
    micros = int((frac or "").ljust(6, "0")[:6]) if frac else 0
    return int(dt.timestamp()) * 1000000 + micros


def format_timestamp(dt, precision="microsecond"):
    """A datetime as a UTC timestamp string ('millisecond' for STIX, 'microsecond' for TAXII)."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if precision == "millisecond":
        return "%s.%03dZ" % (base, dt.microsecond // 1000)
    return "%s.%06dZ" % (base, dt.microsecond)


def same_timestamp(a, b):
    try:
        return parse_timestamp(a) == parse_timestamp(b)
    except ValueError:
        return a == b


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------


def parse_media_type(value):
    """'application/taxii+json; version=2.1' -> ('application/taxii+json', {'version': '2.1'})."""
    parts = [p.strip() for p in (value or "").split(";")]
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def valid_content_type(content_type, accept):
    """Whether a response Content-Type satisfies the media range we asked for
    (same media type, and every parameter we asked for, e.g. version=2.1)."""
    if not content_type:
        return False
    mt, params = parse_media_type(content_type)
    amt, aparams = parse_media_type(accept)
    return mt == amt and all(params.get(k) == v for k, v in aparams.items())


class Response:
    """One HTTP exchange: method, url, status, headers (case-insensitive), body."""

    def __init__(self, method, url, status, headers, body):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise InvalidJSONError("Invalid JSON was received from %s %s: %s" % (self.method, self.url, e))


class TAXIIResource(dict):
    """A decoded TAXII resource (a dict) that remembers its HTTP status and headers."""

    def __init__(self, data, response):
        super().__init__(data)
        self.status = response.status
        self.headers = response.headers
        self.response = response


def _filter_kwargs_to_query_params(filter_kwargs):
    """taxii2-client's mapping: added_after/limit/next as they are, anything else
    as match[<field>]; lists joined with commas (a logical OR, section 3.4)."""
    query = {}
    for key, value in filter_kwargs.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple, set)) else [value]
        rendered = []
        for v in values:
            if isinstance(v, datetime.datetime):
                v = format_timestamp(v)
            rendered.append(str(v))
        if key in ("added_after", "limit", "next"):
            query[key] = ",".join(rendered)
        else:
            query["match[%s]" % key] = ",".join(rendered)
    return query


class HTTPConnection:
    """What taxii2-client's _HTTPConnection does: preemptive HTTP Basic, the TAXII
    media type in Accept on every request and in Content-Type on POST, and a check
    that each successful response has the Content-Type that was asked for."""

    def __init__(self, user=None, password=None, verify=True, user_agent=DEFAULT_USER_AGENT, timeout=60):
        self.user = user
        self._auth_header = None
        if user is not None or password is not None:
            token = base64.b64encode(("%s:%s" % (user or "", password or "")).encode("utf-8")).decode("ascii")
            self._auth_header = "Basic " + token
        if verify is False:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, str):
            ctx = ssl.create_default_context(cafile=verify)
        else:
            ctx = ssl.create_default_context()
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx))
        self.user_agent = user_agent
        self.timeout = timeout
        self.history = []  # every Response, for audits

    def request(self, method, url, params=None, body=None, accept=MEDIA_TYPE_TAXII_V21,
                content_type=None, headers=None, auth=True):
        """One raw request; returns a Response whatever its status."""
        if params:
            url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        hdrs = {"User-Agent": self.user_agent}
        if accept is not None:
            hdrs["Accept"] = accept
        if auth and self._auth_header:
            hdrs["Authorization"] = self._auth_header
        if body is not None:
            hdrs["Content-Type"] = content_type or MEDIA_TYPE_TAXII_V21
        hdrs.update(headers or {})
        req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
        try:
            with self._opener.open(req, timeout=self.timeout) as r:
                resp = Response(method, url, r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            try:
                data = e.read()
            except Exception:  # noqa: BLE001 - a body we cannot read is an empty one
                data = b""
            resp = Response(method, url, e.code, e.headers, data)
        except (urllib.error.URLError, OSError) as e:
            raise TAXIIServiceException("%s %s: %s" % (method, url, getattr(e, "reason", e)))
        self.history.append(resp)
        return resp

    def _checked(self, resp, accept):
        if resp.status >= 400:
            raise HTTPError(resp)
        content_type = resp.header("Content-Type")
        if not valid_content_type(content_type, accept):
            raise TAXIIServiceException("Unexpected Response. Got Content-Type: '%s' for Accept: '%s' (%s %s)"
                                        % (content_type, accept, resp.method, resp.url))
        if not resp.body.strip():
            return TAXIIResource({}, resp)
        data = resp.json()
        if not isinstance(data, dict):
            raise InvalidJSONError("%s %s: the body is not a JSON object" % (resp.method, resp.url))
        return TAXIIResource(data, resp)

    def get(self, url, params=None, accept=MEDIA_TYPE_TAXII_V21, headers=None):
        return self._checked(self.request("GET", url, params=params, accept=accept, headers=headers), accept)

    def post(self, url, data, params=None, accept=MEDIA_TYPE_TAXII_V21, content_type=MEDIA_TYPE_TAXII_V21,
             headers=None):
        if isinstance(data, dict):
            data = json.dumps(data, ensure_ascii=False)
        if isinstance(data, str):
            data = data.encode("utf-8")
        resp = self.request("POST", url, params=params, body=data, accept=accept, content_type=content_type,
                            headers=headers)
        return self._checked(resp, accept)

    def delete(self, url, params=None, accept=MEDIA_TYPE_TAXII_V21, headers=None):
        return self._checked(self.request("DELETE", url, params=params, accept=accept, headers=headers), accept)


# --------------------------------------------------------------------------
# TAXII endpoints (taxii2client.v21 shapes)
# --------------------------------------------------------------------------


def _ensure_trailing_slash(url):
    return url if url.endswith("/") else url + "/"


def _require(resource, name, kind, types):
    value = resource.get(name)
    if value is None:
        raise ValidationError("No '%s' in %s resource" % (name, kind))
    if not isinstance(value, types) or (types is int and isinstance(value, bool)):
        raise ValidationError("'%s' in %s resource has the wrong type: %r" % (name, kind, value))
    return value


class _TAXIIEndpoint:
    def __init__(self, url, conn=None, user=None, password=None, verify=True, user_agent=DEFAULT_USER_AGENT):
        if conn is not None and (user is not None or password is not None):
            raise InvalidArgumentsError("Pass either a connection or credentials, not both")
        self._conn = conn or HTTPConnection(user, password, verify=verify, user_agent=user_agent)
        self.url = _ensure_trailing_slash(url)


class Status(_TAXIIEndpoint):
    """A status resource (section 4.3.1); refresh() and wait_until_final() poll it."""

    def __init__(self, url, conn=None, user=None, password=None, verify=True, status_info=None,
                 http_status=None):
        super().__init__(url, conn, user, password, verify)
        self.http_status = http_status
        self.polls = 0
        if status_info is not None:
            self._populate_fields(**status_info)
            self._loaded = True
        else:
            self.refresh()

    def __bool__(self):
        return self.status == "complete"

    def refresh(self, accept=MEDIA_TYPE_TAXII_V21):
        response = self._conn.get(self.url, accept=accept)
        self.http_status = response.status
        self.polls += 1
        self._populate_fields(**response)

    def wait_until_final(self, poll_interval=1, timeout=60):
        start = time.monotonic()
        while self.status != "complete" and (timeout <= 0 or time.monotonic() - start < timeout):
            time.sleep(poll_interval)
            self.refresh()

    def _populate_fields(self, id=None, status=None, total_count=None, success_count=None, failure_count=None,
                         pending_count=None, request_timestamp=None, successes=None, failures=None,
                         pendings=None, **kwargs):
        self.id = id
        self.status = status
        self.request_timestamp = request_timestamp
        self.total_count = total_count
        self.success_count = success_count
        self.failure_count = failure_count
        self.pending_count = pending_count
        self.successes = successes or []
        self.failures = failures or []
        self.pendings = pendings or []
        self.custom_properties = kwargs
        self._validate_status()

    def _validate_status(self):
        info = {"id": self.id, "status": self.status, "total_count": self.total_count,
                "success_count": self.success_count, "failure_count": self.failure_count,
                "pending_count": self.pending_count}
        _require(info, "id", "status", str)
        _require(info, "status", "status", str)
        for name in ("total_count", "success_count", "failure_count", "pending_count"):
            if _require(info, name, "status", int) < 0:
                raise ValidationError("'%s' in status resource is negative" % name)
        if self.status not in ("complete", "pending"):
            raise ValidationError("status '%s' is neither complete nor pending" % self.status)
        for name, count in (("successes", self.success_count), ("failures", self.failure_count),
                            ("pendings", self.pending_count)):
            items = getattr(self, name)
            if not isinstance(items, list):
                raise ValidationError("'%s' in status resource is not a list" % name)
            if items and len(items) != count:
                raise ValidationError("%d item(s) in '%s' but its count is %d" % (len(items), name, count))
            for d in items:
                if not isinstance(d, dict) or not isinstance(d.get("id"), str) \
                        or not isinstance(d.get("version"), str):
                    raise ValidationError("status-details in '%s' without id and version: %r" % (name, d))


class Collection(_TAXIIEndpoint):
    """A collection (section 5.2.1) and its endpoints: objects, object, versions, manifest."""

    def __init__(self, url, conn=None, user=None, password=None, verify=True, collection_info=None):
        super().__init__(url, conn, user, password, verify)
        self._loaded = False
        if collection_info:
            self._populate_fields(**collection_info)
            self._loaded = True

    def _ensure_loaded(self):
        if not self._loaded:
            self.refresh()

    id = property(lambda self: (self._ensure_loaded(), self._id)[1])
    title = property(lambda self: (self._ensure_loaded(), self._title)[1])
    description = property(lambda self: (self._ensure_loaded(), self._description)[1])
    alias = property(lambda self: (self._ensure_loaded(), self._alias)[1])
    can_read = property(lambda self: (self._ensure_loaded(), self._can_read)[1])
    can_write = property(lambda self: (self._ensure_loaded(), self._can_write)[1])
    media_types = property(lambda self: (self._ensure_loaded(), self._media_types)[1])

    @property
    def objects_url(self):
        return self.url + "objects/"

    @property
    def manifest_url(self):
        return self.url + "manifest/"

    def refresh(self, accept=MEDIA_TYPE_TAXII_V21):
        response = self._conn.get(self.url, accept=accept)
        self._populate_fields(**response)
        self._loaded = True

    def _populate_fields(self, id=None, title=None, description=None, alias=None, can_read=None,
                         can_write=None, media_types=None, **kwargs):
        self._id = id
        self._title = title
        self._description = description
        self._alias = alias
        self._can_read = can_read
        self._can_write = can_write
        self._media_types = media_types
        self.custom_properties = kwargs
        info = {"id": id, "title": title, "can_read": can_read, "can_write": can_write}
        _require(info, "id", "collection", str)
        _require(info, "title", "collection", str)
        _require(info, "can_read", "collection", bool)
        _require(info, "can_write", "collection", bool)
        if media_types is not None and (not isinstance(media_types, list) or not media_types):
            raise ValidationError("'media_types' in collection resource is not a non-empty list")

    def _verify_can_read(self):
        if not self.can_read:
            raise AccessError("Collection '%s' does not allow reading." % self.url)

    def _verify_can_write(self):
        if not self.can_write:
            raise AccessError("Collection '%s' does not allow writing." % self.url)

    def get_objects(self, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url, params=_filter_kwargs_to_query_params(filter_kwargs),
                              accept=accept)

    def get_object(self, obj_id, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url + urllib.parse.quote(obj_id) + "/",
                              params=_filter_kwargs_to_query_params(filter_kwargs), accept=accept)

    def delete_object(self, obj_id, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        self._verify_can_write()
        return self._conn.delete(self.objects_url + urllib.parse.quote(obj_id) + "/",
                                 params=_filter_kwargs_to_query_params(filter_kwargs), accept=accept)

    def object_versions(self, obj_id, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.objects_url + urllib.parse.quote(obj_id) + "/versions/",
                              params=_filter_kwargs_to_query_params(filter_kwargs), accept=accept)

    def get_manifest(self, accept=MEDIA_TYPE_TAXII_V21, **filter_kwargs):
        self._verify_can_read()
        return self._conn.get(self.manifest_url, params=_filter_kwargs_to_query_params(filter_kwargs),
                              accept=accept)

    def add_objects(self, envelope, wait_for_completion=True, poll_interval=1, timeout=60,
                    accept=MEDIA_TYPE_TAXII_V21, content_type=MEDIA_TYPE_TAXII_V21):
        """POST an envelope (dict, str or bytes); returns the Status, polled until
        complete when wait_for_completion (section 5.5: the client SHOULD poll)."""
        self._verify_can_write()
        response = self._conn.post(self.objects_url, envelope, accept=accept, content_type=content_type)
        status_url = urllib.parse.urljoin(self.url, "../../status/%s/" % urllib.parse.quote(str(response.get("id"))))
        status = Status(url=status_url, conn=self._conn, status_info=response, http_status=response.status)
        if not wait_for_completion or status.status == "complete":
            return status
        status.wait_until_final(poll_interval, timeout)
        return status


class ApiRoot(_TAXIIEndpoint):
    """An API root (section 4.2.1): information, collections, status."""

    def __init__(self, url, conn=None, user=None, password=None, verify=True):
        super().__init__(url, conn, user, password, verify)
        self._loaded_collections = False
        self._loaded_information = False

    def _ensure_information(self):
        if not self._loaded_information:
            self.refresh_information()

    title = property(lambda self: (self._ensure_information(), self._title)[1])
    description = property(lambda self: (self._ensure_information(), self._description)[1])
    versions = property(lambda self: (self._ensure_information(), self._versions)[1])
    max_content_length = property(lambda self: (self._ensure_information(), self._max_content_length)[1])

    @property
    def collections(self):
        if not self._loaded_collections:
            self.refresh_collections()
        return self._collections

    def refresh(self, accept=MEDIA_TYPE_TAXII_V21):
        self.refresh_information(accept)
        self.refresh_collections(accept)

    def refresh_information(self, accept=MEDIA_TYPE_TAXII_V21):
        response = self._conn.get(self.url, accept=accept)
        self._title = response.get("title")
        self._description = response.get("description")
        self._versions = response.get("versions")
        self._max_content_length = response.get("max_content_length")
        self.custom_properties = {k: v for k, v in response.items()
                                  if k not in ("title", "description", "versions", "max_content_length")}
        _require(response, "title", "api-root", str)
        versions = _require(response, "versions", "api-root", list)
        if not versions:
            raise ValidationError("'versions' in api-root resource is empty")
        _require(response, "max_content_length", "api-root", int)
        self._loaded_information = True

    def refresh_collections(self, accept=MEDIA_TYPE_TAXII_V21):
        response = self._conn.get(self.url + "collections/", accept=accept)
        self._collections = []
        listed = response.get("collections", [])
        if not isinstance(listed, list):
            raise ValidationError("'collections' is not a list")
        for info in listed:
            url = self.url + "collections/" + urllib.parse.quote(str(info.get("id"))) + "/"
            self._collections.append(Collection(url, conn=self._conn, collection_info=info))
        self._loaded_collections = True
        return response

    def get_status(self, status_id, accept=MEDIA_TYPE_TAXII_V21):
        response = self._conn.get(self.url + "status/" + urllib.parse.quote(status_id) + "/", accept=accept)
        return Status(self.url + "status/" + status_id + "/", conn=self._conn, status_info=response,
                      http_status=response.status)


class Server(_TAXIIEndpoint):
    """The discovery endpoint (section 4.1)."""

    def __init__(self, url, conn=None, user=None, password=None, verify=True, user_agent=DEFAULT_USER_AGENT):
        super().__init__(url, conn, user, password, verify, user_agent)
        self._loaded = False

    def _ensure_loaded(self):
        if not self._loaded:
            self.refresh()

    title = property(lambda self: (self._ensure_loaded(), self._title)[1])
    description = property(lambda self: (self._ensure_loaded(), self._description)[1])
    contact = property(lambda self: (self._ensure_loaded(), self._contact)[1])
    default = property(lambda self: (self._ensure_loaded(), self._default)[1])
    api_roots = property(lambda self: (self._ensure_loaded(), self._api_roots)[1])

    def refresh(self):
        response = self._conn.get(self.url)
        self.raw = response
        self._title = response.get("title")
        self._description = response.get("description")
        self._contact = response.get("contact")
        _require(response, "title", "discovery", str)
        roots = response.get("api_roots") or []
        if not isinstance(roots, list):
            raise ValidationError("'api_roots' in discovery resource is not a list")
        self._api_roots = [ApiRoot(urllib.parse.urljoin(self.url, r), conn=self._conn) for r in roots]
        self._default = None
        default = response.get("default")
        if default is not None:
            default_url = _ensure_trailing_slash(urllib.parse.urljoin(self.url, default))
            self._default = next((r for r in self._api_roots if r.url == default_url), None) \
                or ApiRoot(default_url, conn=self._conn)
        self._loaded = True


def as_pages(func, per_request=0, *args, **kwargs):
    """Yield each page of a paginated endpoint (get_objects, get_manifest,
    object_versions) like taxii2-client's as_pages: while 'more' is true, ask
    again with the same filters and the envelope's 'next'. When 'more' is true
    and there is no 'next', use X-TAXII-Date-Added-Last as added_after
    (section 3.5)."""
    if per_request:
        kwargs["limit"] = per_request
    envelope = func(*args, **kwargs)
    yield envelope
    seen = set()
    while envelope.get("more", False) is True:
        next_ = envelope.get("next")
        if next_:
            if next_ in seen:
                raise TAXIIServiceException("the server returned the same 'next' twice: %r" % (next_,))
            seen.add(next_)
            kw = dict(kwargs, next=next_)
        else:
            last = envelope.headers.get("X-TAXII-Date-Added-Last")
            if not last:
                raise TAXIIServiceException("'more' is true but there is neither 'next' nor "
                                            "X-TAXII-Date-Added-Last")
            kw = dict(kwargs, added_after=last)
        envelope = func(*args, **kw)
        yield envelope


# --------------------------------------------------------------------------
# The conformance run
# --------------------------------------------------------------------------

UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Skip(Exception):
    """A section cannot run because an earlier one failed."""


class Run:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = []
        self.conns = []

    # -- reporting ---------------------------------------------------------

    def ok(self, desc):
        print("ok - %s" % desc, flush=True)
        self.passed += 1

    def not_ok(self, desc, detail):
        detail = " ".join(str(detail).split())
        if len(detail) > 400:
            detail = detail[:400] + "..."
        print("not ok - %s: %s" % (desc, detail), flush=True)
        self.failed.append(desc)

    def check(self, cond, desc, detail="condition false"):
        if cond:
            self.ok(desc)
        else:
            self.not_ok(desc, detail)
        return bool(cond)

    def expect_error(self, desc, expected, fn):
        """fn() must raise HTTPError with a status in `expected`."""
        expected = expected if isinstance(expected, (tuple, list)) else (expected,)
        try:
            fn()
        except HTTPError as e:
            err_ok, err_detail = self.error_body_ok(e.response)
            if e.status in expected and err_ok:
                self.ok(desc)
            elif e.status in expected:
                self.not_ok(desc, err_detail)
            else:
                self.not_ok(desc, "HTTP %d, expected %s" % (e.status, "/".join(map(str, expected))))
            return e
        except TAXIIServiceException as e:
            self.not_ok(desc, str(e))
            return None
        self.not_ok(desc, "the request succeeded, expected HTTP %s" % "/".join(map(str, expected)))
        return None

    @staticmethod
    def error_body_ok(resp):
        """Section 3.6.1: an error body, when present, is an error resource whose
        http_status (if any) matches the HTTP status."""
        if not resp.body.strip():
            return True, ""
        try:
            body = resp.json()
        except InvalidJSONError as e:
            return False, "the error body is not JSON (%s)" % e
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return False, "the error body is not an error resource with a title (3.6.1): %r" % (body,)
        hs = body.get("http_status")
        if hs is not None and str(hs) != str(resp.status):
            return False, "error http_status %r does not match HTTP %d (3.6.1)" % (hs, resp.status)
        return True, ""

    def section(self, name, fn):
        try:
            fn()
        except Skip as e:
            self.not_ok(name, "not run: %s" % e)
        except Exception as e:  # noqa: BLE001 - a crash in one section fails that section only
            self.not_ok(name, "%s: %s" % (type(e).__name__, e))
            if os.environ.get("TAXII_CONFORMANCE_DEBUG"):
                traceback.print_exc()

    def need(self, *names):
        for n in names:
            if getattr(self, n, None) is None:
                raise Skip("%s unavailable (an earlier check failed)" % n)

    # -- helpers -------------------------------------------------------------

    def all_pages(self, func, per_request=100, *args, **kwargs):
        pages = list(as_pages(func, per_request, *args, **kwargs))
        items = []
        for p in pages:
            items.extend(p.get("objects", []) if "versions" not in p else p.get("versions", []))
        return pages, items

    def check_date_headers(self, pages, desc):
        """Section 3.2: X-TAXII-Date-Added-First/Last on 200 responses, timestamps."""
        bad = []
        for i, p in enumerate(pages):
            if not p.get("objects") and not p.get("versions"):
                continue
            for h in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
                v = p.headers.get(h)
                if v is None:
                    bad.append("page %d lacks %s" % (i + 1, h))
                elif not TAXII_TIMESTAMP_RE.match(v):
                    bad.append("page %d %s=%r is not a TAXII timestamp" % (i + 1, h, v))
        return self.check(not bad, desc, "; ".join(bad[:5]))

    @staticmethod
    def ids(objs):
        return [o.get("id") for o in objs]

    def make_indicator(self, i, base):
        ts = format_timestamp(base + datetime.timedelta(milliseconds=i), "millisecond")
        names = ["標的型攻撃メールの送信元", "不正通信先", "マルウェア配布サイト", "フィッシングサイト",
                 "遠隔操作サーバ"]
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--%s" % uuid.uuid4(),
            "created": ts,
            "modified": ts,
            "name": "%s その%d（適合性検査）" % (names[i % len(names)], i + 1),
            "description": "TAXII 2.1 適合性検査のための指標。実在の脅威ではありません。",
            "indicator_types": ["malicious-activity"],
            "pattern": "[ipv4-addr:value = '203.0.113.%d']" % (i % 254 + 1),
            "pattern_type": "stix",
            "valid_from": ts,
        }

    # -- sections ------------------------------------------------------------

    def s_discovery(self):
        a = self.args
        self.conn = HTTPConnection(a.user, a.password, verify=a.verify)
        self.conns.append(self.conn)
        self.server = Server(a.url, conn=self.conn)
        self.server.refresh()
        d = self.server.raw
        self.ok("discovery: GET /taxii2/ answers 200 with a discovery resource titled %r (4.1)" % d["title"])
        roots = d.get("api_roots")
        self.check(isinstance(roots, list) and roots and all(isinstance(r, str) for r in roots),
                   "discovery: api_roots is a non-empty list of URLs (4.1.1)", "api_roots=%r" % (roots,))
        bad = []
        for r in roots or []:
            p = urllib.parse.urlsplit(r)
            if p.query:
                bad.append("%s has a query" % r)
            if p.scheme:
                if p.scheme != "https":
                    bad.append("%s is an absolute URL that is not HTTPS" % r)
            elif not r.startswith("/") or r.startswith("//") or r.startswith("../"):
                bad.append("%s is not a relative URL beginning with a single '/'" % r)
        self.check(not bad, "discovery: API root URLs are HTTPS absolute or '/'-relative, no query (4.1.1)",
                   "; ".join(bad))
        self.check(isinstance(d.get("default"), str) and d.get("default") in (roots or []),
                   "discovery: default is one of api_roots (4.1.1)", "default=%r" % (d.get("default"),))
        self.root = self.server.default or (self.server.api_roots[0] if self.server.api_roots else None)

    def s_api_root(self):
        self.need("root")
        self.root.refresh_information()
        self.ok("API root: %s answers with title %r (4.2)" % (self.root.url, self.root.title))
        self.check(MEDIA_TYPE_TAXII_V21 in self.root.versions,
                   "API root: versions contains %s (4.2.1)" % MEDIA_TYPE_TAXII_V21, "versions=%r" % self.root.versions)
        mcl = self.root.max_content_length
        self.check(isinstance(mcl, int) and not isinstance(mcl, bool) and mcl > 0,
                   "API root: max_content_length is a positive integer (%r) (4.2.1)" % (mcl,), "got %r" % (mcl,))

    def s_collections(self):
        self.need("root")
        first = self.root.refresh_collections()
        colls = self.root.collections
        self.check(len(colls) > 0, "collections: %d collection(s) listed, each with id, title, "
                   "boolean can_read/can_write (5.1)" % len(colls), "no collections for this user")
        bad = [c.id for c in colls if not UUID4_RE.match(c.id)]
        self.check(not bad, "collections: every id is an RFC 4122 version 4 UUID (2, 5.2.1)", "ids %r" % bad)
        again = self.conn.get(self.root.url + "collections/")
        self.check([c.get("id") for c in first.get("collections", [])] ==
                   [c.get("id") for c in again.get("collections", [])],
                   "collections: the same order across requests (3.3)", "orders differ")
        writable = [c for c in colls if c.can_read and c.can_write]
        if not writable:
            self.not_ok("collections: one collection is readable and writable", "none for %s" % self.args.user)
            return
        coll = writable[0]
        if self.args.collection:
            coll = next((c for c in colls if self.args.collection in (c.id, c.alias)), coll)
        one = Collection(coll.url, conn=self.conn)
        one.refresh()
        same = (one.id, one.title, one.can_read, one.can_write, one.media_types) == \
            (coll.id, coll.title, coll.can_read, coll.can_write, coll.media_types)
        self.check(same, "collection: GET collections/%s/ matches its entry in the list (5.2)" % coll.id,
                   "got %r" % ((one.id, one.title, one.can_read, one.can_write, one.media_types),))
        self.coll = one

    def s_baseline(self):
        self.need("coll")
        pages, records = self.all_pages(self.coll.get_manifest, 100)
        dates = [r.get("date_added") for r in records]
        self.t0 = None
        if dates:
            self.t0 = max(dates, key=parse_timestamp)
        self.baseline_count = len(records)
        self.ok("manifest before posting: %d record(s), newest date_added %s" % (len(records), self.t0))

    def s_add(self):
        self.need("coll", "root")
        base = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=1)
        self.posted = [self.make_indicator(i, base) for i in range(self.args.count)]
        self.by_id = {o["id"]: o for o in self.posted}
        envelope = {"objects": self.posted}
        body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        mcl = self.root.max_content_length
        self.check(isinstance(mcl, int) and len(body) < mcl,
                   "add objects: the %d-indicator envelope (%d octets) is below max_content_length (4.2.1)"
                   % (len(self.posted), len(body)), "max_content_length=%r" % (mcl,))
        status = self.coll.add_objects(body, wait_for_completion=False)
        self.check(status.http_status == 202, "add objects: POST answers 202 with a status resource (5.5)",
                   "HTTP %r" % status.http_status)
        self.check(UUID4_RE.match(status.id or "") is not None, "status: id is a version 4 UUID (4.3.1)",
                   "id=%r" % status.id)
        if status.request_timestamp is not None:
            try:
                parse_timestamp(status.request_timestamp)
                self.ok("status: request_timestamp is a timestamp (4.3.1)")
            except ValueError as e:
                self.not_ok("status: request_timestamp is a timestamp (4.3.1)", str(e))
        self.status_id = status.id
        # Follow the status resource, as a client SHOULD (5.5), until complete.
        polled = self.root.get_status(status.id)
        polled.wait_until_final(poll_interval=0.2, timeout=self.args.timeout)
        self.check(polled.status == "complete",
                   "status: GET status/%s/ reaches 'complete' (%d poll(s)) (4.3)" % (status.id, polled.polls + 1),
                   "still %r after %ss" % (polled.status, self.args.timeout))
        n = len(self.posted)
        counts = (polled.total_count, polled.success_count, polled.failure_count, polled.pending_count)
        self.check(counts == (n, n, 0, 0),
                   "status: total_count=%d success_count=%d failure_count=0 pending_count=0 (4.3.1)" % (n, n),
                   "total/success/failure/pending = %r; failures: %r" % (counts, polled.failures[:3]))
        succ = {d["id"]: d["version"] for d in polled.successes}
        self.check(set(succ) == set(self.by_id),
                   "status: successes list the id of every posted object (4.3.1)",
                   "%d listed, %d missing" % (len(succ), len(set(self.by_id) - set(succ))))
        wrong = [i for i, v in succ.items() if i in self.by_id and not same_timestamp(v, self.by_id[i]["modified"])]
        self.check(not wrong and succ, "status: each success's version is the object's modified (4.3.1)",
                   "%d differ, e.g. %r" % (len(wrong), [(i, succ[i]) for i in wrong[:2]]))

    def s_read_back(self):
        self.need("coll", "posted")
        pages, objs = self.all_pages(self.coll.get_objects, 100, added_after=self.t0)
        got = {o.get("id"): o for o in objs}
        self.check(set(got) == set(self.by_id) and len(objs) == len(self.posted),
                   "get objects: added_after=<before the POST> returns exactly the %d posted objects (5.4)"
                   % len(self.posted),
                   "%d returned, %d of ours, %d missing" % (len(objs), len(set(got) & set(self.by_id)),
                                                            len(set(self.by_id) - set(got))))
        diff = [i for i, o in self.by_id.items() if i in got and got[i] != o]
        self.check(not diff, "get objects: objects come back as posted, Japanese names intact",
                   "%d differ, e.g. %r" % (len(diff), got.get(diff[0], {}).get("name") if diff else None))

    def s_pagination(self):
        self.need("coll", "posted")
        ours = set(self.by_id)
        page = self.coll.get_objects(limit=10)
        n = len(page.get("objects", []))
        self.check(n <= 10 and n > 0, "limit=10: at most 10 objects (%d) (3.4)" % n, "%d objects" % n)
        self.check(page.get("more") is True, "limit=10: more is true when more objects exist (3.4, 3.5)",
                   "more=%r" % page.get("more"))
        for q, desc in (({"limit": "0"}, "limit=0"), ({"limit": "abc"}, "limit=abc"),
                        ({"added_after": "yesterday"}, "added_after=yesterday")):
            self.expect_error("malformed %s is answered 400 (3.4)" % desc, 400,
                              lambda q=q: self.conn.get(self.coll.objects_url, params=q))
        # as_pages with next
        pages, objs = self.all_pages(self.coll.get_objects, 50, added_after=self.t0)
        ids = self.ids(objs)
        used_next = sum(1 for p in pages[:-1] if p.get("next"))
        self.check(len(pages) >= len(self.posted) // 50 and all(len(p.get("objects", [])) <= 50 for p in pages),
                   "as_pages(per_request=50): %d pages of at most 50 objects (3.5)" % len(pages),
                   "page sizes %r" % [len(p.get("objects", [])) for p in pages])
        self.check(len(ids) == len(set(ids)) and set(ids) == ours,
                   "as_pages: following more/next (%d next value(s)) yields every posted object once (3.5)"
                   % used_next, "%d objects, %d distinct, %d missing"
                   % (len(ids), len(set(ids)), len(ours - set(ids))))
        self.check(pages[-1].get("more", False) is False, "as_pages: the last page has more false or absent (3.7)",
                   "more=%r" % pages[-1].get("more"))
        self.check_date_headers(pages, "get objects: every page carries X-TAXII-Date-Added-First/Last "
                                "timestamps (3.2)")
        # manifest: ascending date_added, same order as objects, headers match records
        mpages, records = self.all_pages(self.coll.get_manifest, 50, added_after=self.t0)
        dates = [parse_timestamp(r["date_added"]) for r in records]
        self.check(all(a <= b for a, b in zip(dates, dates[1:])) and dates,
                   "manifest: records ascend by date_added (3.3)", "not sorted")
        self.check(self.ids(records) == ids, "objects and manifest list the same ids in the same order (3.3, 5.3)",
                   "orders differ")
        self.added = {r["id"]: r["date_added"] for r in records}
        mism = []
        for label, plist, key in (("manifest", mpages, lambda x: x["date_added"]),
                                  ("objects", pages, lambda x: self.added.get(x.get("id")))):
            for i, p in enumerate(plist):
                o = p.get("objects", [])
                if not o:
                    continue
                f, l = p.headers.get("X-TAXII-Date-Added-First"), p.headers.get("X-TAXII-Date-Added-Last")
                if not (f and l and same_timestamp(f, key(o[0])) and same_timestamp(l, key(o[-1]))):
                    mism.append("%s page %d: headers %s..%s, records %s..%s" % (label, i + 1, f, l, key(o[0]),
                                                                                key(o[-1])))
        self.check(not mism, "X-TAXII-Date-Added-First/Last equal the date_added of the first and last "
                   "object of each page (3.2)", "; ".join(mism[:3]))
        # added_after is exclusive (3.4): compare with the full manifest at a date_added in the middle.
        _, everything = self.all_pages(self.coll.get_manifest, 100, version="all")
        distinct = sorted({r["date_added"] for r in everything}, key=parse_timestamp)
        if len(distinct) < 2:
            self.not_ok("added_after is exclusive (3.4)", "fewer than two distinct date_added values")
        else:
            d = distinct[len(distinct) // 2 - 1]
            want = {(r["id"], r["version"]) for r in everything if parse_timestamp(r["date_added"]) > parse_timestamp(d)}
            _, got = self.all_pages(self.coll.get_manifest, 100, version="all", added_after=d)
            got = {(r["id"], r["version"]) for r in got}
            self.check(got == want, "added_after=<a date_added> returns exactly the later records, "
                       "not those added at that instant (3.4)",
                       "%d returned, %d expected, %d at or before it" % (len(got), len(want), len(got - want)))
        # Paging by added_after=X-TAXII-Date-Added-Last instead of next (3.5) loses nothing.
        seen, pages, kw = [], 0, {"added_after": self.t0, "limit": 50}
        while pages < 2 * len(self.posted):
            env = self.coll.get_objects(**kw)
            pages += 1
            seen.extend(self.ids(env.get("objects", [])))
            last = env.headers.get("X-TAXII-Date-Added-Last")
            if env.get("more") is not True or not last:
                break
            kw = {"added_after": last, "limit": 50}
        self.check(set(seen) == ours and len(seen) == len(ours),
                   "paging with added_after=X-TAXII-Date-Added-Last instead of next reaches every object (3.5)",
                   "%d of %d objects reached in %d page(s): objects share a date_added across a page "
                   "boundary, so added_after skips the rest of the tie" % (len(set(seen) & ours), len(ours), pages))

    def s_match(self):
        self.need("coll", "posted")
        ours = set(self.by_id)
        a, b = self.posted[5]["id"], self.posted[6]["id"]
        env = self.coll.get_objects(id=a)
        self.check(self.ids(env.get("objects", [])) == [a], "match[id]=<one id> returns that object (3.4.1)",
                   "got %r" % self.ids(env.get("objects", [])))
        env = self.coll.get_objects(id=[a, b])
        self.check(sorted(self.ids(env.get("objects", []))) == sorted([a, b]),
                   "match[id]=<id>,<id> returns both (logical OR) (3.4)", "got %r" % self.ids(env.get("objects", [])))
        unknown = "indicator--%s" % uuid.uuid4()
        env = self.coll.get_objects(id=unknown)
        self.check("objects" not in env and env.get("more", False) is False,
                   "match[id]=<unknown> returns an empty envelope without an objects list (3.7, 2)",
                   "got %r" % dict(env))
        _, objs = self.all_pages(self.coll.get_objects, 100, type="indicator")
        self.check(objs and all(o.get("type") == "indicator" for o in objs) and ours <= set(self.ids(objs)),
                   "match[type]=indicator returns only and all indicators (3.4.1)",
                   "types %r" % sorted({o.get("type") for o in objs}))
        _, objs = self.all_pages(self.coll.get_objects, 100, type="malware", added_after=self.t0)
        self.check(not objs, "match[type]=malware with added_after excludes the posted indicators (3.4.1)",
                   "%d returned" % len(objs))
        _, objs = self.all_pages(self.coll.get_objects, 100, type=["malware", "indicator"], added_after=self.t0)
        self.check(set(self.ids(objs)) == ours, "match[type]=malware,indicator is an OR (3.4)",
                   "%d returned" % len(objs))
        _, objs = self.all_pages(self.coll.get_objects, 100, spec_version="2.1", added_after=self.t0)
        self.check(set(self.ids(objs)) == ours and all(o.get("spec_version") == "2.1" for o in objs),
                   "match[spec_version]=2.1 returns the 2.1 objects (3.4.1)", "%d returned" % len(objs))
        _, objs = self.all_pages(self.coll.get_objects, 100, spec_version="2.0", added_after=self.t0)
        self.check(not objs, "match[spec_version]=2.0 excludes 2.1 objects (3.4.1)", "%d returned" % len(objs))
        _, objs = self.all_pages(self.coll.get_objects, 100, type="indicator", spec_version="2.1", id=[a, b])
        self.check(sorted(self.ids(objs)) == sorted([a, b]), "match fields combine with AND (3.4)",
                   "got %r" % self.ids(objs))

    def s_manifest(self):
        self.need("coll", "posted")
        _, records = self.all_pages(self.coll.get_manifest, 100, added_after=self.t0)
        allowed = self.coll.media_types or ["application/stix+json"]
        bad = []
        for r in records:
            if not all(isinstance(r.get(k), str) for k in ("id", "date_added", "version", "media_type")):
                bad.append("record lacks id/date_added/version/media_type: %r" % r)
            elif not TAXII_TIMESTAMP_RE.match(r["date_added"]):
                bad.append("date_added %r is not a TAXII timestamp (microseconds)" % r["date_added"])
            elif r["id"] in self.by_id and not same_timestamp(r["version"], self.by_id[r["id"]]["modified"]):
                bad.append("version %r is not modified %r" % (r["version"], self.by_id[r["id"]]["modified"]))
            elif not any(r["media_type"] == m or (m == "application/stix+json"
                                                  and r["media_type"].startswith("application/stix+json"))
                         for m in allowed):
                bad.append("media_type %r not among the collection's %r" % (r["media_type"], allowed))
        self.check(records and not bad and {r["id"] for r in records} == set(self.by_id),
                   "manifest: one record per posted object with id, date_added, version (=modified), "
                   "media_type (5.3.1)", "; ".join(bad[:3]) or "%d records" % len(records))

    def s_versions(self):
        self.need("coll", "posted")
        x = dict(self.posted[0])
        v1 = x["modified"]
        v2 = format_timestamp(datetime.datetime.fromtimestamp(parse_timestamp(v1) / 1e6, datetime.timezone.utc)
                              + datetime.timedelta(seconds=1), "millisecond")
        x2 = dict(x, modified=v2, name=x["name"] + "（改訂版）")
        st = self.coll.add_objects({"objects": [x2]}, poll_interval=0.2, timeout=self.args.timeout)
        self.check(st.status == "complete" and st.success_count == 1,
                   "second version: POST of a newer version succeeds (5.5)",
                   "status=%r success=%r failures=%r" % (st.status, st.success_count, st.failures))
        xid = x["id"]
        vr = self.coll.object_versions(xid)
        vs = vr.get("versions", [])
        self.check(len(vs) == 2 and any(same_timestamp(v, v1) for v in vs) and any(same_timestamp(v, v2) for v in vs),
                   "versions endpoint lists both versions (5.8)", "versions=%r" % vs)
        self.check_date_headers([vr], "versions endpoint carries X-TAXII-Date-Added-First/Last (3.2)")

        def mods(env):
            return sorted(parse_timestamp(o.get("modified")) for o in env.get("objects", []))
        p1, p2 = parse_timestamp(v1), parse_timestamp(v2)
        cases = [
            ("object endpoint, no match[version]: the latest", self.coll.get_object(xid), [p2]),
            ("object endpoint, match[version]=all: both", self.coll.get_object(xid, version="all"), [p1, p2]),
            ("object endpoint, match[version]=first", self.coll.get_object(xid, version="first"), [p1]),
            ("object endpoint, match[version]=<v1 timestamp>", self.coll.get_object(xid, version=v1), [p1]),
            ("objects, match[version]=last", self.coll.get_objects(id=xid, version="last"), [p2]),
            ("objects, match[version]=first", self.coll.get_objects(id=xid, version="first"), [p1]),
            ("objects, match[version]=all", self.coll.get_objects(id=xid, version="all"), [p1, p2]),
            ("objects, match[version]=first,last", self.coll.get_objects(id=xid, version=["first", "last"]),
             [p1, p2]),
            ("objects, match[version]=<v2 timestamp>", self.coll.get_objects(id=xid, version=v2), [p2]),
        ]
        for desc, env, want in cases:
            self.check(mods(env) == want, "%s (3.4.1, 5.6)" % desc, "modified %r" %
                       [o.get("modified") for o in env.get("objects", [])])
        obj = self.coll.get_object(xid, version="all")
        self.check_date_headers([obj], "object endpoint carries X-TAXII-Date-Added-First/Last (3.2)")
        m = self.coll.get_manifest(id=xid, version="all")
        recs = m.get("objects", [])
        self.check(len(recs) == 2 and [parse_timestamp(r["version"]) for r in recs] == [p1, p2],
                   "manifest match[version]=all: two records, ascending by date_added (5.3, 3.3)",
                   "records %r" % recs)
        _, objs = self.all_pages(self.coll.get_objects, 100, added_after=self.t0)
        xs = [o for o in objs if o.get("id") == xid]
        self.check(len(objs) == len(self.posted) and len(xs) == 1 and xs[0].get("modified") == v2
                   and xs[0].get("name") == x2["name"],
                   "get objects without match[version] returns only the latest version (3.4.1)",
                   "%d objects, versions of the edited one: %r" % (len(objs), [o.get("modified") for o in xs]))
        self.versioned = (xid, v1, v2)

    def s_delete(self):
        self.need("coll", "posted")
        y = self.posted[1]["id"]
        r = self.coll.delete_object(y)
        self.check(r.status == 200, "delete: DELETE objects/<id>/ answers 200 (5.7)", "HTTP %r" % r.status)
        self.expect_error("delete: the object is then 404 (5.7)", 404, lambda: self.coll.get_object(y))
        self.expect_error("delete: its versions are then 404 (5.8)", 404, lambda: self.coll.object_versions(y))
        env = self.coll.get_objects(id=y)
        man = self.coll.get_manifest(id=y)
        self.check(not env.get("objects") and not man.get("objects"),
                   "delete: neither objects nor manifest return it (5.7)", "still listed")
        if getattr(self, "versioned", None):
            xid, v1, v2 = self.versioned
            self.coll.delete_object(xid, version=v1)
            vs = self.coll.object_versions(xid).get("versions", [])
            self.check(len(vs) == 1 and same_timestamp(vs[0], v2),
                       "delete with match[version]=<v1> removes only that version (5.7)", "versions=%r" % vs)

    def s_status_privacy(self):
        self.need("root", "status_id")
        a = self.args
        if not a.user2:
            self.not_ok("status privacy", "no --user2/--password2 given")
            return
        conn2 = HTTPConnection(a.user2, a.password2, verify=a.verify)
        self.conns.append(conn2)
        s2 = Server(a.url, conn=conn2)
        s2.refresh()
        self.ok("second user %s is authenticated (discovery 200)" % a.user2)
        root2 = ApiRoot(self.root.url, conn=conn2)
        root2.refresh_collections()
        self.ok("second user lists %d collection(s)" % len(root2.collections))
        self.expect_error("status: a user of another organisation gets 404 for this status resource (4.3)", 404,
                          lambda: root2.get_status(self.status_id))
        st = self.root.get_status(self.status_id)
        self.check(st.id == self.status_id, "status: the posting user still reads it (4.3)", "id=%r" % st.id)

    def s_errors(self):
        self.need("root", "coll")
        a = self.args
        raw = HTTPConnection(None, None, verify=a.verify)
        self.conns.append(raw)
        for url, what in ((self.server.url, "discovery"), (self.root.url + "collections/", "collections")):
            r = raw.request("GET", url)
            ok_body, detail = self.error_body_ok(r)
            self.check(r.status == 401 and r.header("WWW-Authenticate") and ok_body,
                       "no credentials: %s answers 401 with WWW-Authenticate (1.6.9)" % what,
                       "HTTP %d, WWW-Authenticate=%r %s" % (r.status, r.header("WWW-Authenticate"), detail))
        bad = HTTPConnection(a.user, a.password + "x", verify=a.verify)
        self.conns.append(bad)
        r = bad.request("GET", self.root.url)
        self.check(r.status == 401 and r.header("WWW-Authenticate"),
                   "wrong password: 401 with WWW-Authenticate (1.6.9)", "HTTP %d" % r.status)
        self.expect_error("unknown collection id: 404 (5.2)", 404,
                          lambda: self.conn.get(self.root.url + "collections/%s/" % uuid.uuid4()))
        self.expect_error("unknown collection: objects 404 (5.4)", 404,
                          lambda: self.conn.get(self.root.url + "collections/%s/objects/" % uuid.uuid4()))
        self.expect_error("unknown object id: 404 (5.6)", 404,
                          lambda: self.coll.get_object("indicator--%s" % uuid.uuid4()))
        self.expect_error("unknown status id: 404 (4.3)", 404, lambda: self.root.get_status(str(uuid.uuid4())))
        self.expect_error("Accept: application/xml is answered 406 (3.1)", 406,
                          lambda: self.conn.get(self.root.url + "collections/", accept="application/xml"))
        self.expect_error("Accept: application/taxii+json;version=1.0 is answered 406 (3.1)", 406,
                          lambda: self.conn.get(self.root.url, accept="application/taxii+json;version=1.0"))
        try:
            r = self.conn.get(self.root.url + "collections/", accept="application/taxii+json")
            self.ok("Accept: application/taxii+json without version is served, not 406 (3.1, 1.6.8.2)")
        except TAXIIServiceException as e:
            self.not_ok("Accept: application/taxii+json without version is served, not 406 (3.1, 1.6.8.2)", str(e))

    def s_content_types(self):
        seen = [r for c in self.conns for r in c.history]
        bad = ["%s %s -> %d %r" % (r.method, r.url, r.status, r.header("Content-Type")) for r in seen
               if not valid_content_type(r.header("Content-Type"), MEDIA_TYPE_TAXII_V21)]
        self.check(seen and not bad, "all %d responses had Content-Type %s (3.1)" % (len(seen), MEDIA_TYPE_TAXII_V21),
                   "%d did not, e.g. %s" % (len(bad), "; ".join(bad[:3])))

    def run(self):
        for name, fn in (("discovery", self.s_discovery), ("API root", self.s_api_root),
                         ("collections", self.s_collections), ("baseline manifest", self.s_baseline),
                         ("add objects", self.s_add), ("read back", self.s_read_back),
                         ("pagination", self.s_pagination), ("match filters", self.s_match),
                         ("manifest", self.s_manifest), ("versions", self.s_versions),
                         ("delete", self.s_delete), ("status privacy", self.s_status_privacy),
                         ("error handling", self.s_errors), ("content types", self.s_content_types)):
            self.section(name, fn)
        print("[  PASSED  ] %d test(s)." % self.passed)
        if self.failed:
            print("[  FAILED  ] %d test(s), listed below:" % len(self.failed))
        return 1 if self.failed else 0


def main(argv=None):
    env = os.environ.get
    p = argparse.ArgumentParser(description="TAXII 2.1 conformance run against a live server")
    p.add_argument("--url", default=env("TAXII_URL"), help="discovery URL, e.g. http://127.0.0.1:8080/taxii2/")
    p.add_argument("--user", default=env("TAXII_USER"))
    p.add_argument("--password", default=env("TAXII_PASSWORD"))
    p.add_argument("--user2", default=env("TAXII_USER2"), help="a user of another organisation")
    p.add_argument("--password2", default=env("TAXII_PASSWORD2"))
    p.add_argument("--collection", default=env("TAXII_COLLECTION"),
                   help="id or alias of the collection to write to (default: the first readable and writable)")
    p.add_argument("--count", type=int, default=250, help="indicators to post (default 250)")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for a status to complete")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    p.add_argument("--cafile", help="CA bundle to verify the server's certificate with")
    a = p.parse_args(argv)
    if not (a.url and a.user and a.password):
        p.error("--url, --user and --password (or TAXII_URL, TAXII_USER, TAXII_PASSWORD) are required")
    if a.count < 10:
        p.error("--count must be at least 10")
    a.url = _ensure_trailing_slash(a.url)
    a.verify = False if a.insecure else (a.cafile or True)
    random.seed()
    return Run(a).run()


if __name__ == "__main__":
    sys.exit(main())
