//! The code's structure, held as a test (DESIGN.md, "Layers").
//!
//! Reads the Rust files of app/src and server/src as text (nothing is
//! built or run) and fails when:
//! - an import in app/src runs up the layers (`LAYERS`), unless `UPWARD`
//!   lists it with a reason;
//! - files import one another in a circle;
//! - a file that is not a domain's db.rs (or inside a db/ folder) runs SQL,
//!   unless `SQL_ELSEWHERE` lists it with a reason;
//! - a query is read into a positional tuple in more places than
//!   `TUPLES` allows for that file;
//! - a file is longer than `MAX_LINES`, unless `LONG` lists it.
//!
//! Each list only shrinks: an entry that no longer matches fails too, so a
//! mended place cannot quietly come back. `cargo test -p e2e --test
//! structure -- --nocapture` prints the figures.

mod rules;
mod scan;

use rules::{LAYERS, LONG, MAX_LINES, SQL_ELSEWHERE, TUPLES, UPWARD};
use scan::Tree;
use std::collections::{BTreeMap, BTreeSet};

fn tree() -> Tree {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Tree::read(&root, &["app/src", "server/src"])
}

/// The layer of a top-level module of app/src: its rank and its name.
/// Two layers of one rank are peers: neither may import the other.
fn layer(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .find(|(_, _, members)| members.contains(&module))
        .map(|(rank, name, _)| (*rank, *name))
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Upward {
    file: String,
    target: String,
}

fn upward_imports(tree: &Tree) -> BTreeSet<Upward> {
    let mut found = BTreeSet::new();
    for file in tree.files.iter().filter(|f| f.path.starts_with("app/src/")) {
        let Some(own) = file.top_module() else {
            continue;
        };
        let Some((own_rank, own_group)) = layer(own) else {
            panic!(
                "{}: its module `{own}` is in no layer of tests/structure/rules.rs",
                file.path
            )
        };
        for target in &file.crate_modules {
            if target == own {
                continue;
            }
            let Some((rank, group)) = layer(target) else {
                panic!(
                    "{}: `crate::{target}` is in no layer of tests/structure/rules.rs",
                    file.path
                )
            };
            if rank > own_rank || (rank == own_rank && group != own_group) {
                found.insert(Upward {
                    file: file.path.clone(),
                    target: target.clone(),
                });
            }
        }
    }
    found
}

fn sql_outside_db(tree: &Tree) -> BTreeMap<String, usize> {
    tree.files
        .iter()
        .filter(|f| !f.is_db_file() && f.sql_calls > 0)
        .map(|f| (f.path.clone(), f.sql_calls))
        .collect()
}

fn report(tree: &Tree) {
    let upward = upward_imports(tree);
    let sql = sql_outside_db(tree);
    let tuples: usize = tree.files.iter().map(|f| f.tuples).sum();
    let circles = tree.circles();
    let largest = tree.files.iter().max_by_key(|f| f.lines).expect("files");
    println!("files read: {}", tree.files.len());
    println!("import circles: {}", circles.len());
    println!("imports that run up the layers: {}", upward.len());
    println!(
        "files outside db.rs that run SQL: {} ({} calls)",
        sql.len(),
        sql.values().sum::<usize>()
    );
    println!("positional row tuples: {tuples}");
    println!("largest file: {} ({} lines)", largest.path, largest.lines);
    println!(
        "files over {MAX_LINES} lines: {}",
        tree.files.iter().filter(|f| f.lines > MAX_LINES).count()
    );
}

#[test]
fn figures() {
    let tree = tree();
    report(&tree);
    if std::env::var_os("STRUCTURE_DETAIL").is_some() {
        for u in upward_imports(&tree) {
            println!("upward: {} -> {}", u.file, u.target);
        }
        for (file, calls) in sql_outside_db(&tree) {
            println!("sql: {file} {calls}");
        }
        for f in tree.files.iter().filter(|f| f.tuples > 0) {
            println!("tuples: {} {}", f.path, f.tuples);
        }
        for f in tree.files.iter().filter(|f| f.lines > MAX_LINES) {
            println!("long: {} {}", f.path, f.lines);
        }
    }
}

#[test]
fn imports_point_down_the_layers() {
    let tree = tree();
    let found = upward_imports(&tree);
    let allowed: BTreeSet<Upward> = UPWARD
        .iter()
        .map(|(file, target, reason)| {
            assert!(
                !reason.trim().is_empty(),
                "{file} -> {target}: the allow-list needs a reason"
            );
            Upward {
                file: file.to_string(),
                target: target.to_string(),
            }
        })
        .collect();
    let new: Vec<_> = found.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&found).collect();
    assert!(
        new.is_empty(),
        "imports that run up the layers (tests/structure/rules.rs, LAYERS):\n{}",
        new.iter()
            .map(|u| format!("  {} -> crate::{}", u.file, u.target))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        stale.is_empty(),
        "mended, so take them out of UPWARD in tests/structure/rules.rs:\n{}",
        stale
            .iter()
            .map(|u| format!("  {} -> {}", u.file, u.target))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn no_file_imports_in_a_circle() {
    let circles = tree().circles();
    assert!(
        circles.is_empty(),
        "files that import one another in a circle:\n{}",
        circles
            .iter()
            .map(|c| format!("  {}", c.join(" -> ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn sql_runs_only_in_db_files() {
    let found = sql_outside_db(&tree());
    let allowed: BTreeMap<&str, &str> = SQL_ELSEWHERE.iter().copied().collect();
    let new: Vec<_> = found
        .keys()
        .filter(|f| !allowed.contains_key(f.as_str()))
        .collect();
    let stale: Vec<_> = allowed
        .keys()
        .filter(|f| !found.contains_key(**f))
        .collect();
    assert!(
        new.is_empty(),
        "SQL outside a db.rs (move it into the domain's db.rs): {new:?}"
    );
    assert!(
        stale.is_empty(),
        "no SQL there now, so take them out of SQL_ELSEWHERE: {stale:?}"
    );
}

#[test]
fn rows_are_read_into_named_structs() {
    let tree = tree();
    let allowed: BTreeMap<&str, usize> = TUPLES.iter().copied().collect();
    for file in &tree.files {
        let most = allowed.get(file.path.as_str()).copied().unwrap_or(0);
        assert!(
            file.tuples <= most,
            "{}: {} queries read into positional tuples (at most {most}): use a struct with sqlx::FromRow",
            file.path,
            file.tuples
        );
        if most > 0 {
            assert!(
                file.tuples == most,
                "{}: now {} tuples, so lower TUPLES to it",
                file.path,
                file.tuples
            );
        }
    }
}

#[test]
fn files_stay_small() {
    let tree = tree();
    let allowed: BTreeMap<&str, usize> = LONG.iter().copied().collect();
    for file in &tree.files {
        let most = allowed
            .get(file.path.as_str())
            .copied()
            .unwrap_or(MAX_LINES);
        assert!(
            file.lines <= most,
            "{}: {} lines (at most {most}): split it along its seams",
            file.path,
            file.lines
        );
    }
    for (path, _) in LONG {
        let file = tree.files.iter().find(|f| f.path == *path);
        assert!(
            file.is_some_and(|f| f.lines > MAX_LINES),
            "{path} is gone or short now, so take it out of LONG"
        );
    }
}
