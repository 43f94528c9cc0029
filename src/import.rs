//! Importing a QEMU + Linux log: QEMU's `spapr_pci*` trace events interleaved with a
//! Linux guest's pseries MSI debug lines become the RTAS call log (JSON Lines) and the
//! scenario of driver actions behind it.
//!
//! Linux prints one `rtas_msi: ibm,change_msi(func=F,num=N), got G rc = R` line per
//! change-msi call and QEMU one `queries for #I, IRQS` line per successful query; the
//! device each call was for comes from the Linux line before it (`pci D: ... disabling
//! existing MSI.`, `calc quota for D`, `D: pseries_irq_domain_alloc ... VIRQ/HW`) or, for
//! releases, from the virq in `pseries_irq_domain_free`. The outputs Linux does not
//! print follow QEMU's rules: the next sequence number (input + 1) and the type (1 MSI,
//! 2 MSI-X) are written only by a successful request.

use rtas::calllog::CallRecord;
use std::collections::HashMap;

/// QEMU's first PHB BUID; PHB n has this plus n.
const QEMU_BUID_BASE: u64 = 0x0800_0000_2000_0000;

/// A device by domain and config address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Dev {
    domain: u32,
    bus: u32,
    devfn: u32,
}

impl Dev {
    fn parse(s: &str) -> Option<Dev> {
        let s = s.trim_end_matches(':');
        let (domain, rest) = s.split_once(':')?;
        let (bus, rest) = rest.split_once(':')?;
        let (dev, func) = rest.split_once('.')?;
        if domain.len() != 4 || bus.len() != 2 || dev.len() != 2 || func.len() != 1 {
            return None;
        }
        let d = u32::from_str_radix(dev, 16).ok()?;
        let f = u32::from_str_radix(func, 16).ok()?;
        if d > 31 || f > 7 {
            return None;
        }
        Some(Dev {
            domain: u32::from_str_radix(domain, 16).ok()?,
            bus: u32::from_str_radix(bus, 16).ok()?,
            devfn: d << 3 | f,
        })
    }

    fn name(&self) -> String {
        format!(
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain,
            self.bus,
            self.devfn >> 3,
            self.devfn & 7
        )
    }

    fn config_addr(&self) -> u32 {
        self.bus << 16 | self.devfn << 8
    }
}

/// What an import produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The RTAS calls, in order.
    pub calls: Vec<CallRecord>,
    /// Scenario commands (without `machine`, `profile` and `expect`).
    pub actions: Vec<String>,
    /// How missing facts were inferred, one sentence each.
    pub notes: Vec<String>,
}

/// Why an import stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ImportError {
    /// Line of the log, from 1.
    pub line: usize,
    /// What could not be inferred.
    pub msg: String,
}

/// A request being negotiated: device, driver's count, quota lines seen, kind known.
struct Request {
    dev: Dev,
    nvec: u32,
    calls: usize,
    emitted: bool,
}

/// Imports a log. `buids` maps PCI domains to BUIDs (from the machine's tree); a domain
/// not in it is taken as QEMU's numbering, and a note says so.
pub fn import(text: &str, buids: &HashMap<u32, u64>) -> Result<Imported, ImportError> {
    let mut out = Imported::default();
    let mut ctx: Option<Dev> = None;
    let mut virqs: HashMap<u32, Dev> = HashMap::new();
    let mut booted = false;
    let mut req: Option<Request> = None;
    let mut freeing: Option<Dev> = None;
    let mut queries = 0u32;
    let mut noted = std::collections::BTreeSet::new();
    let mut buid_of = |d: Dev, out: &mut Imported| -> u64 {
        match buids.get(&d.domain) {
            Some(&b) => b,
            None => {
                let b = QEMU_BUID_BASE + d.domain as u64;
                if noted.insert(d.domain) {
                    out.notes.push(format!(
                        "BUID of PCI domain {:04x} inferred as {b:#x} (QEMU's numbering: the trace carries no BUID)",
                        d.domain
                    ));
                }
                b
            }
        }
    };
    let mut last_stamp = f64::MIN;
    let mut replay: Option<(usize, usize)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let l = match raw.strip_prefix('[') {
            Some(r) => {
                let (stamp, t) = r.split_once("] ").unwrap_or(("", r));
                // Kernel lines printed again (a dmesg dump) come with earlier times: they
                // are not new calls.
                if let Ok(ts) = stamp.trim().parse::<f64>() {
                    if ts < last_stamp {
                        replay = Some(replay.map_or((line, line), |(a, _)| (a, line)));
                        continue;
                    }
                    last_stamp = ts;
                }
                t
            }
            None => raw,
        };
        let err = |msg: String| ImportError { line, msg };
        if let Some(rest) = l.strip_prefix("rtas_msi: calc quota for ") {
            let (d, r) = rest
                .split_once(", request ")
                .ok_or_else(|| err("malformed 'calc quota' line".into()))?;
            let dev =
                Dev::parse(d).ok_or_else(|| err(format!("'{d}' is not a PCI device name")))?;
            let nvec: u32 = r
                .trim()
                .parse()
                .map_err(|_| err(format!("'{r}' is not a count")))?;
            ctx = Some(dev);
            booted = true;
            match &req {
                // The second quota call of one request (MSI-X rounding).
                Some(q) if q.dev == dev && q.calls == 0 => {}
                _ => {
                    req = Some(Request {
                        dev,
                        nvec,
                        calls: 0,
                        emitted: false,
                    })
                }
            }
            queries = 0;
            continue;
        }
        if let Some(rest) = l.strip_prefix("pci ") {
            if let Some(d) = rest.strip_suffix(": rtas_msi: disabling existing MSI.") {
                ctx = Some(
                    Dev::parse(d).ok_or_else(|| err(format!("'{d}' is not a PCI device name")))?,
                );
                continue;
            }
        }
        if l.contains(": pseries_irq_domain_alloc bridge ") {
            // "<driver> D: pseries_irq_domain_alloc bridge /pci@X VIRQ/HWIRQ #1"
            let mut words = l.split_whitespace();
            let _driver = words.next();
            let d = words.next().unwrap_or("");
            let dev =
                Dev::parse(d).ok_or_else(|| err(format!("'{d}' is not a PCI device name")))?;
            let pair = l.split_whitespace().rev().nth(1).unwrap_or("");
            let virq: u32 = pair
                .split('/')
                .next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err("no virq in the alloc line".into()))?;
            virqs.insert(virq, dev);
            ctx = Some(dev);
            continue;
        }
        if let Some(rest) = l.strip_prefix("pseries_irq_domain_free bridge ") {
            let virq: u32 = rest
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err("no virq in the free line".into()))?;
            let dev = virqs.remove(&virq).ok_or_else(|| {
                err(format!(
                    "virq {virq} is freed, but no line mapped it to a device"
                ))
            })?;
            if freeing != Some(dev) {
                out.actions.push(format!("free {}", dev.name()));
                freeing = Some(dev);
            }
            ctx = Some(dev);
            req = None;
            continue;
        }
        if let Some(rest) = l.strip_prefix("rtas_msi: ibm,change_msi(func=") {
            // "F,num=N), got G rc = R"
            let parse = || -> Option<(u32, u32, i64, i64)> {
                let (f, rest) = rest.split_once(",num=")?;
                let (num, rest) = rest.split_once("), got ")?;
                let (got, rc) = rest.split_once(" rc = ")?;
                Some((
                    f.parse().ok()?,
                    num.parse().ok()?,
                    got.trim().parse().ok()?,
                    rc.trim().parse().ok()?,
                ))
            };
            let (func, num, got, rc) =
                parse().ok_or_else(|| err("malformed change_msi line".into()))?;
            let dev =
                ctx.ok_or_else(|| err("a change_msi call with no device named before it".into()))?;
            let buid = buid_of(dev, &mut out);
            let args = vec![
                dev.config_addr(),
                (buid >> 32) as u32,
                buid as u32,
                func,
                num,
                1,
            ];
            let nret = if matches!(func, 3..=6) { 4 } else { 3 };
            let mut rets = vec![0u32; nret];
            if rc < 0 {
                rets[0] = rc as i32 as u32;
                rets[1] = got as u32;
            } else {
                rets[1] = got as u32;
                if num > 0 {
                    rets[2] = 2;
                    if nret == 4 {
                        rets[3] = if matches!(func, 3 | 5) { 1 } else { 2 };
                    }
                }
            }
            out.calls
                .push(CallRecord::new("ibm,change-msi", args, &rets));
            if !booted {
                continue;
            }
            if num == 0 {
                continue;
            }
            freeing = None;
            if let Some(q) = req.as_mut() {
                if q.dev == dev {
                    q.calls += 1;
                    if !q.emitted {
                        let kind = if matches!(func, 4 | 6) { "msix" } else { "msi" };
                        out.actions
                            .push(format!("request {} {kind} {}", dev.name(), q.nvec));
                        q.emitted = true;
                    }
                }
            }
            continue;
        }
        if let Some(rest) =
            l.strip_prefix("spapr_pci_rtas_ibm_query_interrupt_source_number queries for #")
        {
            let (i, irq) = rest
                .split_once(", IRQ")
                .ok_or_else(|| err("malformed query line".into()))?;
            let i: u32 = i
                .parse()
                .map_err(|_| err(format!("'{i}' is not a vector number")))?;
            let irq: u32 = irq
                .trim()
                .parse()
                .map_err(|_| err(format!("'{irq}' is not a source number")))?;
            let dev = ctx.ok_or_else(|| err("a query with no device named before it".into()))?;
            let buid = buid_of(dev, &mut out);
            out.calls.push(CallRecord::new(
                "ibm,query-interrupt-source-number",
                vec![dev.config_addr(), (buid >> 32) as u32, buid as u32, i],
                &[0, irq, 1],
            ));
            queries = i + 1;
            continue;
        }
        if l.starts_with("spapr_pci_msi Failed to return vector") {
            let dev =
                ctx.ok_or_else(|| err("a failed query with no device named before it".into()))?;
            let buid = buid_of(dev, &mut out);
            out.notes.push(format!(
                "line {line}: a failed query; its vector number inferred as {queries}"
            ));
            out.calls.push(CallRecord::new(
                "ibm,query-interrupt-source-number",
                vec![dev.config_addr(), (buid >> 32) as u32, buid as u32, queries],
                &[(-1i32) as u32, 0, 0],
            ));
            continue;
        }
    }
    if let Some((a, b)) = replay {
        out.notes.push(format!(
            "lines {a} to {b} repeat kernel messages already seen (their times go back: a dmesg dump): skipped"
        ));
    }
    if out.calls.is_empty() {
        return Err(ImportError {
            line: text.lines().count().max(1),
            msg: "no ibm,change_msi or query lines found: is the pseries MSI debug output on?"
                .into(),
        });
    }
    let mut actions = vec!["boot".to_string()];
    actions.extend(out.actions);
    out.actions = actions;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names() {
        let d = Dev::parse("0001:00:02.0").unwrap();
        assert_eq!((d.domain, d.config_addr()), (1, 0x1000));
        assert_eq!(d.name(), "0001:00:02.0");
        assert!(Dev::parse("01:00:02.0").is_none());
        assert!(Dev::parse("0000:00:32.0").is_none());
    }

    #[test]
    fn unknown_device_stops_with_the_line() {
        let e = import(
            "x\n[ 1.0] rtas_msi: ibm,change_msi(func=3,num=0), got 0 rc = -3\n",
            &HashMap::new(),
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        let e = import(
            "[ 1.0] pseries_irq_domain_free bridge /pci@1 38 #1\n",
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(e.msg.contains("virq 38"), "{e}");
    }
}
