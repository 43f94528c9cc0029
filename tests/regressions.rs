//! fixtures/regressions: every scenario passes with each client its `# Runs on:` line
//! names (`model`, `linux:6.1 msi.c`, `Debian X.Y` trees), and names at least one real one.

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{project, sim, text, tree};

/// The `--client` specs a `# Runs on:` line names.
fn clients(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in line.split([',', ' ']).filter(|w| !w.is_empty()) {
        match item {
            "model" => out.push("model".to_string()),
            "linux:6.1" => out.push(format!(
                "linux:{}",
                tree("6.1")
                    .join("arch/powerpc/platforms/pseries/msi.c")
                    .display()
            )),
            v if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                out.push(format!("linux:{}", tree(v).display()))
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_regression_scenario_passes_on_the_clients_it_names() {
    let dir = project().join("fixtures/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scenario"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the seam's three regressions at least");
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap();
        let line = body
            .lines()
            .find_map(|l| l.strip_prefix("# Runs on:"))
            .unwrap_or_else(|| panic!("{}: no `# Runs on:` line", f.display()));
        let specs = clients(line);
        assert!(
            specs.iter().filter(|s| s.starts_with("linux:")).count() >= 2,
            "{}: runs on real code: {line}",
            f.display()
        );
        for spec in specs {
            let o = sim(&["run", &f.display().to_string(), "--client", &spec]);
            assert!(
                o.status.success(),
                "{} with {spec}:\n{}",
                f.display(),
                text(&o)
            );
        }
    }
}
