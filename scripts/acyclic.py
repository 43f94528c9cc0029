#!/usr/bin/env python3
"""Finds import circles: in each Rust crate of the workspace between its modules, and in
the C client (platform/linux-client) between its headers. Prints every circle with the
uses that form it (file:line) and exits 1 when there is one.

Rust. A module is a file (lib.rs, main.rs and mod.rs name their folder's module) or an
inline `mod x { ... }`. An edge goes from a module to the module a path names: the
longest prefix of the path that is a module (an item counts as the module it is in; a
name a module only imports, `pub use` or not, counts as the module the import names). The
paths are those of `use` declarations and of code, outside comments and literals, that
start with `crate::`, `super::`, `self::` or the name of one of the module's own child
modules (Rust resolves `child::x` as `self::child::x`, so both spellings count alike;
see BARE_CHILD_PATHS). Not edges: a parent declaring a child (`mod x;`), and a
`#[cfg(test)]` module using its parent.

C. A header and its implementation files form one unit: `X.h` is implemented by `X.c`
and by every .c file that defines a function or variable `X.h` declares; headers that
one .c file implements together are one unit. Unit A depends
on unit B when A's header or one of A's implementation files has `#include "B.h"`. An
include is looked up beside the including file, then in every folder of the client.

The parsers are checked on a small tree with known circles before every run.

Usage: scripts/acyclic.py [--self-test]
"""

import os
import re
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CRATES = [
    ("of-tree", "of-tree/src/lib.rs"),
    ("rtas", "rtas/src/lib.rs"),
    ("papr-abi", "rtas/abi/src/lib.rs"),
    ("platform", "platform/src/lib.rs"),
    ("pseries-sim (lib)", "src/lib.rs"),
    ("pseries-sim (bin)", "src/main.rs"),
]
C_CLIENTS = ["platform/linux-client", "platform/linux-tree", "platform/linux-runner"]
# `child::x` in a module is `self::child::x` to Rust, so it counts alike. False counts only
# paths spelled from crate/self/super, and misses e.g. a mod.rs that re-exports a child
# (`pub use read::read;`) whose code uses the mod.rs's items (`super::FDT_NOP`).
BARE_CHILD_PATHS = True

# ---- Rust: tokens ----------------------------------------------------------------

RUST_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<line_comment>//[^\n]*)
      | (?P<block_comment>/\*)
      | (?P<raw_str>b?r(?P<hashes>\#*)")
      | (?P<str>[bc]?")
      | (?P<char>b?'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])')
      | (?P<lifetime>'[A-Za-z_][A-Za-z0-9_]*)
      | (?P<ident>(?:r\#)?[A-Za-z_][A-Za-z0-9_]*)
      | (?P<num>[0-9][0-9A-Za-z_]*)
      | (?P<path_sep>::)
      | (?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)


def rust_tokens(text):
    """(kind, value, line) for every token outside comments; literals keep their text."""
    out, pos, line = [], 0, 1
    while pos < len(text):
        m = RUST_TOKEN.match(text, pos)
        kind = m.lastgroup if m.lastgroup != "hashes" else "raw_str"
        end = m.end()
        if m.group("block_comment"):
            depth, end = 1, m.end()
            while depth and end < len(text):
                if text.startswith("/*", end):
                    depth, end = depth + 1, end + 2
                elif text.startswith("*/", end):
                    depth, end = depth - 1, end + 2
                else:
                    end += 1
        elif m.group("raw_str"):
            close = '"' + m.group("hashes")
            end = text.find(close, end)
            end = len(text) if end < 0 else end + len(close)
        elif m.group("str"):
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            end += 1
        value = text[pos:end]
        if kind in ("raw_str", "str", "char", "num"):
            out.append(("lit", value, line))
        elif kind in ("ident", "path_sep", "punct", "lifetime"):
            out.append((kind, value.removeprefix("r#"), line))
        line += value.count("\n")
        pos = end
    return out


# ---- Rust: modules -----------------------------------------------------------------


class Module:
    """One module: where it is, what it declares, imports and uses."""

    def __init__(self, name, file, parent, test):
        self.name, self.file, self.parent, self.test = name, file, parent, test
        self.children = {}  # name -> Module
        self.defined = set()  # item names defined at module level
        self.imports = {}  # name -> path segments of the `use` that brings it
        self.globs = []  # path segments of each `use x::*`
        self.paths = []  # (path segments, line)

    def label(self, root):
        rel = os.path.relpath(self.file, root)
        inline = self.name.split("::")[self.file_depth :] if self.name else []
        return rel + "".join("::" + p for p in inline) if inline else rel


ITEM_KEYWORDS = {"fn", "struct", "enum", "const", "static", "type", "trait", "union"}


def child_file(decl_file, decl_inline, name, attrs):
    """The file of `mod name;` declared in decl_file (inside inline modules decl_inline)."""
    here = os.path.dirname(decl_file)
    if "path" in attrs:
        return os.path.join(here, *decl_inline, attrs["path"])
    base = os.path.basename(decl_file)
    if base not in ("lib.rs", "main.rs", "mod.rs"):
        here = os.path.join(here, os.path.splitext(base)[0])
    here = os.path.join(here, *decl_inline)
    flat = os.path.join(here, name + ".rs")
    return flat if os.path.exists(flat) else os.path.join(here, name, "mod.rs")


def parse_attr(toks, i):
    """An attribute starting at toks[i] == '#': (end index, {'test': bool, 'path': str})."""
    j = i + 1 + (toks[i + 1][1] == "!")
    depth, start = 0, j
    while True:
        depth += {"[": 1, "]": -1}.get(toks[j][1], 0)
        j += 1
        if depth == 0:
            break
    body = [t[1] for t in toks[start + 1 : j - 1]]
    attrs = {}
    if toks[i + 1][1] == "!":
        return j, attrs
    if body == ["cfg", "(", "test", ")"]:
        attrs["test"] = True
    if len(body) == 3 and body[:2] == ["path", "="]:
        attrs["path"] = body[2][body[2].index('"') + 1 : -1]
    return j, attrs


def parse_use_tree(toks, i, prefix, leaves):
    """Parses a use tree at toks[i]; appends (segments, alias or None for a glob, line)."""
    segs = list(prefix)
    while True:
        kind, val, line = toks[i]
        if val == "{":
            i += 1
            while toks[i][1] != "}":
                i = parse_use_tree(toks, i, segs, leaves)
                if toks[i][1] == ",":
                    i += 1
            return i + 1
        if val == "*":
            leaves.append((segs, None, line))
            return i + 1
        if kind == "path_sep":
            segs = segs or ["::"]
            i += 1
            continue
        segs = segs + [val] if val != "self" or not segs else segs
        i += 1
        if toks[i][1] == "as":
            leaves.append((segs, toks[i + 1][1], line))
            return i + 2
        if toks[i][0] != "path_sep":
            leaves.append((segs, segs[-1], line))
            return i


def parse_crate(root_file):
    """Every module of the crate rooted at root_file, by name ('' for the root)."""
    modules = {}

    def parse_file(file, name, parent, test):
        with open(file, encoding="utf-8") as f:
            toks = rust_tokens(f.read()) + [("eof", "", 0)]
        mod = new_module(name, file, parent, test)
        mod.file_depth = len(name.split("::")) if name else 0
        scan(toks, 0, mod, [])

    def new_module(name, file, parent, test):
        mod = Module(name, file, parent, test)
        mod.file_depth = parent.file_depth if parent else 0
        modules[name] = mod
        if parent:
            parent.children[name.rsplit("::", 1)[-1]] = mod
        return mod

    def scan(toks, i, mod, inline):
        """Scans mod's tokens from i to its closing brace (or the end); returns after it."""
        depth, attrs = 0, {}
        while toks[i][0] != "eof":
            kind, val, line = toks[i]
            if val == "#" and toks[i + 1][1] in ("[", "!"):
                i, a = parse_attr(toks, i)
                attrs.update(a)
                continue
            if val == "pub" and toks[i + 1][1] == "(" and toks[i + 2][1] == "in":
                while toks[i][1] != ")":
                    i += 1
                i += 1
                continue
            if val == "mod" and kind == "ident" and toks[i + 1][0] == "ident":
                cname = toks[i + 1][1]
                full = f"{mod.name}::{cname}" if mod.name else cname
                test = mod.test or attrs.get("test", False)
                if toks[i + 2][1] == ";":
                    path = child_file(mod.file, inline, cname, attrs)
                    parse_file(path, full, mod, test)
                    i += 3
                else:
                    child = new_module(full, mod.file, mod, test)
                    i = scan(toks, i + 3, child, inline + [cname])
                attrs = {}
                continue
            if val == "use" and kind == "ident":
                leaves = []
                i = parse_use_tree(toks, i + 1, [], leaves)
                for segs, alias, ln in leaves:
                    mod.paths.append((segs, ln))
                    if depth == 0 and alias is None:
                        mod.globs.append(segs)
                    elif depth == 0 and alias != "_":
                        mod.imports[alias] = segs
                attrs = {}
                continue
            if val in ITEM_KEYWORDS and depth == 0 and toks[i + 1][0] == "ident":
                mod.defined.add(toks[i + 1][1])
            if val == "macro_rules" and toks[i + 2][0] == "ident":
                mod.defined.add(toks[i + 2][1])
            if kind == "ident" and toks[i + 1][0] == "path_sep" and toks[i + 2][0] == "ident":
                prev = toks[i - 1] if i else ("", "", 0)
                if prev[0] != "path_sep" and prev[1] != ".":
                    segs, j = [val], i + 1
                    while toks[j][0] == "path_sep" and toks[j + 1][0] == "ident":
                        segs.append(toks[j + 1][1])
                        j += 2
                    mod.paths.append((segs, line))
                    i = j
                    continue
            if val in "{[(":
                depth += 1
            elif val in "}])":
                depth -= 1
                if depth < 0:
                    return i + 1
            if val in (";", "{", "}"):
                attrs = {}
            i += 1
        return i

    parse_file(root_file, "", None, False)
    return modules


def anchor(mod, segs):
    """Where a path starts: (module, remaining segments), or None outside the crate."""
    first = segs[0]
    if first == "crate":
        while mod.parent:
            mod = mod.parent
        return mod, segs[1:]
    if first in ("self", "super"):
        while segs and segs[0] in ("self", "super"):
            if segs[0] == "super":
                mod = mod.parent
                if mod is None:
                    return None
            segs = segs[1:]
        return mod, segs
    if first in mod.children:
        return mod, segs
    return None


def resolve(mod, segs, seen=None):
    """The module a path written in mod names, or None when it is outside the crate."""
    seen = seen or set()
    start = anchor(mod, segs)
    if start is None:
        return None
    cur, rest = start
    while rest and rest[0] in cur.children:
        cur, rest = cur.children[rest[0]], rest[1:]
    if not rest or rest[0] in cur.defined or (cur.name, rest[0]) in seen:
        return cur
    seen.add((cur.name, rest[0]))
    via = cur.imports.get(rest[0])
    if via is not None:
        return resolve(cur, via + rest[1:], seen) or cur
    for glob in cur.globs:
        target = resolve(cur, glob, seen)
        if target and (rest[0] in target.defined or rest[0] in target.imports):
            return resolve(target, ["self"] + rest, seen) or cur
    return cur


def rust_edges(modules, bare=BARE_CHILD_PATHS):
    """{(from, to): [(file, line) of each use]} over a crate's modules."""
    edges = {}
    for mod in modules.values():
        for segs, line in mod.paths:
            spelled = segs[0] in ("crate", "self", "super")
            if not spelled and not (bare and segs[0] in mod.children):
                continue
            target = resolve(mod, segs)
            if target is None or target is mod:
                continue
            if mod.test and target is mod.parent:
                continue
            edges.setdefault((mod.name, target.name), []).append((mod.file, line))
    return edges


# ---- C: includes and units ----------------------------------------------------------

C_NOISE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def c_blank(text, literals):
    """Comments (and literals too if asked) blanked, newlines kept."""
    keep = lambda m: not literals and m.group()[0] in "\"'"  # noqa: E731
    blank = lambda m: m.group() if keep(m) else re.sub(r"[^\n]", " ", m.group())  # noqa: E731
    return C_NOISE.sub(blank, text)


def c_strip(text):
    """Comments and literals blanked (newlines kept) and preprocessor lines dropped."""
    text = c_blank(text, literals=True)
    out, directive = [], False
    for ln in text.split("\n"):
        directive = directive or ln.lstrip().startswith("#")
        out.append("" if directive else ln)
        directive = directive and ln.rstrip().endswith("\\")
    return "\n".join(out)


def c_names(text):
    """(declared, defined) external names of a C file's top level."""
    toks = re.findall(r"[A-Za-z_]\w*|\S", c_strip(text))
    declared, defined, stmt, i = set(), set(), [], 0

    def name_of(stmt):
        head = stmt[: stmt.index("(")] if "(" in stmt else stmt
        head = head[: head.index("=")] if "=" in head else head
        idents = [t for t in head if re.match(r"[A-Za-z_]", t)]
        return idents[-1] if idents else None

    while i < len(toks):
        t = toks[i]
        if t == "{":
            depth = 0
            while True:
                depth += {"{": 1, "}": -1}.get(toks[i], 0)
                i += 1
                if depth == 0:
                    break
            if "(" in stmt and "=" not in stmt:
                if "static" not in stmt and "typedef" not in stmt:
                    defined.add(name_of(stmt))
                stmt = []
            continue
        if t == ";":
            bare_type = len(stmt) <= 2 and stmt[:1] in (["struct"], ["union"], ["enum"])
            skip = {"typedef", "static"} & set(stmt) or bare_type
            if stmt and not skip:
                name = name_of(stmt)
                if "(" in stmt or stmt[0] == "extern":
                    declared.add(name)
                else:
                    defined.add(name)
            stmt = []
        else:
            stmt.append(t)
        i += 1
    return declared - {None}, defined - {None}


def c_graph(client):
    """{(unit, unit): [uses]} over the units of a C tree. A unit is a tuple of header
    paths: headers one .c file implements together form one unit (that file is their
    common implementation, so they stand or fall together)."""
    files = []
    for d, _, names in os.walk(client):
        files += [os.path.join(d, n) for n in names if n.endswith((".c", ".h"))]
    dirs = sorted({os.path.dirname(f) for f in files})
    texts = {f: open(f, encoding="utf-8").read() for f in files}
    includes = {}
    for f, text in texts.items():
        for ln, line in enumerate(c_blank(text, literals=False).split("\n"), 1):
            m = re.match(r'\s*#\s*include\s*"([^"]+)"', line)
            if not m:
                continue
            for d in [os.path.dirname(f)] + dirs:
                path = os.path.normpath(os.path.join(d, m.group(1)))
                if path in texts:
                    includes.setdefault(f, []).append((path, ln))
                    break
    names = {f: c_names(t) for f, t in texts.items()}
    headers = sorted(f for f in files if f.endswith(".h"))
    sources = sorted(f for f in files if f.endswith(".c"))
    impl = {}
    for h in headers:
        stem = os.path.splitext(os.path.basename(h))[0]
        impl[h] = [
            c for c in sources if names[h][0] & names[c][1] or os.path.basename(c) == stem + ".c"
        ]
    # Headers sharing an implementation file are one unit (union-find).
    parent = {h: h for h in headers}

    def find(h):
        while parent[h] != h:
            parent[h] = parent[parent[h]]
            h = parent[h]
        return h

    for c in sources:
        hs = [h for h in headers if c in impl[h]]
        for h in hs[1:]:
            parent[find(h)] = find(hs[0])
    members = {}
    for h in headers:
        members.setdefault(find(h), []).append(h)
    unit = {h: tuple(members[find(h)]) for h in headers}
    edges = {}
    for h in headers:
        for f in [h] + impl[h]:
            for inc, ln in includes.get(f, []):
                if unit[inc] != unit[h]:
                    edges.setdefault((unit[h], unit[inc]), []).append((f, ln))
    for k in edges:
        edges[k] = sorted(set(edges[k]))
    return edges


# ---- circles -------------------------------------------------------------------------


def circles(edges):
    """The strongly connected components of more than one node, sorted."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    reach = {}
    for v in graph:
        seen, todo = set(), [v]
        while todo:
            new = graph[todo.pop()] - seen
            seen |= new
            todo += new
        reach[v] = seen
    comps = {tuple(sorted({v} | {w for w in reach[v] if v in reach[w]})) for v in graph}
    return sorted(list(c) for c in comps if len(c) > 1)


def report(title, edges, label, root):
    """Prints a crate's circles; returns how many there are."""
    found = circles(edges)
    print(f"{title}: {len(found)} circle(s)" if found else f"{title}: no circles")
    for n, comp in enumerate(found, 1):
        print(f"  circle {n}: " + ", ".join(label(m) for m in comp))
        for (a, b), uses in sorted(edges.items()):
            if a in comp and b in comp:
                uses = sorted(set(uses))
                where = ", ".join(f"{os.path.relpath(f, root)}:{ln}" for f, ln in uses)
                print(f"    {label(a)} -> {label(b)}: {where}")
    return len(found)


def check(root):
    """Checks every crate and the C client under root; returns the number of circles."""
    total = 0
    for title, lib in CRATES:
        path = os.path.join(root, lib)
        if not os.path.exists(path):
            continue
        modules = parse_crate(path)
        total += report(title, rust_edges(modules), lambda m: modules[m].label(root), root)
    for c in C_CLIENTS:
        client = os.path.join(root, c)
        if os.path.isdir(client):
            total += report(
                f"C client {c}",
                c_graph(client),
                lambda u: "+".join(os.path.relpath(h, root) for h in u),
                root,
            )
    return total


# ---- self-test ------------------------------------------------------------------------

FIXTURE = {
    "src/lib.rs": "//! crate::c::C in a doc comment is no use\nmod a;\nmod b;\nmod c;\n"
    '#[path = "dee.rs"]\nmod d;\npub use d::Thing;\npub fn top() {}\n',
    "src/a.rs": "use crate::b::B;\npub struct A;\n// crate::c::C in a comment\n"
    'const S: &str = "crate::c::C";\n#[cfg(test)]\nmod tests {\n    use super::*;\n'
    "    use crate::c::C;\n}\n",
    "src/b.rs": "pub struct B;\nfn f() {\n    let _ = super::a::A;\n}\n",
    "src/c.rs": 'pub struct C;\nconst R: &str = r#"super::a::A"#;\n'
    "pub fn g() -> crate::Thing {\n    crate::Thing\n}\n",
    "src/dee.rs": "pub struct Thing;\nmod inner {\n    pub fn h() -> super::Thing {\n"
    "        super::Thing\n    }\n}\npub fn k() {\n    inner::h();\n}\n",
    "c/a.h": "void a_fn(void);\n",
    "c/a.c": '#include "b.h"\n#include "c.h"\nvoid a_fn(void) {}\n',
    "c/b.h": "#define M(x) \\\n    void not_a_decl(void)\nvoid b_fn(void);\n",
    "c/impl_b.c": '#include "a.h"\n/*\n#include "c.h" */\nvoid b_fn(void) { }\n',
    "c/c.h": "struct s { int x; };\nstruct s *c_fn(int);\nextern int c_var;\n",
    "c/d.h": "void d_fn(void);\n",
    "c/e.h": '#include "d.h"\nvoid e_fn(void);\n',
    "c/de.c": '#include "e.h"\nvoid d_fn(void) {}\nvoid e_fn(void) {}\n',
}


def self_test():
    """Checks the parsers on a tiny crate and C tree with known circles."""
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in FIXTURE.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
                f.write(text)
        modules = parse_crate(os.path.join(tmp, "src/lib.rs"))
        assert sorted(modules) == ["", "a", "a::tests", "b", "c", "d", "d::inner"], modules
        spelled_only = rust_edges(modules, bare=False)
        assert circles(spelled_only) == [["a", "b"]], "inner::h() and d::Thing not counted"
        edges = rust_edges(modules, bare=True)
        lines = {k: [ln for _, ln in v] for k, v in edges.items()}
        assert lines[("a", "b")] == [1], lines
        assert lines[("b", "a")] == [3], lines
        assert lines[("c", "d")] == [3, 4], "crate::Thing names d (re-exported by the root)"
        assert lines[("a::tests", "c")] == [8], lines
        assert ("a::tests", "a") not in edges, "a test module using its parent is no edge"
        assert ("", "d") in edges and ("d", "d::inner") in edges and ("d::inner", "d") in edges
        assert not any(k[1] == "c" and k[0] != "a::tests" for k in edges), "comments, literals"
        assert circles(edges) == [["a", "b"], ["d", "d::inner"]], circles(edges)
        assert modules["d::inner"].label(tmp) == os.path.join("src", "dee.rs") + "::inner"
        del edges[("b", "a")]
        assert circles(edges) == [["d", "d::inner"]]

        declared, _ = c_names(FIXTURE["c/b.h"])
        assert declared == {"b_fn"}, declared
        assert c_names(FIXTURE["c/c.h"])[0] == {"c_fn", "c_var"}
        cg = c_graph(os.path.join(tmp, "c"))
        def name(u):
            return "+".join(os.path.basename(h) for h in u) if isinstance(u, tuple) else os.path.basename(u)

        rel = {(name(a), name(b)): [(name(f), n) for f, n in v] for (a, b), v in cg.items()}
        assert rel == {
            ("a.h", "b.h"): [("a.c", 1)],
            ("a.h", "c.h"): [("a.c", 2)],
            ("b.h", "a.h"): [("impl_b.c", 1)],
        }, rel
        # d.h and e.h share de.c: one unit, so e.h including d.h and de.c including
        # e.h are no edges (else they would show in `rel` and as a circle).
        assert [[name(u) for u in c] for c in circles(cg)] == [["a.h", "b.h"]]


if __name__ == "__main__":
    if sys.argv[1:] not in ([], ["--self-test"]):
        sys.exit("usage: " + __doc__.rsplit("Usage: ", 1)[1].strip())
    self_test()
    if sys.argv[1:]:
        print("acyclic.py self-test: ok")
        sys.exit(0)
    sys.exit(1 if check(ROOT) else 0)
