//! Importing a QEMU + Linux log: QEMU's `spapr_pci*` trace events interleaved with a
//! Linux guest's pseries MSI debug lines become the RTAS call log (JSON Lines) and the
//! scenario of driver actions behind it.
//!
//! Linux prints one `rtas_msi: ibm,change_msi(func=F,num=N), got G rc = R` line per
//! change-msi call and QEMU one `queries for #I, IRQS` line per successful query; the
//! device each call was for comes from QEMU's trace of it (`cfgaddr`, `cfg=`, the block
//! a queried source is in) and the Linux lines naming devices (`pci D: ... disabling
//! existing MSI.`, `calc quota for D`, `D: pseries_irq_domain_alloc ... VIRQ/HW`, and
//! for releases the virq in `pseries_irq_domain_free`). The calls are put in the order
//! the firmware ran them (`assemble.rs` says how); kernel lines a dmesg dump prints
//! again are left out (`replay.rs`). The outputs Linux does not print follow QEMU's rules: the
//! next sequence number (input + 1) and the type (1 MSI, 2 MSI-X) are written only by a
//! successful request.

mod assemble;
mod dev;
mod error;
mod lex;
mod queries;
mod replay;

pub use error::ImportError;
use rtas::calllog::CallRecord;
use std::collections::{BTreeSet, HashMap};

/// QEMU's first PHB BUID; PHB n has this plus n.
const QEMU_BUID_BASE: u64 = 0x0800_0000_2000_0000;

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

/// Imports a log. `buids` maps PCI domains to BUIDs (from the machine's tree); a domain
/// not in it is taken as QEMU's numbering, and a note says so.
pub fn import(text: &str, buids: &HashMap<u32, u64>) -> Result<Imported, ImportError> {
    let lines = lex::lines(text);
    let replays = replay::find(&lines);
    let mut asm = assemble::Assembler::default();
    for l in &lines {
        if replays.skip[l.no] {
            continue;
        }
        if let Some(ev) = lex::event(l)? {
            asm.feed(l.no, ev)?;
        }
    }
    let mut out = Imported::default();
    if asm.calls.is_empty() {
        return Err(ImportError {
            line: lines.len().max(1),
            msg: "no ibm,change_msi or query lines found: is the pseries MSI debug output on?"
                .into(),
        });
    }
    let untraced = asm.untraced().len();
    let mut calls = std::mem::take(&mut asm.calls);
    calls.sort_by_key(|c| c.pos);
    let mut noted = BTreeSet::new();
    for c in &calls {
        let buid = match buids.get(&c.dev.domain) {
            Some(&b) => b,
            None => {
                let b = QEMU_BUID_BASE + c.dev.domain as u64;
                if noted.insert(c.dev.domain) {
                    out.notes.push(format!(
                        "BUID of PCI domain {:04x} inferred as {b:#x} (QEMU's numbering: the trace carries no BUID)",
                        c.dev.domain
                    ));
                }
                b
            }
        };
        let mut args = vec![c.dev.config_addr(), (buid >> 32) as u32, buid as u32];
        args.extend_from_slice(&c.tail);
        let service = if c.query {
            "ibm,query-interrupt-source-number"
        } else {
            "ibm,change-msi"
        };
        out.calls.push(CallRecord::new(service, args, &c.rets));
    }
    out.notes.append(&mut asm.notes);
    if untraced > 0 {
        out.notes.push(format!(
            "{untraced} change-msi calls have no QEMU trace line (QEMU traces none that fail with -3, nor any without -trace spapr_pci*): each is placed at its kernel line"
        ));
    }
    for (a, b) in &replays.runs {
        out.notes.push(format!(
            "lines {a} to {b} repeat kernel messages already seen (a dmesg dump): skipped"
        ));
    }
    // The scenario runs each action's calls together: say so when the log's interleave.
    let mut order: Vec<usize> = Vec::new();
    for a in calls.iter().filter_map(|c| c.action) {
        if order.last() != Some(&a) {
            if order.contains(&a) {
                let act = &asm.actions[a].text;
                out.notes.push(format!(
                    "the calls of '{act}' interleave with another action's: the scenario makes each action's calls together, so its calls come in another order than the log's"
                ));
                break;
            }
            order.push(a);
        }
    }
    let mut actions: Vec<&assemble::Action> = asm.actions.iter().collect();
    actions.sort_by_key(|a| a.pos);
    out.actions = std::iter::once("boot".to_string())
        .chain(actions.into_iter().map(|a| a.text.clone()))
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// (config address, inputs after the BUID) of each call.
    fn shape(imp: &Imported) -> Vec<(u32, Vec<u32>)> {
        imp.calls
            .iter()
            .map(|c| (c.args[0], c.args[3..].to_vec()))
            .collect()
    }

    #[test]
    fn kernel_lines_printed_out_of_order_pair_with_their_own_trace() {
        // The firmware ran A's MSI-X request (00:01.0, asked 4, has 3: retried) and
        // then B's MSI request (00:05.0); B's kernel line was printed first.
        let log = "\
[ 1.000001] rtas_msi: calc quota for 0000:00:01.0, request 4
[ 1.000002] rtas_msi: calc quota for 0000:00:05.0, request 1
spapr_pci_msi_retry Guest device at 0x800 asked 4, have only 3
spapr_pci_rtas_ibm_change_msi cfgaddr 0x800 func 4, requested 3, first irq 0
spapr_pci_rtas_ibm_change_msi cfgaddr 0x2800 func 3, requested 1, first irq 4864
[ 1.000003] rtas_msi: ibm,change_msi(func=3,num=1), got 1 rc = 1
[ 1.000004] rtas_msi: ibm,change_msi(func=4,num=4), got 3 rc = 3
spapr_pci_rtas_ibm_change_msi cfgaddr 0x800 func 4, requested 3, first irq 4866
spapr_pci_rtas_ibm_query_interrupt_source_number queries for #0, IRQ4864
[ 1.000005] rtas_msi: ibm,change_msi(func=4,num=3), got 3 rc = 3
spapr_pci_rtas_ibm_query_interrupt_source_number queries for #0, IRQ4866
";
        let imp = import(log, &HashMap::new()).unwrap();
        assert_eq!(
            shape(&imp),
            [
                (0x800, vec![4, 4, 1]),
                (0x2800, vec![3, 1, 1]),
                (0x800, vec![4, 3, 1]),
                (0x2800, vec![0]),
                (0x800, vec![0]),
            ]
        );
        assert_eq!(imp.calls[0].rets, [0, 3, 2, 2]);
        assert_eq!(imp.calls[3].rets, [0, 4864, 1]);
        assert_eq!(
            imp.actions,
            [
                "boot",
                "request 0000:00:01.0 msix 4",
                "request 0000:00:05.0 msi 1"
            ]
        );
    }

    #[test]
    fn the_same_slot_on_two_phbs_at_once_is_refused() {
        // QEMU's trace has the config address, not the PHB.
        let log = "\
[ 1.000001] rtas_msi: calc quota for 0000:00:01.0, request 1
[ 1.000002] rtas_msi: calc quota for 0001:00:01.0, request 1
spapr_pci_rtas_ibm_change_msi cfgaddr 0x800 func 4, requested 1, first irq 4864
[ 1.000003] rtas_msi: ibm,change_msi(func=4,num=1), got 1 rc = 1
";
        let e = import(log, &HashMap::new()).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.msg.contains("line 3")
                && e.msg.contains("0000:00:01.0 (line 1)")
                && e.msg.contains("0001:00:01.0 (line 2)"),
            "{e}"
        );
    }

    #[test]
    fn a_failed_query_is_the_querying_devices() {
        let log = "\
[ 1.000001] rtas_msi: calc quota for 0000:01:03.0, request 2
spapr_pci_rtas_ibm_change_msi cfgaddr 0x11800 func 4, requested 2, first irq 4864
[ 1.000002] rtas_msi: ibm,change_msi(func=4,num=2), got 2 rc = 2
spapr_pci_rtas_ibm_query_interrupt_source_number queries for #0, IRQ4864
spapr_pci_msi Failed to return vector (cfg=0x11800)
";
        let imp = import(log, &HashMap::new()).unwrap();
        assert_eq!(imp.calls[2].args[0], 0x11800);
        assert_eq!(imp.calls[2].args[3], 1);
        assert_eq!(imp.calls[2].rets, [-1, 0, 0]);
        assert!(imp.notes.iter().any(|n| n.contains("line 5")));
    }
}
