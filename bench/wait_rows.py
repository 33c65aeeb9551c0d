#!/usr/bin/env python3
"""wait_rows.py — bench/run.sh's completion poll: returns when a sink has
put every row of the topic into the table.

    wait_rows.py URL DB TABLE --rows N [--interval 0.1] [--timeout 600]
    wait_rows.py URL DB TABLE --sentinels COLUMN BASE COUNT [...]

--rows (plain MergeTree targets): every INTERVAL s it asks

    SELECT sum(rows) FROM system.parts WHERE active AND database = DB AND table = TABLE

which reads part metadata only, where `SELECT count() FROM TABLE` on 18.16
reads a column of every row (bench/README.md has both costs). A merge
replaces its source parts by the merged part atomically, and a plain
MergeTree merge keeps every row, so the sum equals count() whenever no insert
is half done. Once the sum reaches N it checks with an exact `SELECT count()`:
equal to N is done (exit 0); more than N is reported and also ends the wait
(exit 0, as before); fewer (should not happen) goes on polling.

--sentinels (ReplacingMergeTree targets, where merges drop replaced rows, so
neither count() nor the parts' row sum is the number of rows inserted):
every INTERVAL s it asks

    SELECT count(), max(max_block_number) FROM system.parts
    WHERE active AND database = DB AND table = TABLE

and only when that changed since the last poll (every insert raises the
block number, a merge changes the count) it runs

    SELECT uniqExact(COLUMN) FROM DB.TABLE WHERE COLUMN >= BASE

(a primary-key range: an index look-up and a granule per part, about twice
the server CPU of the system.parts poll), until COUNT distinct sentinel keys
are there. The generator puts one sentinel last in
each partition, and every sink here inserts a partition's messages in order,
so the last sentinel visible means every row is.

All polls go over one keep-alive HTTP connection (a new connection per poll
costs the server more, see bench/README.md). Exit 1 on timeout. Prints
"polls=P sentinel_queries=Q|count_queries=Q last=V" to stderr (run.sh
appends it to its WORK/wait.log).
"""
import argparse
import http.client
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("db")
    ap.add_argument("table")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--sentinels", nargs=3, metavar=("COLUMN", "BASE", "COUNT"))
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    if (a.rows is None) == (a.sentinels is None):
        ap.error("give one of --rows and --sentinels")

    u = urllib.parse.urlparse(a.url)
    conn = None

    def query(sql):
        nonlocal conn
        for attempt in (0, 1):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                conn.request("POST", "/", body=sql.encode())
                r = conn.getresponse()
                body = r.read().decode().strip()
                if r.status != 200:
                    print(f"wait_rows: {r.status} {body[:200]}", file=sys.stderr)
                    return None
                return body
            except (OSError, http.client.HTTPException):
                conn = None          # the server closed it: one new connection
        return None

    def num(body):
        try:
            return int(body)
        except (TypeError, ValueError):
            return 0

    if a.rows is not None:
        poll_sql = (f"SELECT sum(rows) FROM system.parts WHERE active AND database = '{a.db}' "
                    f"AND table = '{a.table}'")
        target = a.rows
    else:
        col, base, target = a.sentinels[0], int(a.sentinels[1]), int(a.sentinels[2])
        sig_sql = (f"SELECT count(), max(max_block_number) FROM system.parts WHERE active "
                   f"AND database = '{a.db}' AND table = '{a.table}'")
        poll_sql = f"SELECT uniqExact({col}) FROM {a.db}.{a.table} WHERE {col} >= {base}"

    deadline = time.time() + a.timeout
    polls, checks, counts, v, sig = 0, 0, 0, 0, None
    while True:
        polls += 1
        if a.rows is None:
            s = query(sig_sql)
            if s is not None and s != sig:
                sig = s
                v = num(query(poll_sql))
                checks += 1
        else:
            v = num(query(poll_sql))
        if v >= target:
            if a.rows is None:
                break
            c = num(query(f"SELECT count() FROM {a.db}.{a.table}"))
            counts += 1
            if c == target:
                break
            if c > target:
                print(f"wait_rows: {a.table} has {c} rows > {target}", file=sys.stderr)
                v = c
                break
            v = c                  # parts said N, count() says fewer: go on
        if time.time() >= deadline:
            print(f"wait_rows: timeout: {a.table} at {v} of {target} (polls={polls})",
                  file=sys.stderr)
            sys.exit(1)
        time.sleep(a.interval)
    print(f"polls={polls}" + (f" sentinel_queries={checks}" if a.rows is None
                              else f" count_queries={counts}") + f" last={v}", file=sys.stderr)


if __name__ == "__main__":
    main()
