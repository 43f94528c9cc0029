//! An RTAS call as a person reads it: the service's arguments by name, BUIDs, config
//! addresses and sources in hex, the outputs by name when the call succeeded.

use std::fmt::{self, Write};

/// `args` by name, as `service` takes them; None for a service without names here.
fn named_args(service: &str, a: &[u32]) -> Option<String> {
    let buid = |hi: u32, lo: u32| (hi as u64) << 32 | lo as u64;
    let s = match (service, a) {
        // The sequence number only when it is a continuation (not the first call's 1).
        ("ibm,change-msi", [cfg, hi, lo, func, num, seq]) => format!(
            "cfg {cfg:#x} buid {:#x} func {func} num {num}{}",
            buid(*hi, *lo),
            if *seq == 1 {
                String::new()
            } else {
                format!(" seq {seq}")
            }
        ),
        ("ibm,query-interrupt-source-number", [cfg, hi, lo, i]) => {
            format!("cfg {cfg:#x} buid {:#x} vector {i}", buid(*hi, *lo))
        }
        ("ibm,read-pci-config", [cfg, hi, lo, size]) => {
            format!("cfg {cfg:#x} buid {:#x} size {size}", buid(*hi, *lo))
        }
        ("ibm,write-pci-config", [cfg, hi, lo, size, v]) => format!(
            "cfg {cfg:#x} buid {:#x} size {size} value {v:#x}",
            buid(*hi, *lo)
        ),
        ("ibm,set-xive", [src, server, prio]) => {
            format!("source {src:#x} server {server} priority {prio}")
        }
        ("ibm,get-xive" | "ibm,int-on" | "ibm,int-off", [src, ..]) => format!("source {src:#x}"),
        ("ibm,suspend-me", []) => String::new(),
        _ => return None,
    };
    Some(s)
}

/// The outputs after the status, by name, for a call that succeeded.
fn named_rets(service: &str, r: &[i64]) -> Option<String> {
    let s = match (service, r) {
        ("ibm,change-msi", [_, num, seq, ty]) => format!("num {num} seq {seq} type {ty}"),
        ("ibm,change-msi", [_, num, seq]) => format!("num {num} seq {seq}"),
        ("ibm,query-interrupt-source-number", [_, src, ty]) => {
            format!("source {src:#x} {}", if *ty == 0 { "LSI" } else { "MSI" })
        }
        ("ibm,read-pci-config", [_, v]) => format!("value {v:#x}"),
        ("ibm,get-xive", [_, server, prio]) => format!("server {server} priority {prio}"),
        (_, [_]) | (_, []) => String::new(),
        _ => return None,
    };
    Some(s)
}

/// Writes `rtas   SERVICE ARGS -> STATUS [OUTPUTS]`.
pub(super) fn write(
    f: &mut fmt::Formatter<'_>,
    service: &str,
    args: &[u32],
    rets: &[i64],
) -> fmt::Result {
    let mut line = format!("rtas   {service}");
    match named_args(service, args) {
        Some(a) if !a.is_empty() => write!(line, " {a}")?,
        Some(_) => {}
        None => write!(line, " {args:?}")?,
    }
    line.push_str(" ->");
    match rets.first() {
        None => line.push_str(" (no outputs)"),
        Some(&status) => {
            write!(line, " {status}")?;
            if status == 0 {
                match named_rets(service, rets) {
                    Some(r) if !r.is_empty() => write!(line, " {r}")?,
                    Some(_) => {}
                    None => write!(line, " {:?}", &rets[1..])?,
                }
            }
        }
    }
    f.write_str(&line)
}

#[cfg(test)]
mod tests {
    use crate::trace::Event;

    fn line(service: &str, args: &[u32], rets: &[i64]) -> String {
        Event::Rtas {
            service: service.into(),
            token: 0,
            args: args.to_vec(),
            rets: rets.to_vec(),
        }
        .to_string()
    }

    #[test]
    fn named_and_in_hex() {
        assert_eq!(
            line(
                "ibm,change-msi",
                &[0x800, 0x800_0000, 0x2000_0000, 3, 0, 1],
                &[-3, 0, 0, 0]
            ),
            "rtas   ibm,change-msi cfg 0x800 buid 0x800000020000000 func 3 num 0 -> -3"
        );
        assert_eq!(
            line("ibm,change-msi", &[0x800, 0x800_0000, 0x2000_0000, 4, 4, 1], &[0, 4, 2, 2]),
            "rtas   ibm,change-msi cfg 0x800 buid 0x800000020000000 func 4 num 4 -> 0 num 4 seq 2 type 2"
        );
        assert_eq!(
            line("ibm,query-interrupt-source-number", &[0x800, 0x800_0000, 0x2000_0000, 1], &[0, 0x10009, 1]),
            "rtas   ibm,query-interrupt-source-number cfg 0x800 buid 0x800000020000000 vector 1 -> 0 source 0x10009 MSI"
        );
        assert_eq!(
            line("ibm,set-xive", &[0x10009, 0, 5], &[0]),
            "rtas   ibm,set-xive source 0x10009 server 0 priority 5 -> 0"
        );
        assert_eq!(
            line("ibm,nope", &[1, 2], &[-3]),
            "rtas   ibm,nope [1, 2] -> -3"
        );
    }
}
