//! The shape of the code, checked: the module graph built from the
//! `crate::`, `super::` and child-module paths of `src/**/*.rs` has no
//! cycle, neither between files nor between top-level modules, and SQL
//! (`sea_orm`, `entity::`) stays out of the HTTP layer, the jobs and the
//! command line.
//!
//! Rule: when this fails, move the code to where it belongs (a query into
//! `services/`, a rule into `domain/`); do not teach this test an exception.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files (relative to `src/`) or folders (ending in `/`) that must hold no
/// SQL.
const NO_SQL: &[&str] = &["http/", "jobs/", "cli.rs"];

/// A module path such as `crate::services::cases`.
type Module = String;

struct Source {
    module: Module,
    /// Relative to `src/`.
    path: String,
    /// The code without comments and without its `#[cfg(test)]` module.
    code: String,
    /// Modules declared by `mod x;` in this file.
    children: Vec<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ can be read")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &str) -> Module {
    let trimmed = relative.trim_end_matches(".rs");
    let trimmed = trimmed
        .strip_suffix("/mod")
        .unwrap_or(trimmed)
        .trim_end_matches("lib");
    let mut module = String::from("crate");
    for part in trimmed.split('/').filter(|p| !p.is_empty()) {
        module.push_str("::");
        module.push_str(part);
    }
    module
}

/// The code of a file with `//` comments removed (string literals are kept
/// as they are: a path inside one is rare enough) and the unit-test module
/// at its end cut off.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            // Past further attributes and comments, is it a module?
            let item = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !(l.starts_with("#[") || l.starts_with("//")));
            if item.is_some_and(|l| l.starts_with("mod ") && l.ends_with('{')) {
                break;
            }
        }
        let code = match line.find("//") {
            // Keep `https://` and the like inside string literals.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `mod x;` declarations.
fn children_of(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Expands a `use` tree (`a::{b, c::{self, D}}`) into whole paths.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[start..], out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        let path = path.strip_suffix("::self").unwrap_or(path);
        if path != "self" {
            out.push(join(prefix, path));
        } else {
            out.push(prefix.to_owned());
        }
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}::{rest}"),
    }
}

/// Every path the code names that starts at `crate`, `super`, `self` or a
/// child module.
fn paths_of(source: &Source) -> Vec<String> {
    let code = &source.code;
    let mut paths = Vec::new();
    // `use` trees first (they may start at a child module).
    let mut rest = code.as_str();
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + 4..];
        rest = after;
        if before.is_some_and(is_ident) {
            continue;
        }
        if let Some(end) = after.find(';') {
            expand("", &after[..end], &mut paths);
        }
    }
    // Paths in expressions and types.
    let starts: Vec<&str> = ["crate", "super", "self"]
        .into_iter()
        .chain(source.children.iter().map(String::as_str))
        .collect();
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    for start in starts {
        let needle = format!("{start}::");
        let mut from = 0;
        while let Some(found) = text[from..].find(&needle) {
            let at = from + found;
            from = at + needle.len();
            let prev = text[..at].chars().next_back();
            if prev.is_some_and(|c| is_ident(c) || c == ':') {
                continue;
            }
            let end = text[at..]
                .find(|c: char| !(is_ident(c) || c == ':'))
                .map_or(text.len(), |e| at + e);
            paths.push(text[at..end].trim_end_matches(':').to_owned());
        }
    }
    paths
}

/// The module a path names: its longest prefix that is a module.
fn resolve(source: &Source, path: &str, modules: &BTreeSet<Module>) -> Option<Module> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let first = *segments.first()?;
    let mut absolute: Vec<String> = match first {
        "crate" => vec!["crate".into()],
        "self" => source.module.split("::").map(str::to_owned).collect(),
        "super" => {
            let mut base: Vec<String> = source.module.split("::").map(str::to_owned).collect();
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
            segments.insert(0, "super");
            base
        }
        child if source.children.iter().any(|c| c == child) => {
            let mut base: Vec<String> = source.module.split("::").map(str::to_owned).collect();
            base.push(child.to_owned());
            segments.remove(0);
            segments.insert(0, "self");
            base
        }
        _ => return None,
    };
    absolute.extend(segments.iter().skip(1).map(|s| (*s).to_owned()));
    (1..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let relative = file
                .strip_prefix(&src)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            // The binary and this check are not part of the library's shape.
            if relative == "main.rs" || relative == "architecture.rs" {
                return None;
            }
            let text = std::fs::read_to_string(&file).expect("a source file reads");
            let code = code_of(&text);
            Some(Source {
                module: module_of(&relative),
                children: children_of(&code),
                path: relative,
                code,
            })
        })
        .collect()
}

/// Edges between modules, each with a file that makes it.
fn graph(sources: &[Source]) -> BTreeMap<Module, BTreeMap<Module, String>> {
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for source in sources {
        for path in paths_of(source) {
            if let Some(target) = resolve(source, &path, &modules)
                && target != source.module
            {
                edges
                    .entry(source.module.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| format!("{} names {path}", source.path));
            }
        }
    }
    edges
}

/// One cycle of `edges`, if there is one.
fn find_cycle(edges: &BTreeMap<Module, BTreeMap<Module, String>>) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        edges: &BTreeMap<Module, BTreeMap<Module, String>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flat_map(|e| e.keys()) {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node)
            && let Some(cycle) = visit(node, edges, &mut state, &mut Vec::new())
        {
            return Some(cycle);
        }
    }
    None
}

fn explain(cycle: &[Module], edges: &BTreeMap<Module, BTreeMap<Module, String>>) -> String {
    cycle
        .windows(2)
        .map(|w| {
            let why = edges
                .get(&w[0])
                .and_then(|e| e.get(&w[1]))
                .map_or("", String::as_str);
            format!("{} -> {} ({why})", w[0], w[1])
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn top_level(module: &str) -> Module {
    module.split("::").take(2).collect::<Vec<_>>().join("::")
}

#[test]
fn no_module_imports_itself_through_others() {
    let edges = graph(&sources());
    if let Some(cycle) = find_cycle(&edges) {
        panic!("an import cycle:\n{}", explain(&cycle, &edges));
    }
}

#[test]
fn no_top_level_module_imports_itself_through_others() {
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (from, targets) in graph(&sources()) {
        for (to, why) in targets {
            let (from, to) = (top_level(&from), top_level(&to));
            if from != to {
                edges.entry(from).or_default().entry(to).or_insert(why);
            }
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "an import cycle between top-level modules:\n{}",
            explain(&cycle, &edges)
        );
    }
}

#[test]
fn sql_stays_out_of_handlers_jobs_and_the_command_line() {
    let mut found = Vec::new();
    for source in sources() {
        let guarded = NO_SQL.iter().any(|p| {
            if p.ends_with('/') {
                source.path.starts_with(p)
            } else {
                source.path == *p
            }
        });
        if !guarded {
            continue;
        }
        for (n, line) in source.code.lines().enumerate() {
            if line.contains("sea_orm") || line.contains("entity::") {
                found.push(format!("src/{}:{}: {}", source.path, n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside services/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_graph_sees_the_paths_it_must() {
    let source = Source {
        module: "crate::services::cases".into(),
        path: "services/cases.rs".into(),
        code: "use super::{audit::{self, Entry}, now};\nuse crate::domain::case::CaseStatus;\n\
               fn f() { crate::mail::enqueue(); super::super::db::now(); }\n"
            .into(),
        children: Vec::new(),
    };
    let modules: BTreeSet<Module> = [
        "crate",
        "crate::services",
        "crate::services::audit",
        "crate::services::cases",
        "crate::domain",
        "crate::domain::case",
        "crate::mail",
        "crate::db",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let targets: BTreeSet<Module> = paths_of(&source)
        .iter()
        .filter_map(|p| resolve(&source, p, &modules))
        .collect();
    let want: BTreeSet<Module> = [
        "crate::services::audit",
        "crate::services",
        "crate::domain::case",
        "crate::mail",
        "crate::db",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(targets, want);
    assert_eq!(
        module_of("services/availability/mod.rs"),
        "crate::services::availability"
    );
    assert_eq!(module_of("lib.rs"), "crate");
    assert_eq!(module_of("http/cases.rs"), "crate::http::cases");
}
