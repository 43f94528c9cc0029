//! The hotplug lines of the scenario grammar: `hotplug add DDDD:BB:DD.F FILE.dts`,
//! `hotplug remove DEV`.

use super::command::{device, path, Command, R};
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::space1;
use nom::combinator::map;
use nom::sequence::{preceded, tuple};

/// One hotplug line.
pub(super) fn hotplug_command(i: &str) -> R<'_, Command> {
    alt((
        map(
            tuple((
                tag("hotplug"),
                space1,
                tag("add"),
                preceded(space1, device),
                preceded(space1, path),
            )),
            |(_, _, _, dev, file)| Command::HotplugAdd { dev, file },
        ),
        map(
            preceded(
                tuple((tag("hotplug"), space1, tag("remove"), space1)),
                device,
            ),
            Command::HotplugRemove,
        ),
    ))(i)
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn hotplug_lines() {
        let s = parse(
            "hotplug add 0000:00:05.0 nic.dts # in\nhotplug remove 0000:00:05.0\n",
            "s",
        )
        .unwrap();
        assert_eq!(
            s[0].cmd,
            Command::HotplugAdd {
                dev: "0000:00:05.0".into(),
                file: "nic.dts".into()
            }
        );
        assert_eq!(s[1].cmd, Command::HotplugRemove("0000:00:05.0".into()));
        let e = parse("hotplug plug 0000:00:05.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("f:1:9:") && e.contains("hotplug add DDDD:BB:DD.F FILE.dts"),
            "{e}"
        );
        let e = parse("hotplug add 0000:00:05.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:25:"), "{e}");
        let e = parse("hotplug remove 0000:0:05.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:16:"), "{e}");
    }
}
