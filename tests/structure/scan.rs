//! Reads Rust files as text: their code without comments and strings, the
//! modules their paths name, their SQL calls and tuple rows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct File {
    /// Relative to the repository, with `/`.
    pub path: String,
    pub lines: usize,
    /// Top-level modules of the file's own crate that its paths name.
    pub crate_modules: BTreeSet<String>,
    /// Files of its own crate that it takes names from.
    pub imports: BTreeSet<String>,
    pub sql_calls: usize,
    pub tuples: usize,
}

impl File {
    /// The top-level module of app/src the file belongs to (`lib` for
    /// lib.rs).
    pub fn top_module(&self) -> Option<&str> {
        let rest = self.path.strip_prefix("app/src/")?;
        let first = rest.split('/').next()?;
        Some(first.strip_suffix(".rs").unwrap_or(first))
    }

    pub fn is_db_file(&self) -> bool {
        self.path.ends_with("/db.rs") || self.path.contains("/db/")
    }

    fn is_module_root(&self) -> bool {
        ["/mod.rs", "/lib.rs", "/main.rs"]
            .iter()
            .any(|end| self.path.ends_with(end))
    }
}

pub struct Tree {
    pub files: Vec<File>,
}

impl Tree {
    pub fn read(root: &Path, dirs: &[&str]) -> Tree {
        let mut paths = Vec::new();
        for dir in dirs {
            collect(root, &root.join(dir), &mut paths);
        }
        paths.sort();
        let known: BTreeSet<String> = paths.iter().cloned().collect();
        let files = paths
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(root.join(path)).expect("a source file");
                File::read(path, &text, &known)
            })
            .collect();
        Tree { files }
    }

    /// Groups of files (module roots left out: a parent declaring its
    /// children is not a circle) that import one another, each in order.
    pub fn circles(&self) -> Vec<Vec<String>> {
        let edges: BTreeMap<&str, Vec<&str>> = self
            .files
            .iter()
            .filter(|f| !f.is_module_root())
            .map(|f| {
                let to = f
                    .imports
                    .iter()
                    .filter(|t| *t != &f.path)
                    .filter(|t| {
                        self.files
                            .iter()
                            .any(|g| &g.path == *t && !g.is_module_root())
                    })
                    .map(String::as_str)
                    .collect();
                (f.path.as_str(), to)
            })
            .collect();
        strongly_connected(&edges)
            .into_iter()
            .filter(|group| group.len() > 1)
            .map(|group| group.into_iter().map(str::to_string).collect())
            .collect()
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under the root");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

impl File {
    fn read(path: &str, text: &str, known: &BTreeSet<String>) -> File {
        let code = strip(text);
        let (crate_root, own) = module_of(path);
        let mut crate_modules = BTreeSet::new();
        let mut imports = BTreeSet::new();
        for (at, inner) in paths_in(&code) {
            let Some(full) = absolute(&own, &at, &inner) else {
                continue;
            };
            if let Some(target) = resolve(&crate_root, &full, known) {
                imports.insert(target);
            }
            if let Some(first) = full.first() {
                let dir = format!("{crate_root}/{first}");
                if known.contains(&format!("{dir}.rs")) || known.contains(&format!("{dir}/mod.rs"))
                {
                    crate_modules.insert(first.clone());
                }
            }
        }
        File {
            path: path.to_string(),
            lines: text.lines().count(),
            crate_modules,
            imports,
            sql_calls: ["sqlx::query", "QueryBuilder::new", "sqlx::raw_sql"]
                .iter()
                .map(|p| code.matches(p).count())
                .sum(),
            tuples: tuples(&code),
        }
    }
}

/// The crate's source folder and the file's module path in it.
fn module_of(path: &str) -> (String, Vec<String>) {
    let mut parts: Vec<&str> = path.split('/').collect();
    let crate_root = parts[..2].join("/");
    parts.drain(..2);
    let last = parts.pop().expect("a file name");
    let mut module: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    let stem = last.trim_end_matches(".rs");
    if !["mod", "lib", "main"].contains(&stem) {
        module.push(stem.to_string());
    }
    (crate_root, module)
}

/// A path as written (`crate::a::b`, `super::x`), from inside the inline
/// modules `inner`, made absolute within the crate.
fn absolute(own: &[String], at: &[String], inner: &[String]) -> Option<Vec<String>> {
    let mut here: Vec<String> = own.iter().chain(inner).cloned().collect();
    let mut segments = at.iter().peekable();
    match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            here.clear();
            segments.next();
        }
        Some("super") => {
            while segments.peek().map(|s| s.as_str()) == Some("super") {
                here.pop()?;
                segments.next();
            }
        }
        Some("self") => {
            segments.next();
        }
        _ => return None,
    }
    here.extend(segments.cloned());
    Some(here)
}

/// The file that defines the longest leading part of `full`.
fn resolve(crate_root: &str, full: &[String], known: &BTreeSet<String>) -> Option<String> {
    for k in (0..=full.len()).rev() {
        let dir = full[..k].join("/");
        let candidates = if k == 0 {
            vec![
                format!("{crate_root}/lib.rs"),
                format!("{crate_root}/main.rs"),
            ]
        } else {
            vec![
                format!("{crate_root}/{dir}.rs"),
                format!("{crate_root}/{dir}/mod.rs"),
            ]
        };
        if let Some(found) = candidates.into_iter().find(|c| known.contains(c)) {
            return Some(found);
        }
    }
    None
}

/// The code without comments, and with every string and character literal
/// emptied, so words inside them are not read as code.
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && raw_start(&b, if c == 'b' { i + 1 } else { i }).is_some()
        {
            let start = if c == 'b' { i + 1 } else { i };
            let hashes = raw_start(&b, start).expect("checked");
            i = start + 1 + hashes + 1;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// At `r` (of r"..." or r#"..."#): how many `#` open the raw string.
fn raw_start(b: &[char], at: usize) -> Option<usize> {
    if b.get(at) != Some(&'r') {
        return None;
    }
    let mut hashes = 0;
    while b.get(at + 1 + hashes) == Some(&'#') {
        hashes += 1;
    }
    (b.get(at + 1 + hashes) == Some(&'"')).then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path that starts at `crate`, `super` or `self`, with groups
/// (`crate::{a, b::c}`) spread out, and the inline modules it sits in.
fn paths_in(code: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let b: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '{' {
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
            depth += 1;
            i += 1;
            continue;
        }
        if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            i += 1;
            continue;
        }
        if c == ';' {
            pending_mod = None;
        }
        if !is_ident(c) || (i > 0 && (is_ident(b[i - 1]) || b[i - 1] == '$')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let word: String = b[start..i].iter().collect();
        if word == "mod" {
            let mut j = i;
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            let name_start = j;
            while j < b.len() && is_ident(b[j]) {
                j += 1;
            }
            pending_mod = Some(b[name_start..j].iter().collect());
            i = j;
            continue;
        }
        let preceded_by_path = start >= 2 && b[start - 1] == ':' && b[start - 2] == ':';
        if ["crate", "super", "self"].contains(&word.as_str()) && !preceded_by_path {
            let inner: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
            let (paths, end) = path_at(&b, start);
            for path in paths {
                found.push((path, inner.clone()));
            }
            i = end.max(i);
        }
    }
    found
}

/// Reads a path from `at`, spreading groups; returns the paths and where
/// reading stopped.
fn path_at(b: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        while i < b.len() && b[i].is_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == '{' {
            i += 1;
            let mut all = Vec::new();
            loop {
                while i < b.len() && (b[i].is_whitespace() || b[i] == ',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == '}' {
                    i += 1;
                    break;
                }
                let (inner, end) = path_at(b, i);
                for path in inner {
                    all.push(prefix.iter().cloned().chain(path).collect());
                }
                // Skip `as name` and anything else up to the next item.
                i = end;
                while i < b.len() && b[i] != ',' && b[i] != '}' {
                    if b[i] == '{' {
                        break;
                    }
                    i += 1;
                }
            }
            return (all, i);
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        if start == i {
            return (vec![prefix], i);
        }
        prefix.push(b[start..i].iter().collect());
        if b.get(i) == Some(&':') && b.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// Queries read into tuples: `query_as::<_, (..)>`, `query_as::<_, Alias>`
/// where `type Alias = (..)`, and `let x: Vec<(..)> = sqlx::query_as(..)`.
fn tuples(code: &str) -> usize {
    let aliases: Vec<String> = code
        .match_indices("type ")
        .filter_map(|(at, _)| {
            let rest = &code[at + 5..];
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            let after = rest[name.len()..].trim_start();
            (!name.is_empty() && after.starts_with('=') && after[1..].trim_start().starts_with('('))
                .then_some(name)
        })
        .collect();
    let mut count = 0;
    for (at, _) in code.match_indices("query_as") {
        let rest = code[at + 8..].trim_start();
        if let Some(turbofish) = rest.strip_prefix("::<") {
            let row = turbofish
                .split_once(',')
                .map(|(_, r)| r.trim_start())
                .unwrap_or("");
            let name: String = row.chars().take_while(|c| is_ident(*c)).collect();
            if row.starts_with('(') || (!name.is_empty() && aliases.contains(&name)) {
                count += 1;
            }
        } else if rest.starts_with('(') {
            let before = &code[..at];
            let statement = &before[before.rfind([';', '{', '}']).map_or(0, |p| p + 1)..];
            if let Some(annotated) = statement.split_once(':').map(|(_, t)| t) {
                let ty = annotated.trim_start();
                let ty = ty
                    .strip_prefix("Vec<")
                    .or_else(|| ty.strip_prefix("Option<"))
                    .unwrap_or(ty)
                    .trim_start();
                let name: String = ty.chars().take_while(|c| is_ident(*c)).collect();
                if ty.starts_with('(') || (!name.is_empty() && aliases.contains(&name)) {
                    count += 1;
                }
            }
        }
    }
    count
}

/// Tarjan's strongly connected components.
fn strongly_connected<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        groups: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(v: &'a str, edges: &BTreeMap<&'a str, Vec<&'a str>>, s: &mut State<'a>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, edges, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w);
                if w == v {
                    break;
                }
            }
            group.sort();
            s.groups.push(group);
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for &v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(v, edges, &mut s);
        }
    }
    s.groups
}
