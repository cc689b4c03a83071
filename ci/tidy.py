#!/usr/bin/env python3
"""clang-tidy over the venue's translation units, with a cache of clean results (ci/lint runs it).

    python3 ci/tidy.py [--verdicts FILE [--record]] BUILD_DIR FILE...

Each file is checked with `clang-tidy-16 -p BUILD_DIR` (the .clang-tidy files decide the checks), two
at a time per core. A file that comes out clean is remembered under a key: the hash of its preprocessed
text (the repository path replaced, so clones share it), the .clang-tidy files of its folder and the
folders above it, and clang-tidy's version. A later run skips a file whose key is remembered: same code, same checks, same verdict. Only
clean verdicts are cached, so a finding is reported every time until it is fixed. The cache lives in
$VENUE_CACHE/clang-tidy (default ~/.cache/venue/clang-tidy); VENUE_TIDY_NO_CACHE=1 ignores it.

--verdicts FILE (ci/tidy-verdicts.txt, in the repository): clean verdicts that travel with the code, one
"KEY PATH" a line. A key there counts as clean like one in the cache, so a fresh clone on a fresh
machine (CI) checks only the files whose preprocessed text changed since someone's clean run, instead
of every file (minutes on two cores). --record rewrites FILE with the keys of this run's files when
every file is clean (ci/lint does that outside CI; commit the file with the change). A stale or missing
key only costs time: the file is checked again. The full run without any verdicts is the workflow's
nightly job (VENUE_TIDY_NO_CACHE=1).

A second key needs no preprocessing (the first costs about a minute of both cores for every file): the
hash of the file, its compile command, the same .clang-tidy files and clang-tidy version, and the text
of every file that any object of the built tree containing it read (ninja's dependency records of
BUILD_DIR, or of its parent when BUILD_DIR is the configure-only sources/ tree of the coverage build:
a superset of what the file can include, system headers too). Both keys are recorded and either counts
as clean; the first one is computed only when the second is not known or there are no dependency
records (a tree not built yet).

Exit 0 when every file is clean, 1 when clang-tidy reported anything, 2 for bad usage.
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time

TIDY = "clang-tidy-16"


def main() -> int:
    args = sys.argv[1:]
    verdicts_file, record = None, False
    while args and args[0].startswith("--"):
        if args[0] == "--verdicts" and len(args) > 1:
            verdicts_file, args = args[1], args[2:]
        elif args[0] == "--record":
            record, args = True, args[1:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build_dir, files = args[0], args[1:]
    root = os.getcwd()
    started = time.monotonic()
    with open(os.path.join(build_dir, "compile_commands.json"), encoding="utf-8") as f:
        commands = {os.path.realpath(e["file"]): e for e in json.load(f)}
    cache_dir = os.path.join(os.environ.get("VENUE_CACHE", os.path.expanduser("~/.cache/venue")), "clang-tidy")
    use_cache = os.environ.get("VENUE_TIDY_NO_CACHE") != "1"
    os.makedirs(cache_dir, exist_ok=True)
    committed = set()
    if verdicts_file and use_cache and os.path.exists(verdicts_file):
        with open(verdicts_file, encoding="utf-8") as f:
            committed = {line.split()[0] for line in f if line.strip() and not line.startswith("#")}

    base = hashlib.sha256()
    base.update(subprocess.run([TIDY, "--version"], capture_output=True, text=True, check=True).stdout.encode())
    # The .clang-tidy files by folder: a file's key has those of its folder and every folder above it
    # (the ones clang-tidy reads for it), so changing tests/.clang-tidy re-checks the tests only.
    configs = {}
    for dirpath, _, names in os.walk(root):
        if "/." in dirpath[len(root):] or dirpath.startswith(os.path.join(root, "build")):
            continue
        if ".clang-tidy" in names:
            with open(os.path.join(dirpath, ".clang-tidy"), "rb") as f:
                configs[os.path.relpath(dirpath, root)] = f.read()

    def configs_of(path: str) -> bytes:
        out = b""
        d = os.path.dirname(os.path.relpath(path, root))
        while True:
            key_dir = d or "."
            if key_dir in configs:
                out += key_dir.encode() + b"\0" + configs[key_dir]
            if not d:
                return out
            d = os.path.dirname(d)

    # ninja's dependency records: which files each object of a built tree read.
    deps_dir = os.environ.get("VENUE_TIDY_DEPS_DIR") or next(
        (d for d in (build_dir, os.path.dirname(os.path.normpath(build_dir)))
         if d and os.path.exists(os.path.join(d, ".ninja_deps"))), None)
    reads_of = {}  # source's realpath -> set of realpaths that objects containing it read
    if deps_dir:
        out = subprocess.run(["ninja", "-C", deps_dir, "-t", "deps"], capture_output=True, text=True)
        if out.returncode == 0:
            current = []

            def close(files):
                fileset = set(files)
                for p in files:
                    if p.endswith((".cpp", ".cc")):
                        reads_of.setdefault(p, set()).update(fileset)

            for line in out.stdout.splitlines():
                if line.startswith("    "):
                    current.append(os.path.realpath(os.path.join(deps_dir, line.strip())))
                elif line.strip():
                    close(current)
                    current = []
            close(current)
    content_hash = {}

    def file_hash(p: str) -> bytes:
        h = content_hash.get(p)
        if h is None:
            try:
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).digest()
            except OSError:
                h = b"missing"
            content_hash[p] = h
        return h

    def normal(p: str) -> str:
        return "@ROOT@/" + os.path.relpath(p, root) if p.startswith(root + os.sep) else p

    def fast_key(path: str):
        real = os.path.realpath(path)
        entry = commands.get(real)
        reads = reads_of.get(real)
        if entry is None or not reads:
            return None
        args = entry.get("arguments") or shlex.split(entry["command"])
        h = base.copy()
        h.update(b"fast\0")
        h.update(configs_of(path))
        h.update(os.path.relpath(path, root).encode())
        h.update("\0".join(a for a in args).replace(root, "@ROOT@").encode())
        h.update(file_hash(real))
        for p in sorted(reads | {real}):
            h.update(normal(p).encode() + b"\0" + file_hash(p))
        return "f" + h.hexdigest()

    def known(k):
        return k is not None and (k in committed or os.path.exists(os.path.join(cache_dir, k)))

    def remember(k, path):
        if k is not None:
            with open(os.path.join(cache_dir, k), "w", encoding="utf-8") as f:
                f.write(path + "\n")

    def key(path: str):
        entry = commands.get(os.path.realpath(path))
        if entry is None:
            return None  # not compiled in this build (e.g. the fuzz target): clang-tidy reports it
        args = entry.get("arguments") or shlex.split(entry["command"])
        out = []
        skip = False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MT", "-MQ"):
                skip = True
                continue
            if a in ("-c", "-MD", "-MMD"):
                continue
            out.append(a)
        pre = subprocess.run(out + ["-E", "-o", "-"], cwd=entry["directory"], capture_output=True)
        if pre.returncode != 0:
            return None
        h = base.copy()
        h.update(configs_of(path))
        h.update(os.path.relpath(path, root).encode())
        h.update(pre.stdout.replace(root.encode(), b"@ROOT@"))
        return h.hexdigest()

    def check(path: str):
        fk = fast_key(path) if (use_cache or record) else None
        if use_cache and not record and known(fk):
            return path, True, "", True, [fk]
        k = key(path) if (use_cache or record) else None
        keys_of = [x for x in (k, fk) if x is not None]
        if use_cache and known(k):
            remember(fk, path)
            return path, True, "", True, keys_of
        r = subprocess.run([TIDY, "-p", build_dir, "--quiet", os.path.join(root, path)], capture_output=True, text=True)
        findings = [l for l in (r.stdout + r.stderr).splitlines() if ": warning:" in l or ": error:" in l]
        clean = r.returncode == 0 and not findings
        if clean:
            for x in keys_of:
                remember(x, path)
        return path, clean, r.stdout + r.stderr, False, keys_of

    failed = []
    cached = 0
    keys = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, clean, output, from_cache, k in pool.map(check, files):
            cached += from_cache
            if not clean:
                failed.append(path)
                sys.stdout.write(output)
            elif k:
                keys[path] = k
    if record and verdicts_file and not failed:
        with open(verdicts_file, "w", encoding="utf-8") as f:
            f.write("# Clean clang-tidy verdicts: KEY PATH (ci/tidy.py --verdicts; rewritten by ci/lint; keys starting\n"
                    "# with f need no preprocessing, see ci/tidy.py).\n")
            for path in sorted(keys):
                for k in keys[path]:
                    f.write(f"{k} {path}\n")
    print(f"ci/tidy: {len(files)} files, {cached} clean from the cache, {len(failed)} with findings, "
          f"{time.monotonic() - started:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
