//! The EEH lines of the scenario grammar: `eeh freeze DEV`, `eeh recover DEV`,
//! `expect frozen DEV`.

use super::command::{device, Command, R};
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::space1;
use nom::combinator::map;
use nom::sequence::{preceded, tuple};

/// One EEH line.
pub(super) fn eeh_command(i: &str) -> R<'_, Command> {
    alt((
        map(
            preceded(tuple((tag("eeh"), space1, tag("freeze"), space1)), device),
            Command::EehFreeze,
        ),
        map(
            preceded(tuple((tag("eeh"), space1, tag("recover"), space1)), device),
            Command::EehRecover,
        ),
        map(
            preceded(
                tuple((tag("expect"), space1, tag("frozen"), space1)),
                device,
            ),
            Command::ExpectFrozen,
        ),
    ))(i)
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn eeh_lines() {
        let s = parse(
            "eeh freeze 0000:00:01.0\nexpect frozen 0000:00:01.0\neeh recover 0000:00:01.0 # go\n",
            "s",
        )
        .unwrap();
        assert_eq!(s[0].cmd, Command::EehFreeze("0000:00:01.0".into()));
        assert_eq!(s[1].cmd, Command::ExpectFrozen("0000:00:01.0".into()));
        assert_eq!(s[2].cmd, Command::EehRecover("0000:00:01.0".into()));
        let e = parse("eeh thaw 0000:00:01.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("f:1:5:") && e.contains("eeh freeze|recover"),
            "{e}"
        );
        let e = parse("eeh recover 0000:00:1.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:13:"), "{e}");
        let e = parse("expect frozen\n", "f").unwrap_err().to_string();
        assert!(
            e.starts_with("f:1:14:") && e.contains("expect frozen DEV"),
            "{e}"
        );
    }
}
