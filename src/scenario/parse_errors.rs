//! Where a scenario line that does not parse goes wrong: the first token its command
//! does not take, and what the command expects (for the file:line:column error).

use super::command::{device, number, R};
use nom::combinator::all_consuming;

/// What each command expects, for error messages.
pub(super) fn expected(word: &str) -> &'static str {
    match word {
        "machine" => "machine PATH",
        "profile" => "profile qemu|papr",
        "boot" => "boot",
        "cas" => "cas xics|xive|auto",
        "negotiate" => "negotiate ims on|off or negotiate change-msi-busy on|off",
        "request" => "request DDDD:BB:DD.F msix|msi|ims N [min M] [start K] (or a node path for a non-PCI device)",
        "free" => "free DDDD:BB:DD.F",
        "unbind" => "unbind DDDD:BB:DD.F",
        "fire" => "fire DDDD:BB:DD.F V",
        "start" => "start DDDD:BB:DD.F V|all",
        "expect" => "expect rtas-log PATH, expect virqs-stable, expect sources-changed, expect granted DEV N, expect request-fails DEV, expect fires DEV V, expect frozen DEV or expect controller xics|xive",
        "eeh" => "eeh freeze|recover DDDD:BB:DD.F",
        "fault" => "fault SERVICE busy|hw-error|delay N|fewer N|status N [after N] [times M] (SERVICE an RTAS service's name, delay 0..5)",
        "hotplug" => "hotplug add DDDD:BB:DD.F FILE.dts or hotplug remove DDDD:BB:DD.F",
        "suspend" => "suspend",
        "resume" => "resume keep|renumber",
        "save" => "save PATH",
        "restore" => "restore PATH",
        _ => "a command: machine, profile, cas, negotiate, boot, request, free, unbind, fire, start, suspend, resume, save, restore, eeh, fault, hotplug or expect",
    }
}

/// The byte offset of the first token of a line that its command does not take (the
/// end of the line when one is missing); None when the command is unknown.
pub(super) fn bad_token(raw: &str) -> Option<usize> {
    let code = raw.split('#').next().unwrap_or("");
    let mut toks = Vec::new();
    let mut start = None;
    for (i, c) in code.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                toks.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        toks.push((s, &code[s..]));
    }
    let whole = |p: fn(&str) -> R<'_, String>, t: &str| all_consuming(p)(t).is_ok();
    let is_dev = |t: &str| whole(device, t);
    let is_num = |t: &str| all_consuming(number)(t).is_ok();
    let is_kind = |t: &str| matches!(t, "msi" | "msix" | "ims");
    let any = |_: &str| true;
    type Check<'c> = &'c dyn Fn(&str) -> bool;
    let is_min = |t: &str| t == "min";
    let is_start = |t: &str| t == "start";
    let is_min_or_start = |t: &str| t == "min" || t == "start";
    let is_num_or_all = |t: &str| t == "all" || is_num(t);
    let (&(_, word), rest) = toks.split_first()?;
    let want: Vec<Check> = match word {
        "machine" | "save" | "restore" => vec![&any],
        "profile" => vec![&|t: &str| t == "qemu" || t == "papr"],
        "cas" => vec![&|t: &str| matches!(t, "xics" | "xive" | "auto")],
        "boot" | "suspend" => vec![],
        "negotiate" => vec![
            &|t: &str| t == "ims" || t == "change-msi-busy",
            &|t: &str| t == "on" || t == "off",
        ],
        "request" => {
            let mut v: Vec<Check> = vec![&is_dev, &is_kind, &is_num];
            match rest.get(3).map(|t| t.1) {
                None => {}
                Some("min") if rest.len() > 5 => {
                    v.extend::<[Check; 4]>([&is_min, &is_num, &is_start, &is_num])
                }
                Some("min") => v.extend::<[Check; 2]>([&is_min, &is_num]),
                Some(_) => v.extend::<[Check; 2]>([&is_min_or_start, &is_num]),
            }
            v
        }
        "free" | "unbind" => vec![&is_dev],
        "fire" => vec![&is_dev, &is_num],
        "start" => vec![&is_dev, &is_num_or_all],
        "eeh" => vec![&|t: &str| t == "freeze" || t == "recover", &is_dev],
        "fault" => return super::parse_fault::bad_fault_token(code, rest),
        "hotplug" => match rest.first().map(|t| t.1) {
            Some("add") => vec![&any, &is_dev, &any],
            Some("remove") => vec![&any, &is_dev],
            _ => vec![&|_: &str| false],
        },
        "resume" => vec![&|t: &str| t == "keep" || t == "renumber"],
        "expect" => match rest.first().map(|t| t.1) {
            Some("rtas-log") => vec![&any, &any],
            Some("virqs-stable") | Some("sources-changed") => vec![&any],
            Some("granted") | Some("fires") => vec![&any, &is_dev, &is_num],
            Some("request-fails") | Some("frozen") => vec![&any, &is_dev],
            Some("controller") => vec![&any, &|t: &str| t == "xics" || t == "xive"],
            _ => vec![&|_: &str| false],
        },
        _ => return None,
    };
    for (i, check) in want.iter().enumerate() {
        match rest.get(i) {
            Some(&(at, t)) if !check(t) => return Some(at),
            None => return Some(code.trim_end().len()),
            _ => {}
        }
    }
    rest.get(want.len()).map(|&(at, _)| at)
}
