#!/usr/bin/env python3
"""Independent verifier for Waarborg's audit ledger: Python 3 standard library only.

A supervisor does not have to trust Waarborg's own `waarborg audit verify`. This script
re-implements, from the public specifications alone, everything needed to check the
ledger's outputs:

* Ed25519 signature verification (RFC 8032, section 5.1.7),
* C2SP signed notes and tlog-checkpoint bodies,
* RFC 9162 Merkle tree hashing, inclusion proofs (2.1.3.2) and consistency proofs (2.1.4.2),
* the ledger's file framing (length, CRC-32, payload), to re-derive the whole tree.

Usage (VKEY is the ledger's public key, `name+keyid+base64`, obtained independently):

    waarborg_verify.py checkpoint  --key VKEY CHECKPOINT_FILE
    waarborg_verify.py inclusion   --key VKEY PROOF_JSON      # from `waarborg audit prove --json`
    waarborg_verify.py consistency --key VKEY PROOF_JSON      # from `waarborg audit consistency --json`
    waarborg_verify.py ledger      --key VKEY LEDGER_DIR      # entries.log + checkpoints.log
    waarborg_verify.py report      --key VKEY REPORT_JSON     # from `waarborg case report N --json`

Exit status 0 when everything verifies, 1 when something does not (the reason is printed),
2 on usage errors. See docs/ledger.md for the formats and a worked example.
"""

import argparse
import base64
import hashlib
import json
import struct
import sys
import zlib

# ---------------------------------------------------------------- Ed25519 (RFC 8032)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _point_add(a, b):
    # Extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _scalar_mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        s >>= 1
    return result


def _point_equal(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(b):
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


_BY = 4 * pow(5, P - 2, P) % P
_BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def ed25519_verify(public, message, signature):
    """True when `signature` is a valid Ed25519 signature of `message` by `public`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    # [8][S]B = [8]R + [8][k]A (the cofactored equation; accepts everything the strict one does).
    left = _scalar_mul(8 * s, _BASE)
    right = _scalar_mul(8, _point_add(r, _scalar_mul(k, a)))
    return _point_equal(left, right)


# ---------------------------------------------------------------- signed notes (C2SP)


class Failure(Exception):
    """Something did not verify."""


def parse_verifier_key(vkey):
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise Failure(f"malformed key {vkey!r}: expected name+keyid+base64")
    name, key_id_hex, encoded = parts
    raw = base64.b64decode(encoded, validate=True)
    if len(raw) != 33 or raw[0] != 0x01:
        raise Failure("the key is not an Ed25519 note key (0x01 followed by 32 bytes)")
    public = raw[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_id.hex() != key_id_hex.lower():
        raise Failure(f"the key's ID {key_id_hex} does not match its name and public key")
    return name, key_id, public


def open_note(note, vkey):
    """Returns the note's signed text if `vkey` signed it, else raises Failure."""
    name, key_id, public = parse_verifier_key(vkey)
    split = note.rfind("\n\n")
    if split < 0:
        raise Failure("the note has no blank line between text and signatures")
    text = note[: split + 1]
    for line in note[split + 2 :].splitlines():
        if not line.startswith("\u2014 "):
            raise Failure(f"malformed signature line {line!r}")
        signer, _, encoded = line[2:].rpartition(" ")
        if signer != name:
            continue  # signatures by other keys (witnesses, cosigners) are ignored
        blob = base64.b64decode(encoded, validate=True)
        if blob[:4] == key_id and ed25519_verify(public, text.encode(), blob[4:]):
            return text
    raise Failure(f"no valid signature by {name} on the note")


def open_checkpoint(note, vkey):
    """(origin, size, root) of a checkpoint signed by `vkey`."""
    lines = open_note(note, vkey).split("\n")
    if len(lines) < 4:
        raise Failure("a checkpoint body has at least origin, size and root lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise Failure(f"tree size {size!r} is not a decimal number")
    root_bytes = base64.b64decode(root, validate=True)
    if len(root_bytes) != 32:
        raise Failure("the root hash is not 32 bytes")
    return origin, int(size), root_bytes


# ---------------------------------------------------------------- RFC 9162 Merkle trees


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves):
    """Merkle Tree Hash of a list of leaf hashes (RFC 9162 2.1.1), iteratively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: first_root is the first node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# ---------------------------------------------------------------- ledger files


def read_frames(path):
    """Payloads of `length u32 LE ‖ crc32 u32 LE ‖ payload` records; a torn tail is reported."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise Failure(f"{path}: {len(data) - pos} bytes of a torn record at the end")
        length, crc = struct.unpack_from("<II", data, pos)
        payload = data[pos + 8 : pos + 8 + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            raise Failure(f"{path}: record {len(out)} at byte {pos} is damaged or torn")
        out.append(payload)
        pos += 8 + length
    return out


def verify_ledger(directory, vkey):
    entries = read_frames(f"{directory}/entries.log")
    checkpoints = [c.decode() for c in read_frames(f"{directory}/checkpoints.log")]
    origin = None
    # The key that signs checkpoints changes with key rotations; the trusted key must be the
    # one in the genesis entry, and every later key must be announced by its predecessor.
    keys_by_size = []  # (first size at which the key is in force, vkey)
    leaves, roots = [], [hashlib.sha256(b"").digest()]
    previous_time = ""
    for i, raw in enumerate(entries):
        entry = json.loads(raw)
        if entry.get("index") != i:
            raise Failure(f"entry {i} says it is entry {entry.get('index')}")
        # Times only move forward (RFC 3339 UTC with milliseconds compares as text).
        if entry["time"] < previous_time:
            raise Failure(f"entry {i} is timed {entry['time']}, before entry {i - 1} ({previous_time}): the clock went back")
        previous_time = entry["time"]
        if base64.b64decode(entry["prev_root"]) != roots[-1]:
            raise Failure(f"entry {i}: prev_root is not the root of the {i} entries before it")
        event = entry["event"]
        if event["kind"] == "genesis":
            if i != 0:
                raise Failure(f"entry {i}: a genesis entry after entry 0")
            if event["key"] != vkey:
                raise Failure(f"the ledger was started with key {event['key']}, not the key you trust")
            origin = event["origin"]
            keys_by_size.append((0, vkey))
        elif event["kind"] == "key_rotation":
            old = keys_by_size[-1][1]
            _, _, old_public = parse_verifier_key(old)
            message = f"waarborg ledger key rotation\n{origin}\n{event['new_key']}\n".encode()
            if not ed25519_verify(old_public, message, base64.b64decode(event["signature"])):
                raise Failure(f"entry {i}: the key rotation is not signed by the key in force")
            keys_by_size.append((i + 1, event["new_key"]))
        leaves.append(leaf_hash(raw))
        roots.append(tree_root(leaves))
    if not keys_by_size:
        raise Failure("the ledger has no genesis entry")
    for c, note in enumerate(checkpoints):
        size = int(note.split("\n")[1])
        if size > len(entries):
            raise Failure(f"checkpoint {c} covers {size} entries, the ledger has {len(entries)}")
        key = [k for first, k in keys_by_size if first <= size][-1]
        signed_origin, size, root = open_checkpoint(note, key)
        if signed_origin != origin:
            raise Failure(f"checkpoint {c} is for origin {signed_origin!r}, not {origin!r}")
        if root != roots[size]:
            raise Failure(f"checkpoint {c} (size {size}) does not match the entries")
    return len(entries), len(checkpoints), roots[-1]


# ---------------------------------------------------------------- command line


def b64(s):
    return base64.b64decode(s, validate=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["checkpoint", "inclusion", "consistency", "ledger", "report"])
    parser.add_argument("--key", required=True, help="the ledger's public key, name+keyid+base64")
    parser.add_argument("path")
    args = parser.parse_args(argv)
    try:
        if args.what == "ledger":
            n, c, root = verify_ledger(args.path, args.key)
            print(f"OK: {n} entries re-derived, {c} checkpoints verified, root {base64.b64encode(root).decode()}")
            return 0
        with open(args.path, encoding="utf-8") as f:
            text = f.read()
        if args.what == "checkpoint":
            origin, size, root = open_checkpoint(text, args.key)
            print(f"OK: checkpoint of {origin} at size {size}, root {base64.b64encode(root).decode()}")
            return 0
        doc = json.loads(text)
        if args.what == "report":
            # A case report: every ledger entry it cites is in the tree its checkpoint signs,
            # and names the report's case.
            ledger, case = doc["ledger"], doc["case"]["case_number"]
            origin, size, root = open_checkpoint(ledger["checkpoint"], args.key)
            if size != ledger["tree_size"]:
                raise Failure("the report's tree size differs from its checkpoint's")
            for item in ledger["entries"]:
                entry = item["entry"].encode()
                event = json.loads(entry)
                if event["index"] != item["index"]:
                    raise Failure(f"entry {item['index']}: its own index differs")
                named = event["event"].get("case_authorisation") == case or (event["event"].get("about") or {}).get("case_number") == case
                if not named:
                    raise Failure(f"entry {item['index']} does not name case {case}")
                proof = [b64(h) for h in item["inclusion_proof"]]
                if not verify_inclusion(item["index"], size, leaf_hash(entry), proof, root):
                    raise Failure(f"entry {item['index']} is not in the tree of the checkpoint")
            print(f"OK: {len(ledger['entries'])} entries of case {case} are in {origin} at size {size}")
            return 0
        origin, size, root = open_checkpoint(doc["checkpoint"], args.key)
        if args.what == "inclusion":
            entry = doc["entry"].encode()
            if json.loads(entry)["index"] != doc["index"]:
                raise Failure("the entry's own index differs from the proof's index")
            if size != doc["tree_size"]:
                raise Failure("the proof is for another tree size than the checkpoint")
            proof = [b64(h) for h in doc["inclusion_proof"]]
            if not verify_inclusion(doc["index"], size, leaf_hash(entry), proof, root):
                raise Failure(f"entry {doc['index']} is not in the tree of the checkpoint")
            print(f"OK: entry {doc['index']} is in {origin} at size {size}")
        else:
            if size != doc["to"] or root != b64(doc["to_root"]):
                raise Failure("the proof ends at another tree than the checkpoint")
            proof = [b64(h) for h in doc["consistency_proof"]]
            if not verify_consistency(doc["from"], size, b64(doc["from_root"]), root, proof):
                raise Failure(f"the tree at size {doc['from']} is not a prefix of the checkpoint's")
            print(f"OK: {origin} at size {doc['from']} is a prefix of size {size}")
        return 0
    except Failure as e:
        print(f"FAILED: {e}")
        return 1
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        print(f"FAILED: unreadable input: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
