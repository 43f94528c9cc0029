//! The README's examples are run: every `$ ` command of its indented blocks, in a
//! scratch directory holding the fixtures, with `pseries-sim` on the PATH; what it
//! prints (stdout and stderr) must show the lines the README shows, in order and
//! adjacent, where `...` stands for lines left out.

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

fn examples(readme: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    for (i, l) in readme.lines().enumerate() {
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
            Some(l) => Err(format!("printed '{l}' where the README shows nothing")),
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

#[test]
fn every_readme_example_prints_what_it_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let all = examples(&readme);
    assert!(all.len() >= 12, "{} examples", all.len());
    let dir = scratch("readme");
    let st = Command::new("cp")
        .arg("-r")
        .arg(root().join("fixtures"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for e in &all {
        let o = Command::new("bash")
            .args(["-c", &format!("{} 2>&1", e.command)])
            .current_dir(&dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let got: Vec<&str> = text.lines().collect();
        if let Err(why) = shows(&got, &e.shown) {
            failures.push(format!(
                "README.md:{}: `{}`: {why}\n{text}",
                e.line, e.command
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
