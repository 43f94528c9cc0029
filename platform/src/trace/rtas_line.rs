//! An RTAS call as a person reads it: the service's arguments by name, BUIDs, config
//! addresses and sources in hex, the outputs by name when the call succeeded. Written
//! straight to the formatter, with no string built on the way.

use super::num::{Dec, Hex};
use std::fmt::{self, Write};

/// Writes ` ARGS` by name, as `service` takes them; false (nothing written) for a
/// service without names here.
fn named_args(f: &mut impl Write, service: &str, a: &[u32]) -> Result<bool, fmt::Error> {
    let buid = |hi: u32, lo: u32| Hex((hi as u64) << 32 | lo as u64);
    let (h, d) = (|v: &u32| Hex(*v as u64), |v: &u32| Dec(*v as i64));
    match (service, a) {
        // The sequence number only when it is a continuation (not the first call's 1).
        ("ibm,change-msi", [cfg, hi, lo, func, num, seq]) => {
            let (cfg, buid, func, num) = (h(cfg), buid(*hi, *lo), d(func), d(num));
            write!(f, " cfg {cfg} buid {buid} func {func} num {num}")?;
            if *seq != 1 {
                write!(f, " seq {}", d(seq))?;
            }
        }
        ("ibm,query-interrupt-source-number", [cfg, hi, lo, i]) => {
            write!(f, " cfg {} buid {} vector {}", h(cfg), buid(*hi, *lo), d(i))?
        }
        ("ibm,read-pci-config", [cfg, hi, lo, size]) => write!(
            f,
            " cfg {} buid {} size {}",
            h(cfg),
            buid(*hi, *lo),
            d(size)
        )?,
        ("ibm,write-pci-config", [cfg, hi, lo, size, v]) => write!(
            f,
            " cfg {} buid {} size {} value {}",
            h(cfg),
            buid(*hi, *lo),
            d(size),
            h(v)
        )?,
        ("ibm,set-xive", [src, server, prio]) => write!(
            f,
            " source {} server {} priority {}",
            h(src),
            d(server),
            d(prio)
        )?,
        ("ibm,get-xive" | "ibm,int-on" | "ibm,int-off", [src, ..]) => {
            write!(f, " source {}", h(src))?
        }
        ("ibm,suspend-me", []) => {}
        _ => return Ok(false),
    }
    Ok(true)
}

/// Writes ` OUTPUTS` after the status, by name, for a call that succeeded; false
/// (nothing written) for outputs without names here.
fn named_rets(f: &mut impl Write, service: &str, r: &[i64]) -> Result<bool, fmt::Error> {
    match (service, r) {
        ("ibm,change-msi", [_, num, seq, ty]) => {
            write!(f, " num {} seq {} type {}", Dec(*num), Dec(*seq), Dec(*ty))?
        }
        ("ibm,change-msi", [_, num, seq]) => write!(f, " num {} seq {}", Dec(*num), Dec(*seq))?,
        ("ibm,query-interrupt-source-number", [_, src, ty]) => {
            let kind = if *ty == 0 { "LSI" } else { "MSI" };
            write!(f, " source {} {kind}", Hex(*src as u64))?
        }
        ("ibm,read-pci-config", [_, v]) => write!(f, " value {}", Hex(*v as u64))?,
        ("ibm,get-xive", [_, server, prio]) => {
            write!(f, " server {} priority {}", Dec(*server), Dec(*prio))?
        }
        (_, [_]) | (_, []) => {}
        _ => return Ok(false),
    }
    Ok(true)
}

/// Writes `rtas   SERVICE ARGS -> STATUS [OUTPUTS]`.
pub(super) fn write(
    f: &mut fmt::Formatter<'_>,
    service: &str,
    args: &[u32],
    rets: &[i64],
) -> fmt::Result {
    write!(f, "rtas   {service}")?;
    if !named_args(f, service, args)? {
        write!(f, " {args:?}")?;
    }
    f.write_str(" ->")?;
    match rets.first() {
        None => f.write_str(" (no outputs)")?,
        Some(&status) => {
            write!(f, " {}", Dec(status))?;
            if status == 0 && !named_rets(f, service, rets)? {
                write!(f, " {:?}", &rets[1..])?;
            }
        }
    }
    Ok(())
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
