//! The `fault` line of the scenario grammar: what the firmware answers at a named RTAS
//! call, `fault SERVICE busy|hw-error|delay N|fewer N|status N [after N] [times M]`.

use super::command::{Command, R};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1};
use nom::character::complete::{char, digit1, space1};
use nom::combinator::{map, map_opt, map_res, opt, recognize};
use nom::sequence::{pair, preceded, tuple};
use rtas::faults::{Fault, FaultRule};
use rtas::Service;

fn count(i: &str) -> R<'_, u32> {
    map_res(digit1, str::parse::<u32>)(i)
}

fn signed(i: &str) -> R<'_, i32> {
    map_res(recognize(pair(opt(char('-')), digit1)), str::parse::<i32>)(i)
}

fn service(i: &str) -> R<'_, Service> {
    map_opt(
        take_till1(|c: char| c.is_whitespace() || c == '#'),
        Service::from_name,
    )(i)
}

fn kind(i: &str) -> R<'_, Fault> {
    alt((
        map(tag("busy"), |_| Fault::Busy),
        map(tag("hw-error"), |_| Fault::HwError),
        map_opt(preceded(tuple((tag("delay"), space1)), count), |n| {
            (n <= 5).then_some(Fault::Delay(n as u8))
        }),
        map(preceded(tuple((tag("fewer"), space1)), count), Fault::Fewer),
        map(
            preceded(tuple((tag("status"), space1)), signed),
            Fault::Status,
        ),
    ))(i)
}

/// `fault SERVICE KIND [after N] [times M]`: after N calls of the service (default 0),
/// the next M (default 1) get the fault.
pub(super) fn fault_command(i: &str) -> R<'_, Command> {
    map(
        tuple((
            tag("fault"),
            preceded(space1, service),
            preceded(space1, kind),
            opt(preceded(tuple((space1, tag("after"), space1)), count)),
            opt(preceded(tuple((space1, tag("times"), space1)), count)),
        )),
        |(_, s, f, after, times)| {
            Command::Fault(FaultRule::new(s, after.unwrap_or(0), times.unwrap_or(1), f))
        },
    )(i)
}

/// The byte offset of the first token after `fault` that the line cannot take (the
/// end of the line when one is missing; None when every token fits).
pub(super) fn bad_fault_token(code: &str, rest: &[(usize, &str)]) -> Option<usize> {
    let end = code.trim_end().len();
    let is_count = |t: &str| t.bytes().all(|b| b.is_ascii_digit()) && t.parse::<u32>().is_ok();
    // Walk the tokens: service, kind, its argument, then `after N` and `times M`.
    let Some(&(at, svc)) = rest.first() else {
        return Some(end);
    };
    if Service::from_name(svc).is_none() {
        return Some(at);
    }
    let Some(&(at, word)) = rest.get(1) else {
        return Some(end);
    };
    let arg: Option<fn(&str) -> bool> = match word {
        "busy" | "hw-error" => None,
        "delay" => Some(|t| t.parse::<u8>().is_ok_and(|d| d <= 5) && !t.starts_with('+')),
        "fewer" => Some(|t| t.bytes().all(|b| b.is_ascii_digit()) && t.parse::<u32>().is_ok()),
        "status" => Some(|t| {
            let d = t.strip_prefix('-').unwrap_or(t);
            !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && t.parse::<i32>().is_ok()
        }),
        _ => return Some(at),
    };
    let mut i = 2;
    if let Some(ok) = arg {
        match rest.get(i) {
            None => return Some(end),
            Some(&(at, t)) if !ok(t) => return Some(at),
            _ => i += 1,
        }
    }
    for key in ["after", "times"] {
        match rest.get(i) {
            None => return None,
            Some(&(_, t)) if t == key => match rest.get(i + 1) {
                None => return Some(end),
                Some(&(at, n)) if !is_count(n) => return Some(at),
                _ => i += 2,
            },
            Some(_) => {}
        }
    }
    rest.get(i).map(|&(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn fault_lines() {
        let s = parse(
            "fault ibm,change-msi busy after 2 times 3\nfault ibm,configure-pe delay 1\nfault ibm,set-slot-reset status -9001 times 2 # x\nfault ibm,change-msi fewer 2\nfault ibm,read-slot-reset-state2 hw-error\n",
            "s",
        )
        .unwrap();
        assert_eq!(
            s[0].cmd,
            Command::Fault(FaultRule::new(Service::ChangeMsi, 2, 3, Fault::Busy))
        );
        assert_eq!(
            s[1].cmd,
            Command::Fault(FaultRule::new(Service::ConfigurePe, 0, 1, Fault::Delay(1)))
        );
        assert_eq!(
            s[2].cmd,
            Command::Fault(FaultRule::new(
                Service::SetSlotReset,
                0,
                2,
                Fault::Status(-9001)
            ))
        );
        assert_eq!(
            s[3].cmd,
            Command::Fault(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Fewer(2)))
        );
        let e = parse("fault ibm,nope busy\n", "f").unwrap_err().to_string();
        assert!(
            e.starts_with("f:1:7:") && e.contains("fault SERVICE"),
            "{e}"
        );
        let e = parse("fault ibm,change-msi sleepy\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:22:"), "{e}");
        let e = parse("fault ibm,change-msi delay 6\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:28:"), "{e}");
        let e = parse("fault ibm,change-msi busy after\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:32:"), "{e}");
    }
}
