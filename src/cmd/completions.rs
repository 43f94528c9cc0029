//! `pseries-sim completions`: a shell completion script made from the command definitions.

use clap_complete::Shell;
use std::process::ExitCode;

/// The command's name, as the shell sees it.
const NAME: &str = "pseries-sim";

/// Prints a shell completion script for pseries-sim: subcommands, options and the values
/// of the options that take one of a list.
///
/// Example: pseries-sim completions bash > /etc/bash_completion.d/pseries-sim
#[derive(clap::Args)]
#[command(about = "Prints a shell completion script")]
pub struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

/// The script for `shell` of the command `cmd`.
pub fn script(shell: Shell, cmd: &mut clap::Command) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, cmd, NAME, &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        Shell::Bash => bash_states_agree(&script),
        _ => script,
    }
}

/// clap_complete 4.6's bash script tracks the subcommand typed so far in `$cmd`, built
/// as `pseries__sim__subcmd__boot` (the name's hyphen as `__`), but labels its cases
/// with the whole path's hyphens as `__subcmd__` (`pseries__subcmd__sim__subcmd__boot`):
/// no case matches, and nothing past the subcommand's name completes (clap-rs/clap#6421).
/// Spells the labels as the tracking does; a script without the mistake is unchanged.
fn bash_states_agree(script: &str) -> String {
    let wrong = NAME.replace('-', "__subcmd__");
    let right = NAME.replace('-', "__");
    script.replace(&wrong, &right)
}

/// Prints the script.
pub fn run(a: CompletionsArgs, mut cmd: clap::Command) -> Result<ExitCode, super::Error> {
    let s = script(a.shell, &mut cmd);
    super::out::line(s.trim_end_matches('\n'))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_mislabelled_states_change() {
        let s = "    case \"${cmd},${i}\" in\n            pseries__sim,boot)\n                cmd=\"pseries__sim__subcmd__boot\"\n        pseries__subcmd__sim__subcmd__boot)\n";
        let fixed = bash_states_agree(s);
        assert_eq!(
            fixed.matches("pseries__sim__subcmd__boot").count(),
            2,
            "{fixed}"
        );
        assert!(!fixed.contains("pseries__subcmd__sim"), "{fixed}");
        assert_eq!(bash_states_agree(&fixed), fixed);
    }
}
