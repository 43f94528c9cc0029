//! `import` on logs the fixture does not show: a dmesg dump whose first lines carry the
//! time they were printed, drivers on two CPUs whose lines interleave (and logs that
//! leave the order open), and functions behind a bridge (bus numbers above 0).

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

fn import(log: &Path, extra: &[&Path]) -> Output {
    let mut c = sim();
    c.arg("import").arg(log);
    for a in extra {
        c.arg(a);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A log being written: kernel lines get increasing time stamps.
struct Log {
    text: String,
    t: f64,
}

impl Log {
    fn new(prefix: &str, t: f64) -> Log {
        Log {
            text: prefix.to_string(),
            t,
        }
    }
    /// A kernel line.
    fn k(&mut self, s: &str) -> usize {
        self.t += 0.000_113;
        self.text.push_str(&format!("[{:>12.6}] {s}\n", self.t));
        self.text.lines().count()
    }
    /// A QEMU trace line.
    fn q(&mut self, s: &str) -> usize {
        self.text.push_str(s);
        self.text.push('\n');
        self.text.lines().count()
    }
    fn quota(&mut self, dev: &str, n: u32) -> usize {
        self.k(&format!("rtas_msi: calc quota for {dev}, request {n}"));
        self.k("rtas_msi: found prop on dn /pci@800000020000000");
        self.k("rtas_msi: found PE /pci@800000020000000")
    }
    fn fw_change(&mut self, model: &str, cfg: u32, func: u32, n: u32, first: u32) -> usize {
        for v in 0..if func == 4 { n } else { 1 } {
            self.q(&format!(
                "spapr_pci_msi_setup dev\"{model}\" vector {v}, addr=0x40000000000"
            ));
        }
        self.q(&format!(
            "spapr_pci_rtas_ibm_change_msi cfgaddr {cfg:#x} func {func}, requested {n}, first irq {first}"
        ))
    }
    fn change(&mut self, func: u32, num: u32, rc: i32) -> usize {
        let got = rc.max(0);
        self.k(&format!(
            "rtas_msi: ibm,change_msi(func={func},num={num}), got {got} rc = {rc}"
        ))
    }
    fn fw_query(&mut self, v: u32, irq: u32) -> usize {
        self.q(&format!(
            "spapr_pci_rtas_ibm_query_interrupt_source_number queries for #{v}, IRQ{irq}"
        ))
    }
    fn alloc(&mut self, driver: &str, dev: &str, virq: u32, irq: u32) -> usize {
        self.k(&format!(
            "{driver} {dev}: pseries_irq_domain_alloc bridge /pci@800000020000000 {virq}/{irq:x} #1"
        ))
    }
    fn free(&mut self, virq: u32) -> usize {
        self.k(&format!(
            "pseries_irq_domain_free bridge /pci@800000020000000 {virq} #1"
        ))
    }
    fn write(&self, dir: &Path, name: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, &self.text).unwrap();
        p
    }
}

/// The fixture log's boot: every function's MSIs switched off, before any driver.
fn boot_prefix() -> String {
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let end = log
        .lines()
        .position(|l| l.starts_with("@@@ modprobe virtio_net"))
        .unwrap();
    log.lines()
        .take(end + 1)
        .map(|l| format!("{l}\n"))
        .collect()
}

/// (service, config address, rest of the inputs) of each call in a JSON Lines log.
fn calls(jsonl: &[u8]) -> Vec<(String, u32, Vec<u32>)> {
    rtas::calllog::from_jsonl(std::str::from_utf8(jsonl).unwrap())
        .unwrap()
        .into_iter()
        .map(|c| (c.service, c.args[0], c.args[3..].to_vec()))
        .collect()
}

fn q(cfg: u32, v: u32) -> (String, u32, Vec<u32>) {
    ("ibm,query-interrupt-source-number".into(), cfg, vec![v])
}

fn c(cfg: u32, func: u32, n: u32) -> (String, u32, Vec<u32>) {
    ("ibm,change-msi".into(), cfg, vec![func, n, 1])
}

fn scenario_actions(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.starts_with('#')
                && !l.starts_with("machine")
                && !l.starts_with("profile")
                && !l.starts_with("expect")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn a_dump_whose_first_lines_carry_the_last_live_time_is_still_a_dump() {
    let dir = scratch("import-restamped");
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    // The dump at the end begins with the log's first line again.
    let dump = lines
        .iter()
        .skip(1)
        .position(|l| *l == lines[0])
        .map(|i| i + 1)
        .expect("the fixture ends with a dmesg dump");
    let last_live = lines[..dump]
        .iter()
        .rev()
        .find(|l| l.starts_with('['))
        .unwrap();
    let stamp = &last_live[..=last_live.find(']').unwrap()];
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // Its first eight lines (through the first function's two disabling calls) get the
    // last live line's time.
    let mut restamped = 0;
    for l in out.iter_mut().skip(dump) {
        if restamped == 8 {
            break;
        }
        if let Some(end) = l.find(']') {
            *l = format!("{stamp}{}", &l[end + 1..]);
            restamped += 1;
        }
    }
    assert!(out[dump + 5].contains("ibm,change_msi(func=3,num=0)"));
    let text: String = out.iter().map(|l| format!("{l}\n")).collect();
    let f = dir.join("restamped.log");
    std::fs::write(&f, text).unwrap();
    let calls_out = dir.join("calls.jsonl");
    let o = import(&f, &[Path::new("-o"), &calls_out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = std::fs::read(&calls_out).unwrap();
    let want = std::fs::read(fixture("linux-guest/rtas-calls.jsonl")).unwrap();
    assert_eq!(calls(&got).len(), 88);
    assert_eq!(got, want, "the same calls, byte for byte");
    assert!(
        stderr(&o).contains(&format!("lines {} to ", dump + 1)),
        "the dump is named from its first line: {}",
        stderr(&o)
    );
}

/// A: virtio-net at 00:01.0 (3 vectors asked, 4 after rounding); B: virtio-scsi at
/// 00:04.0 (4). Their Linux lines interleave; the firmware ran B's calls first.
fn two_drivers(interleave_calls: bool) -> (Log, Vec<(String, u32, Vec<u32>)>) {
    let (a, b) = ("0000:00:01.0", "0000:00:04.0");
    let mut l = Log::new(&boot_prefix(), 3.757);
    l.q("@@@ modprobe virtio_net & modprobe virtio_scsi");
    l.quota(a, 3);
    l.quota(b, 4);
    l.quota(b, 4);
    l.quota(a, 4);
    l.fw_change("virtio-scsi-pci", 0x2000, 4, 4, 4864);
    // B's line, though A's driver printed last.
    l.change(4, 4, 4);
    let mut want = vec![c(0x2000, 4, 4)];
    if interleave_calls {
        l.fw_change("virtio-net-pci", 0x800, 4, 4, 4868);
        l.fw_query(0, 4864);
        l.change(4, 4, 4);
        l.fw_query(0, 4868);
        l.alloc("virtio-pci", b, 28, 4864);
        l.alloc("virtio-pci", a, 29, 4868);
        want.extend([c(0x800, 4, 4), q(0x2000, 0), q(0x800, 0)]);
        for v in 1..3 {
            l.fw_query(v, 4868 + v);
            l.fw_query(v, 4864 + v);
            l.alloc("virtio-pci", b, 28 + 2 * v, 4864 + v);
            l.alloc("virtio-pci", a, 29 + 2 * v, 4868 + v);
            want.extend([q(0x800, v), q(0x2000, v)]);
        }
        l.fw_query(3, 4867);
        l.alloc("virtio-pci", b, 34, 4867);
        want.push(q(0x2000, 3));
    } else {
        for v in 0..4 {
            l.fw_query(v, 4864 + v);
            want.push(q(0x2000, v));
        }
        l.fw_change("virtio-net-pci", 0x800, 4, 4, 4868);
        l.alloc("virtio-pci", b, 28, 4864);
        l.alloc("virtio-pci", b, 29, 4865);
        l.change(4, 4, 4);
        l.alloc("virtio-pci", b, 30, 4866);
        want.push(c(0x800, 4, 4));
        for v in 0..3 {
            l.fw_query(v, 4868 + v);
            want.push(q(0x800, v));
            if v == 0 {
                l.alloc("virtio-pci", b, 31, 4867);
            }
            l.alloc("virtio-pci", a, 32 + v, 4868 + v);
        }
    }
    (l, want)
}

#[test]
fn interleaved_drivers_are_imported_in_the_firmwares_order() {
    let dir = scratch("import-interleaved");
    let boot_calls =
        calls(&std::fs::read(fixture("linux-guest/rtas-calls.jsonl")).unwrap())[..24].to_vec();
    // The firmware ran each driver's calls together: the scenario reproduces the log.
    let (l, want) = two_drivers(false);
    let f = l.write(&dir, "grouped.log");
    let sc = dir.join("grouped.scenario");
    let o = import(
        &f,
        &[
            Path::new("--scenario"),
            &sc,
            Path::new("--machine"),
            &fixture("linux-guest/qemu-initial.dtb"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got = calls(&std::fs::read(sc.with_extension("jsonl")).unwrap());
    assert_eq!(got[..24], boot_calls[..]);
    assert_eq!(got[24..], want[..]);
    assert_eq!(
        scenario_actions(&sc),
        [
            "boot",
            "request 0000:00:04.0 msix 4",
            "request 0000:00:01.0 msix 3"
        ]
    );
    let o = sim().arg("run").arg(&sc).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    // The firmware interleaved the calls too: the log's order is kept, and a note says
    // that the scenario cannot make the calls in that order.
    let (l, want) = two_drivers(true);
    let f = l.write(&dir, "interleaved.log");
    let out = dir.join("interleaved.jsonl");
    let o = import(&f, &[Path::new("-o"), &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = calls(&std::fs::read(&out).unwrap());
    assert_eq!(got[24..], want[..]);
    assert!(stderr(&o).contains("interleave"), "{}", stderr(&o));
}

#[test]
fn a_log_that_leaves_the_order_open_is_refused_naming_the_lines() {
    let dir = scratch("import-ambiguous");
    let (a, b) = ("0000:00:01.0", "0000:00:04.0");
    // Both drivers release at once: QEMU does not trace the function-3 calls (-3: no
    // MSI capability), so neither says whose the first one is.
    let (mut l, _) = two_drivers(false);
    let fa = l.free(32);
    let fb = l.free(28);
    for v in 1..3 {
        l.free(32 + v);
    }
    for v in 29..32 {
        l.free(v);
    }
    let bad = l.change(3, 0, -3);
    let f = l.write(&dir, "both-release.log");
    let o = import(&f, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("line {bad}:")), "{e}");
    assert!(e.contains(&format!("{a} (line {fa})")), "{e}");
    assert!(e.contains(&format!("{b} (line {fb})")), "{e}");

    // A releases while e1000e at 00:02.0 asks for vectors: its call, which QEMU traced,
    // ran between A's last line and A's untraced call; which ran first is open.
    let (mut l, _) = two_drivers(false);
    let mut last_a = 0;
    for v in 0..3 {
        last_a = l.free(32 + v);
    }
    l.quota("0000:00:02.0", 3);
    l.quota("0000:00:02.0", 4);
    let fw_c = l.fw_change("e1000e", 0x1000, 4, 4, 4872);
    l.change(4, 4, 4);
    let bad = l.change(3, 0, -3);
    let f = l.write(&dir, "release-and-request.log");
    let o = import(&f, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains(&format!("line {bad}:")), "{e}");
    assert!(
        e.contains(&format!("after line {last_a}")) && e.contains(&format!("line {fw_c}")),
        "{e}"
    );
    assert!(e.contains("neither the firmware nor the kernel"), "{e}");
}

#[test]
fn functions_behind_a_bridge_keep_their_bus_number() {
    // QEMU's e_bridge machine: a bridge at 00:02.0, virtio-net at 01:01.0 and e1000e at
    // 01:02.0 behind it.
    let dir = scratch("import-bridge");
    let (br, net, e1k) = ("0000:00:02.0", "0000:01:01.0", "0000:01:02.0");
    let mut l = Log::new("", 0.2);
    l.k("rtas_msi: Registering RTAS MSI callbacks.");
    for (dev, cfg, msi) in [
        (br, 0x1000, true),
        (net, 0x10800, false),
        (e1k, 0x11000, true),
    ] {
        l.k(&format!("pci {dev}: rtas_msi: disabling existing MSI."));
        if msi {
            l.q(&format!(
                "spapr_pci_msi Releasing wrong config (cfg={cfg:#x})"
            ));
        }
        l.change(3, 0, if msi { -1 } else { -3 });
        l.q(&format!(
            "spapr_pci_msi Releasing wrong config (cfg={cfg:#x})"
        ));
        l.change(1, 0, -1);
        l.k("rtas_msi: Setting MSIs to 0 failed!");
    }
    l.quota(net, 3);
    l.quota(net, 4);
    l.fw_change("virtio-net-pci", 0x10800, 4, 4, 4864);
    l.change(4, 4, 4);
    for v in 0..3 {
        l.fw_query(v, 4864 + v);
        l.alloc("virtio-pci", net, 28 + v, 4864 + v);
    }
    l.quota(e1k, 1);
    l.fw_change("e1000e", 0x11000, 3, 1, 4868);
    l.change(3, 1, 1);
    l.fw_query(0, 4868);
    l.alloc("e1000e", e1k, 31, 4868);
    for v in 28..31 {
        l.free(v);
    }
    l.change(3, 0, -3);
    l.q("spapr_pci_msi Released MSIs (cfg=0x10800)");
    l.change(1, 0, 0);
    let f = l.write(&dir, "bridge.log");
    let sc = dir.join("bridge.scenario");
    let o = import(
        &f,
        &[
            Path::new("--scenario"),
            &sc,
            Path::new("--machine"),
            &fixture("qemu/e_bridge.dtb"),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got = calls(&std::fs::read(sc.with_extension("jsonl")).unwrap());
    let mut want = Vec::new();
    for cfg in [0x1000, 0x10800, 0x11000] {
        want.extend([c(cfg, 3, 0), c(cfg, 1, 0)]);
    }
    want.push(c(0x10800, 4, 4));
    want.extend((0..3).map(|v| q(0x10800, v)));
    want.extend([
        c(0x11000, 3, 1),
        q(0x11000, 0),
        c(0x10800, 3, 0),
        c(0x10800, 1, 0),
    ]);
    assert_eq!(got, want);
    assert_eq!(
        scenario_actions(&sc),
        [
            "boot",
            "request 0000:01:01.0 msix 3",
            "request 0000:01:02.0 msi 1",
            "free 0000:01:01.0"
        ]
    );
    let jsonl = std::fs::read_to_string(sc.with_extension("jsonl")).unwrap();
    assert!(
        jsonl.contains(r#""args":[67584,134217728,536870912,4,4,1],"rets":[0,4,2,2]"#),
        "{jsonl}"
    );
    assert!(
        jsonl.contains(r#""args":[69632,134217728,536870912,0],"rets":[0,4868,1]"#),
        "{jsonl}"
    );
}
