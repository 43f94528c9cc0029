//! The devices a scenario names, checked against the machine's once it has booted
//! (before any of the trace is shown), and the message for a name that is none of them.

use super::super::command::Step;
use super::Runner;
use crate::Error;
use platform::kernel::Kernel;

/// Up to this many devices, a message lists them all; beyond, the nearest names.
const LIST_ALL: usize = 16;
/// How many nearest names a message gives on a larger machine.
const NEAREST: usize = 5;

impl Runner<'_> {
    /// Every device a line names exists on the booted machine, or a `hotplug add` line
    /// of the scenario adds it; else the first line naming another fails, at the name.
    pub(super) fn check_names(&self) -> Result<(), Error> {
        let Some(k) = &self.kernel else {
            return Ok(());
        };
        let added: Vec<&str> = self.steps.iter().filter_map(|s| s.cmd.added()).collect();
        for s in &self.steps {
            let Some(dev) = s.cmd.device() else {
                continue;
            };
            if k.device(dev).is_err() && !added.contains(&dev) {
                return Err(self.no_device(s, k, dev));
            }
        }
        Ok(())
    }

    /// "no device X" at the line and column where X is named, with the machine's
    /// devices.
    pub(super) fn no_device(&self, step: &Step, k: &Kernel, dev: &str) -> Error {
        Error::Scenario {
            file: self.file.clone(),
            line: step.line,
            col: step.dev_col,
            msg: format!("no device {dev}: {}", known(k, dev)),
        }
    }
}

/// The devices that exist, or on a large machine the names nearest `dev`.
fn known(k: &Kernel, dev: &str) -> String {
    let mut names: Vec<&str> = k
        .devices
        .iter()
        .filter(|d| !d.removed)
        .map(|d| d.name.as_str())
        .collect();
    match names.len() {
        0 => "the machine has no devices".into(),
        n if n <= LIST_ALL => format!("the machine has {}", and_list(&names)),
        n => {
            names.sort_by_key(|name| (distance(name, dev), *name));
            names.truncate(NEAREST);
            format!(
                "the machine has {n} devices, the nearest {}",
                and_list(&names)
            )
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [most @ .., last] => format!("{} and {last}", most.join(", ")),
    }
}

/// Levenshtein distance between two names, by character.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_and_measured() {
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(distance("0000:00:01.0", "0000:00:01.0"), 0);
        assert_eq!(distance("0000:00:09.0", "0000:00:01.0"), 1);
        assert_eq!(distance("0001:00:02.0", "0000:00:01.0"), 2);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
