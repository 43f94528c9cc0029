//! What the command says about itself: shell completion, manual pages, long help.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

/// Stdout of a command that must succeed.
fn stdout(args: &[&str]) -> String {
    let o = sim().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// What bash offers at the end of `line` (the last word is the one being completed),
/// through the completion function the script registers for `pseries-sim`.
fn bash_completes(script: &Path, line: &str) -> Vec<String> {
    let mut words: Vec<&str> = line.split(' ').collect();
    if line.ends_with(' ') {
        words.pop();
        words.push("");
    }
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'\n\
         f=$(complete -p pseries-sim | sed 's/.*-F \\([^ ]*\\).*/\\1/')\n\
         COMP_WORDS=({})\n\
         COMP_CWORD={cword}\n\
         COMP_LINE='{line}'\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         \"$f\" pseries-sim '{}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words[cword],
    );
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        o.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut got: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    got.sort();
    got
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    v.sort();
    v
}

/// A subcommand's options and the values of an enumerated option complete in bash, for
/// a hyphenated subcommand too; no value list falls back to file names.
#[test]
fn bash_completes_options_and_their_values() {
    let dir = scratch("completions-bash");
    let script = dir.join("pseries-sim.bash");
    std::fs::write(&script, stdout(&["completions", "bash"])).unwrap();

    let options = bash_completes(&script, "pseries-sim boot --");
    for o in [
        "--profile",
        "--trace",
        "--cas",
        "--backend",
        "--trace-filter",
        "--sanitize",
        "--quiet",
        "--help",
    ] {
        assert!(options.iter().any(|c| c == o), "{o} not in {options:?}");
    }
    assert!(
        !options.iter().any(|c| c == "run" || c == "--jobs"),
        "the top level's or run's words: {options:?}"
    );

    let cases: &[(&str, &[&str])] = &[
        ("pseries-sim boot --trace ", &["human", "json", "qemu"]),
        ("pseries-sim boot --profile ", &["papr", "qemu"]),
        ("pseries-sim boot --cas ", &["auto", "xics", "xive"]),
        (
            "pseries-sim boot --backend ",
            &["axon", "generic", "mpic", "pseries"],
        ),
        ("pseries-sim run --trace q", &["qemu"]),
        ("pseries-sim call --profile ", &["papr", "qemu"]),
        ("pseries-sim map --profile p", &["papr"]),
        ("pseries-sim replay --profile ", &["papr", "qemu"]),
        ("pseries-sim gen --platform ", &["axon", "mpic", "pseries"]),
        ("pseries-sim dt --to ", &["dtb", "dts"]),
        (
            "pseries-sim diff-clients --sanitize ",
            &["address", "undefined"],
        ),
        (
            "pseries-sim boot --trace-filter h",
            &["handler", "hcall", "hook"],
        ),
        ("pseries-sim man r", &["replay", "run"]),
        ("pseries-sim completions f", &["fish"]),
    ];
    for (line, want) in cases {
        assert_eq!(bash_completes(&script, line), sorted(want), "{line}");
    }
    // Still what it did before: the subcommands at the top.
    let top = bash_completes(&script, "pseries-sim di");
    assert_eq!(top, sorted(&["diff-clients"]));
}

/// Every shell's script generates and offers the trace formats as values.
#[test]
fn every_shell_gets_the_value_lists() {
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let s = stdout(&["completions", shell]);
        assert!(s.contains("pseries-sim"), "{shell}");
        for v in ["human", "json", "papr", "xics", "undefined"] {
            assert!(s.contains(v), "{shell} lacks {v}");
        }
    }
    let zsh = stdout(&["completions", "zsh"]);
    assert!(zsh.contains(":TRACE:(human json qemu)"), "{zsh}");
    assert!(zsh.contains(":PROFILE:(papr qemu)"), "{zsh}");
}

/// The pages a page refers to, as `name(1)`, in roff (hyphens escaped).
fn references(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    let mut out = Vec::new();
    for (i, _) in text.match_indices("(1)") {
        let name: String = text[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if name.starts_with("pseries-sim") {
            out.push(name);
        }
    }
    out
}

/// `man` prints the top page; `man SUB` a subcommand's; `man --dir` writes every page
/// the top page refers to, each referring back.
#[test]
fn every_page_the_top_page_names_exists() {
    let top = stdout(&["man"]);
    assert!(top.contains(".TH pseries-sim 1"), "{top}");
    let named = references(&top);
    for sub in ["boot", "run", "call", "diff-clients", "man", "completions"] {
        assert!(
            named.contains(&format!("pseries-sim-{sub}")),
            "{sub}: {named:?}"
        );
    }
    assert!(
        !named.contains(&"pseries-sim-help".to_string()),
        "clap's help has no page: {named:?}"
    );

    let boot = stdout(&["man", "boot"]);
    assert!(boot.contains(".TH pseries-sim-boot 1"), "{boot}");
    assert!(boot.contains("\\-\\-trace\\-filter"), "{boot}");
    assert!(
        boot.contains(".SH \"SEE ALSO\"\npseries\\-sim(1)"),
        "{boot}"
    );

    let dir = scratch("man-pages");
    let pages = dir.join("man1");
    stdout(&["man", "--dir", pages.to_str().unwrap()]);
    let mut files: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = named.iter().map(|n| format!("{n}.1")).collect();
    want.push("pseries-sim.1".into());
    want.sort();
    assert_eq!(files, want, "no temporary file is left either");
    assert_eq!(
        std::fs::read_to_string(pages.join("pseries-sim.1")).unwrap(),
        top
    );
    assert_eq!(
        std::fs::read_to_string(pages.join("pseries-sim-boot.1")).unwrap(),
        boot
    );
    // Again over the pages it wrote: each is replaced.
    stdout(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(std::fs::read_dir(&pages).unwrap().count(), want.len());

    let o = sim().args(["man", "nosuch"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = sim()
        .args(["man", "boot", "--dir", pages.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// The scenario grammar in `run`'s page keeps its lines: unfilled, and groff (when the
/// machine has it) prints each command on a line of its own.
#[test]
fn the_grammar_in_the_page_keeps_its_lines() {
    let run = stdout(&["man", "run"]);
    let nf = run.find("\n.nf\n").expect("an unfilled block");
    let fi = run[nf..].find("\n.fi\n").expect("closed") + nf;
    let block = &run[nf..fi];
    for l in [
        "  boot ",
        "  expect granted DEV N",
        "  resume keep|renumber",
    ] {
        assert!(block.contains(&format!("\n{l}")), "{l} not in {block}");
    }
    match Command::new("groff")
        .args(["-man", "-Tutf8", "-P", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Err(_) => eprintln!("groff is not installed: the page's text was checked, not drawn"),
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(run.as_bytes())
                .unwrap();
            let o = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&o.stdout).replace('\u{2010}', "-");
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            assert!(
                lines.iter().any(|l| l.starts_with("expect granted DEV N ")),
                "{text}"
            );
            assert!(lines.iter().any(|l| l.starts_with("boot ")), "{text}");
        }
    }
}

/// `run --help` and `call --help` print their grammars a line each, not as one paragraph.
#[test]
fn long_help_keeps_the_grammar_lines() {
    let run = stdout(&["run", "--help"]);
    let lines: Vec<&str> = run.lines().map(str::trim).collect();
    for l in [
        "boot                                once",
        "suspend                             ibm,suspend-me (not twice)",
        "expect granted DEV N                the driver holds N vectors",
    ] {
        assert!(
            lines.contains(&l),
            "run --help lacks the line {l:?}:\n{run}"
        );
    }
    let call = stdout(&["call", "--help"]);
    let lines: Vec<&str> = call.lines().map(str::trim).collect();
    for start in [
        "token ",
        "nargs ",
        "nret ",
        "arg 1 ... arg nargs ",
        "ARG[,ARG]... ",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(start)),
            "call --help lacks a line {start:?}:\n{call}"
        );
    }
    // Two examples, two lines.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Example: ")).count(),
        2,
        "{call}"
    );
}
