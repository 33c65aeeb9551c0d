#!/usr/bin/env python3
"""
bless.py — writes the golden files of tests/golden from what chute encodes
NOW. Use it only after reviewing the output against docs/types.md:

  .work/venv/bin/python tests/golden/bless.py [CASE...]      (default: all)

For each case: runs rowbinary_golden, writes expected/<case>.bin and
expected/<case>.errors, decodes the .bin with chdb and
  - writes expected/<case>.json if it does not exist yet (REVIEW it), or
  - if it exists (reviewed or hand-written), compares and reports a
    difference instead of overwriting (pass --json to overwrite).
Cases whose types chute refuses are reported and left alone.
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import golden_common as g  # noqa: E402


def main(argv):
    force_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")] or g.case_names()
    status = 0
    with tempfile.TemporaryDirectory() as td:
        for name in names:
            case = g.load_case(name)
            enc = g.encode(case, Path(td) / f"{name}.bin")
            if enc.rc == g.EXIT_UNSUPPORTED:
                print(f"{name}: skipped, {enc.stdout.strip()}")
                continue
            case.bin.write_bytes(enc.data)
            errs = "".join(l + "\n" for l in enc.report)
            case.errors.write_text(errs)
            decoded = g.chdb_decode(case.bin, case)
            if force_json or not case.json.exists():
                case.json.write_text(decoded)
                print(f"{name}: wrote .bin ({len(enc.data)} bytes), .errors, .json -- REVIEW .json")
            elif case.json.read_text() != decoded:
                print(f"{name}: wrote .bin/.errors; decoded values DIFFER from {case.json.name}:")
                print(decoded)
                status = 1
            else:
                print(f"{name}: wrote .bin ({len(enc.data)} bytes), .errors; .json unchanged")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
