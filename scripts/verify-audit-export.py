#!/usr/bin/env python3
"""Recomputes the hash chain of a Tokenmint audit export (tokenmint audit export) without any
Tokenmint code, as docs/audit.md describes it. Checks the links and hashes only; signed
checkpoints are checked by `tokenmint audit verify --file`. Exits 0 when intact, 2 otherwise."""
import base64
import hashlib
import json
import sys


def record_hash(r):
    line = json.dumps(
        ["tokenmint-audit-v1", r["tenant_id"], r["seq"], r["occurred_at_ms"], r["type"],
         r["actor"], r["client_id"], r["prev_hash"]],
        separators=(",", ":"), ensure_ascii=False)
    data = json.dumps(r["data"], separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256((line + "\n" + data).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def main(path):
    from datetime import datetime
    header, records = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            value = json.loads(line)
            if "header" in value:
                header = value["header"]
            elif "record" in value:
                r = value["record"]
                when = datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00"))
                r["occurred_at_ms"] = round(when.timestamp() * 1000)
                records.append(r)
    prev = header["anchor"]
    broken = 0
    for r in sorted(records, key=lambda r: r["seq"]):
        if r["seq"] != prev["seq"] + 1 or r["prev_hash"] != prev["hash"] or record_hash(r) != r["hash"]:
            print(f"record #{r['seq']} does not follow #{prev['seq']} or does not match its hash")
            broken += 1
        prev = {"seq": r["seq"], "hash": r["hash"]}
    print(f"{len(records)} records checked, {broken} broken")
    return 2 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
