//! The examples of the README and of every page in `docs/` are run: every `$ ` command of
//! their indented blocks, each page in its own scratch directory holding the fixtures
//! (so a page's examples may use the files its earlier examples wrote), with
//! `pseries-sim` on the PATH; what it prints (stdout and stderr) must show the lines
//! the page shows, in order and adjacent, where `...` stands for lines left out. A
//! failure names the page and the line. Every file the examples write must be one
//! `.gitignore` lists, so that running them from the checkout leaves `git status` clean.

mod common;

use common::*;
use std::process::Command;

/// One example: the command and the lines shown after it.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    shown: Vec<String>,
}

fn examples(page: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    for (i, l) in page.lines().enumerate() {
        if l.is_empty() {
            // A blank line inside a block is printed output; at its end, trimmed below.
            if in_block {
                if let Some(e) = out.last_mut() {
                    e.shown.push(String::new());
                }
            }
            continue;
        }
        let Some(body) = l.strip_prefix("    ") else {
            in_block = false;
            continue;
        };
        if let Some(cmd) = body.strip_prefix("$ ") {
            out.push(Example {
                line: i + 1,
                command: cmd.to_string(),
                shown: Vec::new(),
            });
            in_block = true;
        } else if in_block {
            if let Some(e) = out.last_mut() {
                e.shown.push(body.to_string());
            }
        }
    }
    for e in &mut out {
        while e.shown.last().is_some_and(|l| l.is_empty()) {
            e.shown.pop();
        }
    }
    out
}

/// Whether `got` shows `shown`: runs of shown lines appear in `got` in order, each run
/// adjacent, `...` between runs standing for any lines.
fn shows(got: &[&str], shown: &[String]) -> Result<(), String> {
    if shown.is_empty() {
        return match got.first() {
            None => Ok(()),
            Some(l) => Err(format!("printed '{l}' where the page shows nothing")),
        };
    }
    let runs: Vec<&[String]> = shown.split(|l| l == "...").collect();
    let mut at = 0;
    for (k, run) in runs.iter().enumerate() {
        if run.is_empty() {
            continue;
        }
        let anchored = k == 0;
        let found = (at..=got.len().saturating_sub(run.len()))
            .find(|&s| (!anchored || s == 0) && run.iter().zip(&got[s..]).all(|(a, b)| a == b));
        match found {
            Some(s) => at = s + run.len(),
            None => return Err(format!("not printed (from '{}' on)", run[0])),
        }
    }
    if runs.last().is_some_and(|r| !r.is_empty()) && at != got.len() {
        return Err(format!("printed more after '{}'", shown.last().unwrap()));
    }
    Ok(())
}

/// The pages whose examples are run: the README, then every `.md` file of `docs/`, as
/// paths relative to the project's root.
fn pages() -> Vec<String> {
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| format!("docs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    docs.sort();
    let mut all = vec!["README.md".to_string()];
    all.extend(docs);
    all
}

/// Every file (or symbolic link, not followed) under `dir`, relative to it.
fn files_under(dir: &std::path::Path) -> std::collections::BTreeSet<std::path::PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                todo.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

/// Runs one page's examples in a fresh scratch directory holding the fixtures; returns
/// how many ran, a message per failure, naming the page and the line, and a message per
/// file the examples wrote that `.gitignore` does not list (a user running them from the
/// checkout would find it in `git status`).
fn run_page(page: &str, path: &str) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(root().join(page)).unwrap();
    let all = examples(&text);
    let dir = scratch(&format!("readme-{}", page.replace(['/', '.'], "-")));
    let st = Command::new("cp")
        .arg("-r")
        .arg(root().join("fixtures"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let before = files_under(&dir);
    let mut failures = Vec::new();
    for e in &all {
        let o = Command::new("bash")
            .args(["-c", &format!("{} 2>&1", e.command)])
            .current_dir(&dir)
            .env("PATH", path)
            // Client builds in the tests' own cache (shared with tests/linux_tree.rs).
            .env(
                "PSERIES_SIM_CACHE",
                root().join("target/linux-tree-test/cache"),
            )
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let got: Vec<&str> = text.lines().collect();
        if let Err(why) = shows(&got, &e.shown) {
            failures.push(format!("{page}:{}: `{}`: {why}\n{text}", e.line, e.command));
        }
    }
    let written: Vec<_> = files_under(&dir).difference(&before).cloned().collect();
    failures.extend(not_ignored(&written).into_iter().map(|f| {
        format!(
            "{page}: its examples write {}, which .gitignore does not list",
            f.display()
        )
    }));
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    (all.len(), failures)
}

/// Those of `files` (relative to the checkout) that git would show as untracked; none
/// when the sources are not a git checkout.
fn not_ignored(files: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    if files.is_empty() {
        return Vec::new();
    }
    let o = Command::new("git")
        .arg("-C")
        .arg(root())
        .args(["check-ignore", "--no-index", "--"])
        .args(files)
        .output();
    // 0: some are ignored, 1: none is; anything else (no git, no checkout): unknown.
    let Ok(o) = o else { return Vec::new() };
    if !matches!(o.status.code(), Some(0 | 1)) {
        return Vec::new();
    }
    let ignored = String::from_utf8_lossy(&o.stdout).into_owned();
    let ignored: Vec<&str> = ignored.lines().collect();
    files
        .iter()
        .filter(|f| !ignored.contains(&f.to_str().unwrap_or_default()))
        .cloned()
        .collect()
}

#[test]
fn every_readme_and_docs_example_prints_what_it_shows() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pages = pages();
    assert!(pages.len() >= 2, "no page in docs/: {pages:?}");
    let mut counts = Vec::new();
    let mut failures = Vec::new();
    for page in &pages {
        let (n, f) = run_page(page, &path);
        counts.push((page.as_str(), n));
        failures.extend(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The README keeps a tour, and no example of the reference is lost: the README held
    // 34 when the reference moved from it to docs/, each of which is now in docs/.
    let readme = counts[0].1;
    let docs: usize = counts[1..].iter().map(|c| c.1).sum();
    assert!(readme >= 3, "the README shows {readme} examples");
    assert!(docs >= 34, "docs/ shows {docs} examples: {counts:?}");
}

#[test]
fn the_readme_maps_every_docs_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let missing: Vec<String> = pages()
        .into_iter()
        .skip(1)
        .filter(|p| !readme.contains(&format!("({p})")))
        .collect();
    assert!(missing.is_empty(), "README.md links to none of {missing:?}");
}

#[test]
fn the_matcher_fails_on_an_edited_example() {
    let got = ["a", "b", "c", "d"];
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(shows(&got, &s(&["a", "b", "c", "d"])).is_ok());
    assert!(shows(&got, &s(&["a", "...", "d"])).is_ok());
    assert!(shows(&got, &s(&["a", "b", "..."])).is_ok());
    assert!(
        shows(&got, &s(&["a", "x", "..."])).is_err(),
        "an edited line"
    );
    assert!(
        shows(&got, &s(&["a", "c", "..."])).is_err(),
        "a line left out without ..."
    );
    assert!(
        shows(&got, &s(&["b", "..."])).is_err(),
        "the first line is the first"
    );
    assert!(
        shows(&got, &s(&["a", "b"])).is_err(),
        "more printed than shown"
    );
    assert!(shows(&got, &s(&[])).is_err(), "output where none is shown");
    assert!(shows(&[], &s(&[])).is_ok());
}
