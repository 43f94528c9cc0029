//! Reading the log's lines: the kernel's time stamp, and what each line the import
//! uses says (the Linux pseries MSI debug lines and QEMU's `spapr_pci*` trace events).

use super::dev::Dev;
use super::error::ImportError;

/// One line of the log.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    /// From 1.
    pub(super) no: usize,
    /// The kernel's time stamp (`[   3.757221] `), when the line has one.
    pub(super) stamp: Option<Stamp<'a>>,
    /// The text after the stamp (and after a QEMU `PID@SECONDS:` prefix).
    pub(super) text: &'a str,
}

/// A kernel time stamp: as printed (for exact comparison) and as seconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stamp<'a> {
    pub(super) raw: &'a str,
    pub(super) secs: f64,
}

/// Splits the log into lines.
pub(super) fn lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .map(|(n, raw)| {
            let mut line = Line {
                no: n + 1,
                stamp: None,
                text: raw,
            };
            if let Some((stamp, t)) = raw.strip_prefix('[').and_then(|r| r.split_once("] ")) {
                if let Ok(secs) = stamp.trim().parse::<f64>() {
                    line.stamp = Some(Stamp {
                        raw: stamp.trim(),
                        secs,
                    });
                    line.text = t;
                }
            } else {
                line.text = strip_qemu_prefix(raw);
            }
            line
        })
        .collect()
}

/// QEMU's log trace backend prefixes `PID@SECONDS.MICROS:` with `-msg timestamp=on`.
fn strip_qemu_prefix(s: &str) -> &str {
    let Some((head, rest)) = s.split_once(':') else {
        return s;
    };
    let Some((pid, time)) = head.split_once('@') else {
        return s;
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match time.split_once('.') {
        Some((a, b)) if digits(pid) && digits(a) && digits(b) => rest,
        _ => s,
    }
}

/// What a line says, for the lines the import uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    /// Linux, `pci D: rtas_msi: disabling existing MSI.`: D's MSIs are switched off
    /// (change-msi function 3 count 0, then function 1 if that failed).
    Disabling(Dev),
    /// Linux, `rtas_msi: calc quota for D, request N`: a driver asks for N vectors.
    Quota { dev: Dev, nvec: u32 },
    /// Linux, `DRIVER D: pseries_irq_domain_alloc bridge /pci@X VIRQ/HWIRQ #1`, after
    /// the source-number query for that vector.
    Alloc { dev: Dev, virq: u32 },
    /// Linux, `pseries_irq_domain_free bridge /pci@X VIRQ #1`: a vector's release.
    Free { virq: u32 },
    /// Linux, `rtas_msi: ibm,change_msi(func=F,num=N), got G rc = R`, printed after the
    /// call returned.
    Change {
        func: u32,
        num: u32,
        got: i64,
        rc: i64,
    },
    /// QEMU, `spapr_pci_rtas_ibm_change_msi cfgaddr C func F, requested N, first irq I`:
    /// a successful request (N is the count granted; I is 0 when it is only the answer
    /// "ask for fewer").
    FwChange {
        cfg: u32,
        func: u32,
        req: u32,
        first: u32,
    },
    /// QEMU, `spapr_pci_msi_retry Guest device at C asked N, have only M`.
    FwRetry { cfg: u32, asked: u32 },
    /// QEMU, `spapr_pci_msi Releasing wrong config (cfg=C)`: a release of nothing (-1).
    FwReleaseWrong { cfg: u32 },
    /// QEMU, `spapr_pci_msi Released MSIs (cfg=C)`: a successful release.
    FwReleased { cfg: u32 },
    /// QEMU, `spapr_pci_rtas_ibm_query_interrupt_source_number queries for #V, IRQN`.
    FwQuery { vector: u32, irq: u32 },
    /// QEMU, `spapr_pci_msi Failed to return vector (cfg=C)`: a failed query.
    FwQueryFailed { cfg: Option<u32> },
}

fn num(s: &str) -> Option<u32> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The `(cfg=0x...)` at the end of QEMU's `spapr_pci_msi` lines.
fn cfg_suffix(s: &str) -> Option<u32> {
    num(s.trim().strip_prefix("(cfg=")?.strip_suffix(')')?)
}

/// What one line says; `Ok(None)` for lines the import does not use.
pub(super) fn event(line: &Line) -> Result<Option<Event>, ImportError> {
    let l = line.text;
    let err = |msg: String| ImportError { line: line.no, msg };
    let dev = |d: &str| Dev::parse(d).ok_or_else(|| err(format!("'{d}' is not a PCI device name")));
    if let Some(rest) = l.strip_prefix("rtas_msi: calc quota for ") {
        let (d, r) = rest
            .split_once(", request ")
            .ok_or_else(|| err("malformed 'calc quota' line".into()))?;
        let nvec = r
            .trim()
            .parse()
            .map_err(|_| err(format!("'{r}' is not a count")))?;
        return Ok(Some(Event::Quota { dev: dev(d)?, nvec }));
    }
    if let Some(d) = l
        .strip_prefix("pci ")
        .and_then(|r| r.strip_suffix(": rtas_msi: disabling existing MSI."))
    {
        return Ok(Some(Event::Disabling(dev(d)?)));
    }
    if l.contains(": pseries_irq_domain_alloc bridge ") {
        // "<driver> D: pseries_irq_domain_alloc bridge /pci@X VIRQ/HWIRQ #1"
        let mut words = l.split_whitespace();
        let _driver = words.next();
        let d = dev(words.next().unwrap_or(""))?;
        let virq = l
            .split_whitespace()
            .rev()
            .nth(1)
            .and_then(|pair| pair.split('/').next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| err("no virq in the alloc line".into()))?;
        return Ok(Some(Event::Alloc { dev: d, virq }));
    }
    if let Some(rest) = l.strip_prefix("pseries_irq_domain_free bridge ") {
        let virq = rest
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| err("no virq in the free line".into()))?;
        return Ok(Some(Event::Free { virq }));
    }
    if let Some(rest) = l.strip_prefix("rtas_msi: ibm,change_msi(func=") {
        // "F,num=N), got G rc = R"
        let parse = || -> Option<Event> {
            let (f, rest) = rest.split_once(",num=")?;
            let (n, rest) = rest.split_once("), got ")?;
            let (got, rc) = rest.split_once(" rc = ")?;
            Some(Event::Change {
                func: f.parse().ok()?,
                num: n.parse().ok()?,
                got: got.trim().parse().ok()?,
                rc: rc.trim().parse().ok()?,
            })
        };
        return parse()
            .map(Some)
            .ok_or_else(|| err("malformed change_msi line".into()));
    }
    if let Some(rest) = l.strip_prefix("spapr_pci_rtas_ibm_change_msi cfgaddr ") {
        let parse = || -> Option<Event> {
            let (cfg, rest) = rest.split_once(" func ")?;
            let (func, rest) = rest.split_once(", requested ")?;
            let (req, first) = rest.split_once(", first irq ")?;
            Some(Event::FwChange {
                cfg: num(cfg)?,
                func: num(func)?,
                req: num(req)?,
                first: num(first)?,
            })
        };
        return parse()
            .map(Some)
            .ok_or_else(|| err("malformed spapr_pci_rtas_ibm_change_msi line".into()));
    }
    if let Some(rest) = l.strip_prefix("spapr_pci_msi_retry Guest device at ") {
        let parse = || -> Option<Event> {
            let (cfg, rest) = rest.split_once(" asked ")?;
            let (asked, _) = rest.split_once(", have only ")?;
            Some(Event::FwRetry {
                cfg: num(cfg)?,
                asked: num(asked)?,
            })
        };
        return parse()
            .map(Some)
            .ok_or_else(|| err("malformed spapr_pci_msi_retry line".into()));
    }
    if let Some(rest) = l.strip_prefix("spapr_pci_msi Releasing wrong config ") {
        let cfg = cfg_suffix(rest).ok_or_else(|| err("no (cfg=...) in the line".into()))?;
        return Ok(Some(Event::FwReleaseWrong { cfg }));
    }
    if let Some(rest) = l.strip_prefix("spapr_pci_msi Released MSIs ") {
        let cfg = cfg_suffix(rest).ok_or_else(|| err("no (cfg=...) in the line".into()))?;
        return Ok(Some(Event::FwReleased { cfg }));
    }
    if let Some(rest) = l.strip_prefix("spapr_pci_msi Failed to return vector") {
        return Ok(Some(Event::FwQueryFailed {
            cfg: cfg_suffix(rest),
        }));
    }
    if let Some(rest) =
        l.strip_prefix("spapr_pci_rtas_ibm_query_interrupt_source_number queries for #")
    {
        let (i, irq) = rest
            .split_once(", IRQ")
            .ok_or_else(|| err("malformed query line".into()))?;
        let vector = i
            .parse()
            .map_err(|_| err(format!("'{i}' is not a vector number")))?;
        let irq = irq
            .trim()
            .parse()
            .map_err(|_| err(format!("'{irq}' is not a source number")))?;
        return Ok(Some(Event::FwQuery { vector, irq }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> Option<Event> {
        event(&lines(s)[0]).unwrap()
    }

    #[test]
    fn stamps_and_prefixes() {
        let l = lines("[    3.757221] rtas_msi: x\n123@1700000000.000001:spapr_pci_msi y\nplain");
        assert_eq!(l[0].stamp.unwrap().raw, "3.757221");
        assert_eq!(l[0].text, "rtas_msi: x");
        assert!(l[1].stamp.is_none());
        assert_eq!(l[1].text, "spapr_pci_msi y");
        assert_eq!(l[2].text, "plain");
    }

    #[test]
    fn firmware_lines() {
        assert_eq!(
            ev("spapr_pci_rtas_ibm_change_msi cfgaddr 0x10800 func 4, requested 3, first irq 4868"),
            Some(Event::FwChange {
                cfg: 0x10800,
                func: 4,
                req: 3,
                first: 4868
            })
        );
        assert_eq!(
            ev("spapr_pci_msi_retry Guest device at 0x800 asked 4, have only 3"),
            Some(Event::FwRetry {
                cfg: 0x800,
                asked: 4
            })
        );
        assert_eq!(
            ev("spapr_pci_msi Released MSIs (cfg=0x1800)"),
            Some(Event::FwReleased { cfg: 0x1800 })
        );
        assert_eq!(
            ev("spapr_pci_msi Failed to return vector (cfg=0x800)"),
            Some(Event::FwQueryFailed { cfg: Some(0x800) })
        );
        assert_eq!(ev("spapr_pci_msi_write @0x0<=0x130b IRQ 4875"), None);
        assert!(event(&lines("spapr_pci_msi Released MSIs (cfg=)")[0]).is_err());
    }

    #[test]
    fn kernel_lines() {
        assert_eq!(
            ev("[ 1.0] virtio-pci 0000:01:01.0: pseries_irq_domain_alloc bridge /pci@800000020000000 28/1300 #1"),
            Some(Event::Alloc {
                dev: Dev::parse("0000:01:01.0").unwrap(),
                virq: 28
            })
        );
        assert_eq!(
            ev("[ 1.0] rtas_msi: ibm,change_msi(func=4,num=4), got 3 rc = 3"),
            Some(Event::Change {
                func: 4,
                num: 4,
                got: 3,
                rc: 3
            })
        );
    }
}
