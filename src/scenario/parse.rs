//! The scenario grammar, parsed with nom; errors say file:line:column.
//!
//! ```text
//! # comment
//! machine PATH                 # DTS or DTB, relative to the scenario file
//! profile qemu|papr
//! cas xics|xive|auto
//! boot
//! negotiate ims on|off
//! negotiate change-msi-busy on|off
//! request DDDD:BB:DD.F msix|msi|ims N [min M] [start K]
//! request /node@addr msi N [min M] [start K]   # a non-PCI MSI device, by its node path
//! free DDDD:BB:DD.F
//! unbind DDDD:BB:DD.F
//! start DDDD:BB:DD.F V|all    # the driver starts a vector later (request_irq)
//! fire DDDD:BB:DD.F V
//! expect rtas-log PATH.jsonl
//! suspend
//! resume keep|renumber
//! save PATH
//! restore PATH
//! expect virqs-stable
//! expect sources-changed
//! expect granted DDDD:BB:DD.F N
//! expect request-fails DDDD:BB:DD.F
//! expect fires DDDD:BB:DD.F V
//! expect controller xics|xive
//! eeh freeze DDDD:BB:DD.F
//! eeh recover DDDD:BB:DD.F
//! expect frozen DDDD:BB:DD.F
//! fault SERVICE busy|hw-error|delay N|fewer N|status N [after N] [times M]
//! hotplug add DDDD:BB:DD.F FILE.dts   # FILE relative to the scenario file
//! hotplug remove DDDD:BB:DD.F
//! ```

use super::command::{device, number, path, Command, Step, R};
use crate::Error;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, space0, space1};
use nom::combinator::{all_consuming, map, opt, value};
use nom::sequence::{preceded, tuple};
use platform::kernel::prom_init::CasRequest;
use platform::ops::MsiType;
use rtas::cas::IntcMode;
use rtas::Profile;

fn kind(i: &str) -> R<'_, MsiType> {
    alt((
        value(MsiType::Msix, tag("msix")),
        value(MsiType::Msi, tag("msi")),
        value(MsiType::Ims, tag("ims")),
    ))(i)
}

fn on_off(i: &str) -> R<'_, bool> {
    alt((value(true, tag("on")), value(false, tag("off"))))(i)
}

/// `negotiate ims on|off` and `negotiate change-msi-busy on|off`.
fn negotiate(i: &str) -> R<'_, Command> {
    preceded(
        tuple((tag("negotiate"), space1)),
        alt((
            map(
                preceded(tuple((tag("ims"), space1)), on_off),
                Command::NegotiateIms,
            ),
            map(
                preceded(tuple((tag("change-msi-busy"), space1)), on_off),
                Command::NegotiateMsiBusy,
            ),
        )),
    )(i)
}

/// `request DEV KIND N [min M] [start K]`.
fn request(i: &str) -> R<'_, Command> {
    map(
        tuple((
            tag("request"),
            preceded(space1, device),
            preceded(space1, kind),
            preceded(space1, number),
            opt(preceded(tuple((space1, tag("min"), space1)), number)),
            opt(preceded(tuple((space1, tag("start"), space1)), number)),
        )),
        |(_, dev, kind, n, min, start)| Command::Request {
            dev,
            kind,
            n,
            min: min.unwrap_or(n),
            start,
        },
    )(i)
}

/// `start DEV V|all`.
fn start(i: &str) -> R<'_, Command> {
    map(
        tuple((
            tag("start"),
            preceded(space1, device),
            preceded(space1, alt((map(number, Some), value(None, tag("all"))))),
        )),
        |(_, d, v)| Command::Start(d, v),
    )(i)
}

fn command(i: &str) -> R<'_, Command> {
    alt((
        alt((
            super::parse_eeh::eeh_command,
            super::parse_fault::fault_command,
            super::parse_hotplug::hotplug_command,
            start,
        )),
        map(
            preceded(tuple((tag("machine"), space1)), path),
            Command::Machine,
        ),
        map(
            preceded(
                tuple((tag("profile"), space1)),
                alt((
                    value(Profile::Qemu, tag("qemu")),
                    value(Profile::Papr, tag("papr")),
                )),
            ),
            Command::Profile,
        ),
        map(
            preceded(
                tuple((tag("cas"), space1)),
                alt((
                    value(CasRequest::Xics, tag("xics")),
                    value(CasRequest::Xive, tag("xive")),
                    value(CasRequest::Auto, tag("auto")),
                )),
            ),
            Command::Cas,
        ),
        negotiate,
        value(Command::Boot, tag("boot")),
        map(
            preceded(
                tuple((tag("expect"), space1, tag("controller"), space1)),
                alt((
                    value(IntcMode::Xics, tag("xics")),
                    value(IntcMode::Xive, tag("xive")),
                )),
            ),
            Command::ExpectController,
        ),
        request,
        map(
            preceded(tuple((tag("free"), space1)), device),
            Command::Free,
        ),
        map(
            preceded(tuple((tag("unbind"), space1)), device),
            Command::Unbind,
        ),
        map(
            tuple((
                tag("fire"),
                preceded(space1, device),
                preceded(space1, number),
            )),
            |(_, d, v)| Command::Fire(d, v),
        ),
        map(
            preceded(
                tuple((tag("expect"), space1, tag("rtas-log"), space1)),
                path,
            ),
            Command::ExpectRtasLog,
        ),
        value(
            Command::ExpectVirqsStable,
            tuple((tag("expect"), space1, tag("virqs-stable"))),
        ),
        value(
            Command::ExpectSourcesChanged,
            tuple((tag("expect"), space1, tag("sources-changed"))),
        ),
        map(
            tuple((
                tag("expect"),
                space1,
                tag("granted"),
                preceded(space1, device),
                preceded(space1, number),
            )),
            |(_, _, _, d, n)| Command::ExpectGranted(d, n),
        ),
        map(
            preceded(
                tuple((tag("expect"), space1, tag("request-fails"), space1)),
                device,
            ),
            Command::ExpectRequestFails,
        ),
        map(
            tuple((
                tag("expect"),
                space1,
                tag("fires"),
                preceded(space1, device),
                preceded(space1, number),
            )),
            |(_, _, _, d, v)| Command::ExpectFires(d, v),
        ),
        value(Command::Suspend, tag("suspend")),
        map(
            preceded(
                tuple((tag("resume"), space1)),
                alt((
                    value(platform::ops::ResumeMode::Keep, tag("keep")),
                    value(platform::ops::ResumeMode::Renumber, tag("renumber")),
                )),
            ),
            Command::Resume,
        ),
        map(preceded(tuple((tag("save"), space1)), path), Command::Save),
        map(
            preceded(tuple((tag("restore"), space1)), path),
            Command::Restore,
        ),
    ))(i)
}

fn line(i: &str) -> R<'_, Option<Command>> {
    let comment = |i| -> R<'_, ()> { value((), tuple((char('#'), nom::combinator::rest)))(i) };
    all_consuming(map(
        tuple((space0, opt(command), space0, opt(comment))),
        |(_, c, _, _)| c,
    ))(i)
}

/// The column (from 1) of the word of a line that is the device `dev` (as parsed: a PCI
/// name in lower case); 1 if none is.
fn column_of(raw: &str, dev: &str) -> usize {
    let mut off = 0;
    for w in raw.split(char::is_whitespace) {
        if w.get(..dev.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(dev))
        {
            return raw[..off].chars().count() + 1;
        }
        off += w.len()
            + raw[off + w.len()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
    }
    1
}

/// Parses a scenario; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Vec<Step>, Error> {
    let mut steps = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        match line(raw) {
            Ok((_, Some(cmd))) => {
                let dev = cmd.device().or(cmd.added());
                let dev_col = dev.map_or(1, |d| column_of(raw, d));
                steps.push(Step {
                    line: n + 1,
                    cmd,
                    dev_col,
                })
            }
            Ok((_, None)) => {}
            Err(e) => {
                let rest = match &e {
                    nom::Err::Error(x) | nom::Err::Failure(x) => x.input,
                    nom::Err::Incomplete(_) => "",
                };
                let trimmed = raw.trim_start();
                let word = trimmed.split_whitespace().next().unwrap_or("");
                // Point at the first token that is wrong, else where parsing stopped.
                let at = match super::parse_errors::bad_token(raw) {
                    Some(at) => at,
                    None if rest.len() >= trimmed.len() => raw.len() - trimmed.len(),
                    None => raw.len() - rest.len(),
                };
                return Err(Error::Scenario {
                    file: file.to_string(),
                    line: n + 1,
                    col: raw[..at].chars().count() + 1,
                    msg: format!("expected {}", super::parse_errors::expected(word)),
                });
            }
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each text fails to parse at its `f:LINE:COL:`, saying what the command expects.
    fn refused_at(cases: &[(&str, &str)], usage: &str) {
        for (text, at) in cases {
            let e = parse(text, "f").unwrap_err().to_string();
            assert!(e.starts_with(at) && e.contains(usage), "{text:?}: {e}");
        }
    }

    #[test]
    fn commands() {
        let s = parse(
            "# c\nmachine a.dtb\nprofile qemu\nboot  # go\nrequest 0000:00:01.0 msix 3\nrequest 0001:00:02.0 msi 4 min 2\nfree 0000:00:03.0\nfire 0000:00:01.0 2\nexpect rtas-log x.jsonl\n\n",
            "s",
        )
        .unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(
            s[0],
            Step {
                line: 2,
                cmd: Command::Machine("a.dtb".into()),
                dev_col: 1,
            }
        );
        assert_eq!(s[5].dev_col, 6, "free's device");
        let t = parse(
            "\t expect fires  0000:00:0A.0 2\nhotplug add 0000:00:10.0 f.dts\n",
            "s",
        );
        let cols: Vec<usize> = t.unwrap().iter().map(|s| s.dev_col).collect();
        assert_eq!(cols, [17, 13]);
        assert_eq!(
            s[3].cmd,
            Command::Request {
                dev: "0000:00:01.0".into(),
                kind: MsiType::Msix,
                n: 3,
                min: 3,
                start: None,
            }
        );
        assert_eq!(
            s[4].cmd,
            Command::Request {
                dev: "0001:00:02.0".into(),
                kind: MsiType::Msi,
                n: 4,
                min: 2,
                start: None,
            }
        );
        assert_eq!(s[6].cmd, Command::Fire("0000:00:01.0".into(), 2));
        let s = parse("cas xics\nboot\nexpect controller xive\n", "s").unwrap();
        assert_eq!(s[0].cmd, Command::Cas(CasRequest::Xics));
        assert_eq!(s[2].cmd, Command::ExpectController(IntcMode::Xive));
        let e = parse("cas xyz\n", "f").unwrap_err().to_string();
        assert!(
            e.starts_with("f:1:5:") && e.contains("cas xics|xive|auto"),
            "{e}"
        );
        let e = parse("expect controller mpic\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:19:"), "{e}");
    }

    #[test]
    fn errors_say_where() {
        let e = parse("boot\nrequest 0000:00:01.0 msiy 3\n", "f.scenario")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.scenario:2:"), "{e}");
        assert!(e.contains("request DDDD:BB:DD.F"), "{e}");
        let e = parse("  frob\n", "f").unwrap_err().to_string();
        assert!(e.starts_with("f:1:3:"), "{e}");
        assert!(parse("request 0000:00:1.0 msix 3", "f").is_err());
        assert!(parse("fire 0000:00:01.0", "f").is_err());
    }

    #[test]
    fn request_says_which_vectors_its_driver_starts() {
        let s = parse(
            "request 0000:00:01.0 msix 4 start 1\nrequest 0000:00:02.0 msix 4 min 2 start 0 # later\nrequest /hpet@f0000000 msi 2 start 2\n",
            "s",
        )
        .unwrap();
        let starts: Vec<Option<u32>> = s
            .iter()
            .map(|s| match s.cmd {
                Command::Request { start, .. } => start,
                _ => None,
            })
            .collect();
        assert_eq!(starts, [Some(1), Some(0), Some(2)]);
        assert!(matches!(s[1].cmd, Command::Request { min: 2, .. }));
        for (text, at) in [
            ("request 0000:00:01.0 msix 4 start\n", "f:1:34:"),
            ("request 0000:00:01.0 msix 4 start x\n", "f:1:35:"),
            ("request 0000:00:01.0 msix 4 start 1 min 2\n", "f:1:37:"),
        ] {
            let e = parse(text, "f").unwrap_err().to_string();
            assert!(
                e.starts_with(at) && e.contains("[start K]"),
                "{text:?}: {e}"
            );
        }
    }

    #[test]
    fn start_names_a_vector_or_all() {
        let s = parse(
            "start 0000:00:01.0 1\n  start  0000:00:0A.0 all # opened\nstart /hpet@f0000000 0x2\n",
            "s",
        )
        .unwrap();
        let cmds: Vec<&Command> = s.iter().map(|s| &s.cmd).collect();
        assert_eq!(
            cmds,
            [
                &Command::Start("0000:00:01.0".into(), Some(1)),
                &Command::Start("0000:00:0a.0".into(), None),
                &Command::Start("/hpet@f0000000".into(), Some(2)),
            ]
        );
        let cols: Vec<usize> = s.iter().map(|s| s.dev_col).collect();
        assert_eq!(cols, [7, 10, 7]);
        refused_at(
            &[
                ("start 0000:00:01.0\n", "f:1:19:"),
                ("start 0000:00:01.0 some\n", "f:1:20:"),
                ("start 0000:00:01.0 -1\n", "f:1:20:"),
                ("boot\nstart 0000:00:1.0 1\n", "f:2:7:"),
                ("start all\n", "f:1:7:"),
                ("start 0000:00:01.0 1 2\n", "f:1:22:"),
            ],
            "expected start DDDD:BB:DD.F V|all",
        );
        let e = parse("started 0000:00:01.0 1\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fire, start, suspend"), "{e}");
    }

    #[test]
    fn negotiate_ims_and_change_msi_busy() {
        let s = parse(
            "negotiate ims on\nnegotiate change-msi-busy on\nnegotiate change-msi-busy off # as Linux\n",
            "s",
        )
        .unwrap();
        assert_eq!(s[0].cmd, Command::NegotiateIms(true));
        assert_eq!(s[1].cmd, Command::NegotiateMsiBusy(true));
        assert_eq!(s[2].cmd, Command::NegotiateMsiBusy(false));
        refused_at(
            &[
                ("negotiate change-msi-busy yes\n", "f:1:27:"),
                ("negotiate busy on\n", "f:1:11:"),
                ("negotiate change-msi-busy\n", "f:1:26:"),
            ],
            "negotiate change-msi-busy on|off",
        );
    }

    #[test]
    fn unbind_takes_a_device_as_free_does() {
        let s = parse("unbind 0000:00:0A.1\nunbind /hpet@f0000000 # detach\n", "s").unwrap();
        assert_eq!(s[0].cmd, Command::Unbind("0000:00:0a.1".into()));
        assert_eq!(s[1].cmd, Command::Unbind("/hpet@f0000000".into()));
        refused_at(
            &[
                ("boot\nunbind 0000:00:1.0\n", "f:2:8:"),
                ("unbind\n", "f:1:7:"),
                ("  unbind 0000:00:01.0 now\n", "f:1:23:"),
            ],
            "expected unbind DDDD:BB:DD.F",
        );
        let e = parse("unbound 0000:00:01.0\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("free, unbind, fire"), "{e}");
    }
}
