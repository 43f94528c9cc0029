//! A generated scenario as data: how the machine is set up (profile, CAS, tree edits)
//! and the action lines after `boot`, with the hotplug DTS files they name; written out
//! as a scenario file of the language and the files beside it.

use super::tree_edit::TreeEdit;
use crate::scenario::{Command, Step};
use platform::kernel::prom_init::CasRequest;
use rtas::Profile;
use std::path::{Path, PathBuf};

/// The name every file of a case starts with while it is explored; a written case
/// takes its output's name instead (see [`Case::renamed`]).
pub const STEM: &str = "explore";

/// What comes before `boot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// `profile`.
    pub profile: Profile,
    /// `cas`, when not the default.
    pub cas: Option<CasRequest>,
    /// `negotiate change-msi-busy on`.
    pub msi_busy: bool,
    /// How the machine's tree is changed.
    pub edits: Vec<TreeEdit>,
}

/// A scenario: the set-up, the actions after `boot`, and the files they name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Before `boot`.
    pub setup: Setup,
    /// The lines after `boot`.
    pub actions: Vec<Command>,
    /// Files the actions name (hotplug DTS): name, text.
    pub files: Vec<(String, String)>,
}

impl Case {
    /// The scenario's steps, the machine being `machine` (relative to the scenario),
    /// numbered as [`Case::text`] numbers its lines after `header` lines.
    pub fn steps(&self, machine: &str, header: usize) -> Vec<Step> {
        let s = &self.setup;
        let mut cmds = vec![
            Command::Machine(machine.to_string()),
            Command::Profile(s.profile),
        ];
        cmds.extend(s.cas.map(Command::Cas));
        if s.msi_busy {
            cmds.push(Command::NegotiateMsiBusy(true));
        }
        cmds.push(Command::Boot);
        cmds.extend(self.actions.iter().cloned());
        cmds.into_iter()
            .enumerate()
            .map(|(i, cmd)| Step {
                line: header + i + 1,
                cmd,
                dev_col: 1,
            })
            .collect()
    }

    /// The scenario file's text: `header` as comment lines, then the steps.
    pub fn text(&self, machine: &str, header: &[String]) -> String {
        let mut out: String = header.iter().map(|h| format!("# {h}\n")).collect();
        for s in self.steps(machine, header.len()) {
            out.push_str(&format!("{}\n", s.cmd));
        }
        out
    }

    /// The same case with its files named after `stem` instead of [`STEM`].
    pub fn renamed(&self, stem: &str) -> Case {
        let re = |p: &str| match p.strip_prefix(STEM) {
            Some(rest) => format!("{stem}{rest}"),
            None => p.to_string(),
        };
        let mut c = self.clone();
        for a in &mut c.actions {
            match a {
                Command::Save(p) | Command::Restore(p) => *p = re(p),
                Command::HotplugAdd { file, .. } => *file = re(file),
                _ => {}
            }
        }
        for (name, _) in &mut c.files {
            *name = re(name);
        }
        c
    }

    /// Writes the files the actions name into `dir`.
    pub fn write_files(&self, dir: &Path) -> std::io::Result<()> {
        for (name, text) in &self.files {
            std::fs::write(dir.join(name), text)?;
        }
        Ok(())
    }

    /// The state files its `save` lines write, in `dir`.
    pub fn state_files(&self, dir: &Path) -> Vec<PathBuf> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Command::Save(p) => Some(dir.join(p)),
                _ => None,
            })
            .collect()
    }

    /// Whether every `restore` comes after a `save` of its file (else it would read
    /// what an earlier run left).
    pub fn well_formed(&self) -> bool {
        let mut saved: Vec<&str> = Vec::new();
        for a in &self.actions {
            match a {
                Command::Save(p) => saved.push(p),
                Command::Restore(p) if !saved.contains(&p.as_str()) => return false,
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn case() -> Case {
        Case {
            setup: Setup {
                profile: Profile::Qemu,
                cas: Some(CasRequest::Xics),
                msi_busy: true,
                edits: Vec::new(),
            },
            actions: vec![
                Command::Save(format!("{STEM}.state")),
                Command::HotplugAdd {
                    dev: "0000:00:00.0".into(),
                    file: format!("{STEM}-hotplug-1.dts"),
                },
                Command::Restore(format!("{STEM}.state")),
            ],
            files: vec![(format!("{STEM}-hotplug-1.dts"), "/dts-v1/; / { };".into())],
        }
    }

    #[test]
    fn the_text_parses_back_to_the_steps() {
        let c = case();
        let text = c.text("m.dts", &["a header".into()]);
        assert!(text.starts_with("# a header\nmachine m.dts\nprofile qemu\ncas xics\n"));
        // Lines and commands alike (the parser also notes the device's column).
        let plain = |v: Vec<Step>| -> Vec<(usize, Command)> {
            v.into_iter().map(|s| (s.line, s.cmd)).collect()
        };
        assert_eq!(
            plain(parse(&text, "t").unwrap()),
            plain(c.steps("m.dts", 1))
        );
    }

    #[test]
    fn renaming_moves_every_file_name() {
        let c = case().renamed("min");
        assert_eq!(c.actions[0], Command::Save("min.state".into()));
        assert_eq!(c.files[0].0, "min-hotplug-1.dts");
        assert!(
            matches!(&c.actions[1], Command::HotplugAdd { file, .. } if file == "min-hotplug-1.dts")
        );
    }

    #[test]
    fn a_restore_needs_its_save_first() {
        let mut c = case();
        assert!(c.well_formed());
        c.actions.remove(0);
        assert!(!c.well_formed());
    }
}
