//! The real Linux client: Debian's linux-source-6.1 `arch/powerpc/platforms/pseries/
//! msi.c`, taken from the package at test time (scripts/test.sh installs it), compiled
//! and run against our firmware, and compared with the model.

mod common;

use common::linux61::{linux, msi_c};
use common::*;
use platform::linux::Client;
use platform::{Kernel, MsiType};
use pseries_sim::BootOptions;
use rtas::faults::{Fault, FaultRule};
use rtas::{Profile, Service};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn boot(rel: &str, profile: Profile, client: Client) -> Kernel {
    pseries_sim::harness::boot(
        fixture_tree(rel),
        BootOptions {
            profile,
            client,
            ..Default::default()
        },
    )
    .unwrap()
}

fn msi_calls(k: &Kernel, from: usize) -> Vec<String> {
    pseries_sim::harness::call_log(k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi" || r.service.contains("query"))
        .map(|r| r.to_json())
        .collect()
}

/// Runs a fixture scenario with a client: the kernel at its end, and the trace.
fn run_fixture(rel: &str, client: Client) -> (Kernel, Vec<String>) {
    let mut out = Vec::new();
    let k =
        pseries_sim::scenario::run_file_with(&fixture(rel), Default::default(), &mut out, client)
            .unwrap_or_else(|e| panic!("{e}"))
            .expect("booted");
    (k, out)
}

#[test]
fn the_guest_scenario_makes_the_guests_88_calls_with_the_real_code() {
    let (k, out) = run_fixture("linux-guest/boot.scenario", linux());
    assert_eq!(msi_calls(&k, 0).len(), 88);
    // The kernel's own pr_debug lines, as in the guest's log.
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    for line in [
        "rtas_msi: Registering RTAS MSI callbacks.",
        "rtas_msi: found prop on dn /pci@800000020000000",
    ] {
        assert!(log.contains(line), "the guest printed {line}");
        assert!(
            out.iter().any(|l| l.ends_with(line)),
            "the real code printed {line}"
        );
    }
}

#[test]
fn the_clients_agree_on_the_guest_scenario() {
    let (l, r, first) = pseries_sim::scenario::diff_clients(
        &fixture("linux-guest/boot.scenario"),
        Client::Model,
        linux(),
    )
    .unwrap();
    assert_eq!((l.failure.clone(), r.failure.clone()), (None, None));
    assert!(
        l.observations.len() > 100,
        "{} observations",
        l.observations.len()
    );
    assert!(first.is_none(), "{first:?}");
}

#[test]
fn a_renumbering_resume_loses_sources_with_linuxs_code() {
    let file = fixture("suspend-renumber.scenario");
    let mut out = Vec::new();
    let e = match pseries_sim::scenario::run_file_with(&file, Default::default(), &mut out, linux())
    {
        Ok(_) => panic!("msi.c has no resume hook: the scenario cannot pass"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("virqs not stable") && e.contains("lost its source"),
        "{e}"
    );
    // The model keeps them.
    pseries_sim::scenario::run_file(&file, Default::default(), &mut Vec::new()).unwrap();
    let (_, r, first) = pseries_sim::scenario::diff_clients(&file, Client::Model, linux()).unwrap();
    assert!(r.failure.is_some());
    let d = first.expect("they differ");
    let (line, what) = d.left.expect("the model did something there");
    assert!(
        what.starts_with("rtas ibm,query-interrupt-source-number"),
        "{what}"
    );
    assert!(d.right.is_none(), "the real code makes no call at resume");
    assert_eq!(line, 15, "at the first resume");
}

#[test]
fn busy_answers_are_retried_with_the_next_sequence_number() {
    // The OS says at CAS that change-msi may answer busy (Linux 6.1 itself does not).
    let mut k = pseries_sim::harness::boot(
        fixture_tree("qemu/b_devices.dtb"),
        BootOptions {
            profile: Profile::Papr,
            client: linux(),
            msi_busy: true,
            ..Default::default()
        },
    )
    .unwrap();
    let fw = pseries_sim::harness::firmware_mut(&mut k);
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 1, 1, Fault::Delay(1)));
    let d = (0..k.devices.len())
        .find(|&d| k.tree().at(k.devices[d].node).u32("ibm,req#msi-x").unwrap() == Some(16))
        .unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 16, 16), Ok(16));
    let calls: Vec<_> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .collect();
    assert_eq!(calls.len(), 3);
    assert_eq!((calls[0].rets[0], calls[0].args[5]), (-2, 1));
    assert_eq!(
        (calls[1].rets[0], calls[1].args[5]),
        (9901, calls[0].rets[2] as u32)
    );
    assert_eq!(
        (calls[2].rets[0], calls[2].args[5]),
        (0, calls[1].rets[2] as u32)
    );
    for v in 0..16 {
        assert!(
            pseries_sim::harness::fire(&mut k, d, v).is_ok(),
            "vector {v}"
        );
    }
}

#[test]
fn fewer_granted_is_retried_with_the_granted_count() {
    let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu, linux());
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Fewer(2)));
    let d = k.device("0000:00:04.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 4, 1), Ok(2));
    let changes: Vec<(u32, u32, i64)> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .map(|r| (r.args[3], r.args[4], r.rets[1]))
        .collect();
    // Asked 4, got 2: the MSI core tears down (function 3, 0) and asks for 2.
    assert_eq!(changes.first(), Some(&(4, 4, 2)));
    assert!(changes.contains(&(3, 0, 0)), "{changes:?}");
    assert_eq!(changes.last(), Some(&(4, 2, 2)), "{changes:?}");
    for v in 0..2 {
        assert!(pseries_sim::harness::fire(&mut k, d, v).is_ok());
    }
}

/// This test binary's folder under target/ for a purpose (made once).
fn work(name: &str) -> PathBuf {
    let dir = root().join("target").join("linux-client-test").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 6.1's msi.c with its quota clamp removed (a request over the quota goes to the
/// firmware whole), written once.
fn msi_c_without_clamp() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let text = std::fs::read_to_string(msi_c()).unwrap();
        let clamp = "\tif (quota && quota < nvec)\n\t\treturn quota;\n";
        assert!(text.contains(clamp), "6.1's msi.c has the clamp");
        let edited = work("edited").join("msi.c");
        std::fs::write(&edited, text.replace(clamp, "")).unwrap();
        edited
    })
}

/// A scenario in `dir` on the built-in machine with PHB 0's PE total set to `total`.
fn quota_scenario(dir: &Path, total: u32, body: &str) -> PathBuf {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let phb = tree.find("/pci@800000020000000").unwrap();
    tree.set_prop(phb, "ibm,pe-total-#msi", total.to_be_bytes().to_vec());
    let dtb = dir.join(format!("quota-{total}.dtb"));
    std::fs::write(
        &dtb,
        of_tree::dtb::write(&tree, &Default::default()).unwrap(),
    )
    .unwrap();
    let scen = dir.join(format!("quota-{total}.scenario"));
    std::fs::write(
        &scen,
        format!("machine quota-{total}.dtb\nprofile qemu\nboot\n{body}"),
    )
    .unwrap();
    scen
}

#[test]
fn an_edited_msi_c_makes_other_calls_and_diff_clients_names_the_first() {
    let client = Client::parse(&format!("linux:{}", msi_c_without_clamp().display())).unwrap();
    // A tree whose PE total is smaller than one function's request.
    let scen = quota_scenario(&work("edited"), 16, "request 0000:00:04.0 msix 4 min 1\n");
    let (_, _, same) = pseries_sim::scenario::diff_clients(&scen, Client::Model, linux()).unwrap();
    assert!(same.is_none(), "the unedited file agrees: {same:?}");
    let (_, _, first) = pseries_sim::scenario::diff_clients(&scen, Client::Model, client).unwrap();
    let d = first.expect("the edit shows");
    let (_, l) = d.left.unwrap();
    let (_, r) = d.right.unwrap();
    assert!(
        l.starts_with("rtas ibm,change-msi") && r.starts_with("rtas ibm,change-msi"),
        "{l} / {r}"
    );
    assert_ne!(l, r);
}

#[test]
fn request_min_under_the_pe_quota_is_the_same_in_both_clients() {
    // 27 vectors for PHB 0's 9 functions: usb-xhci's request of 16 is clamped to 4,
    // enough for min 2 and 4, not for min 5 (pci_alloc_irq_vectors' -ENOSPC).
    let dev = "0000:00:08.0";
    let scen = quota_scenario(
        &work("request-min"),
        27,
        &format!("request {dev} msix 16 min 2\nexpect granted {dev} 4\nfree {dev}\nrequest {dev} msix 16 min 5\nexpect request-fails {dev}\nrequest {dev} msix 16 min 4\nexpect granted {dev} 4\n"),
    );
    let (l, r, first) = pseries_sim::scenario::diff_clients(&scen, Client::Model, linux()).unwrap();
    assert_eq!((l.failure, r.failure), (None, None));
    assert!(first.is_none(), "{first:?}");
    let driver: Vec<&str> = r
        .observations
        .iter()
        .filter(|o| o.1.starts_with("driver"))
        .map(|o| o.1.as_str())
        .collect();
    assert_eq!(
        driver,
        [
            "driver 0000:00:08.0: request msix 16 (min 2): got 4",
            "driver 0000:00:08.0: free: vectors released",
            "driver 0000:00:08.0: request msix 16 (min 5) failed: no space (-ENOSPC)",
            "driver 0000:00:08.0: request msix 16 (min 4): got 4",
        ]
    );
}

#[test]
fn without_psim_unbind_an_unbind_makes_the_calls_of_a_free() {
    // 6.1's msi.c, built with the project's 6.1 MSI core, has no psim_unbind.
    let (l, r, first) =
        pseries_sim::scenario::diff_clients(&fixture("unbind.scenario"), Client::Model, linux())
            .unwrap();
    assert_eq!((l.failure, r.failure.clone()), (None, None));
    assert!(first.is_none(), "{first:?}");
    assert!(
        r.observations
            .iter()
            .any(|o| o.1 == "driver 0000:00:01.0: unbind: vectors released"),
        "{:?}",
        r.observations
    );
    let calls = |last: &str| {
        let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu, linux());
        let d = k.device("0000:00:01.0").unwrap();
        let from = pseries_sim::harness::call_log(&k).len();
        assert_eq!(k.request(d, MsiType::Msix, 5, 2), Ok(5));
        if last == "free" {
            k.free(d).unwrap();
        } else {
            k.unbind(d);
        }
        assert!(k.devices[d].msi.is_none());
        assert_eq!(k.request(d, MsiType::Msix, 3, 3), Ok(3));
        pseries_sim::harness::call_log(&k)[from..]
            .iter()
            .map(|c| c.to_json())
            .collect::<Vec<_>>()
    };
    let freed = calls("free");
    assert!(freed.len() > 20, "{freed:?}");
    assert_eq!(calls("unbind"), freed);
}

#[test]
fn a_client_defining_psim_unbind_has_it_called_at_unbind() {
    // The 6.1 file with a psim_unbind of its own: it frees and says so (a tree-mode
    // client tears its per-device MSI domain down there).
    let text = std::fs::read_to_string(msi_c()).unwrap();
    let file = work("unbind").join("msi.c");
    std::fs::write(
        &file,
        format!(
            "{text}\nint psim_free(void *ctx, int32_t id);\n\
             int psim_unbind(void *ctx, int32_t id)\n{{\n\
             \tint rc = psim_free(ctx, id);\n\
             \tpr_info(\"psim_unbind called for device %d\\n\", id);\n\
             \treturn rc;\n}}\n"
        ),
    )
    .unwrap();
    let client =
        Client::parse(&format!("linux:{}", file.display())).unwrap_or_else(|e| panic!("{e}"));
    let (k, out) = run_fixture("unbind.scenario", client);
    // Twice: holding vectors, then after the free; never at the free.
    let called: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with("psim_unbind called for device 0"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(called.len(), 2, "{out:?}");
    let next_driver = |i: usize| out[i..].iter().find(|l| l.starts_with("driver")).cloned();
    assert_eq!(
        next_driver(called[0]).as_deref(),
        Some("driver 0000:00:01.0: unbind: vectors released")
    );
    assert_eq!(
        next_driver(called[1]).as_deref(),
        Some("driver 0000:00:01.0: unbind: no vectors held")
    );
    // The scenario's last request holds 3 vectors again.
    let d = k.device("0000:00:01.0").unwrap();
    assert_eq!(k.devices[d].msi.as_ref().map(|m| m.virqs.len()), Some(3));
    // Its calls are a free's: the same as the model's.
    let (_, _, first) =
        pseries_sim::scenario::diff_clients(&fixture("unbind.scenario"), Client::Model, client)
            .unwrap();
    assert!(first.is_none(), "{first:?}");
}

#[test]
fn refused_requests_make_the_same_calls_in_both_clients() {
    let mut out = Vec::new();
    for client in [Client::Model, linux()] {
        let mut k = boot("qemu/b_devices.dtb", Profile::Papr, client);
        let d = (0..k.devices.len())
            .find(|&d| k.tree().at(k.devices[d].node).u32("ibm,req#msi-x").unwrap() == Some(16))
            .unwrap();
        let node = k.devices[d].node;
        let from = pseries_sim::harness::call_log(&k).len();
        k.tree_mut()
            .set_prop(node, "ibm,req#msi-x", 4u32.to_be_bytes().to_vec());
        let a = k.request(d, MsiType::Msix, 8, 8);
        let b = k.request(d, MsiType::Msix, 8, 2);
        k.free(d).unwrap();
        k.tree_mut()
            .set_prop(node, "ibm,req#msi-x", 0u32.to_be_bytes().to_vec());
        let c = k.request(d, MsiType::Msix, 2, 1);
        k.tree_mut().remove_prop(node, "ibm,req#msi-x");
        let e = k.request(d, MsiType::Msix, 2, 1);
        out.push(((a, b, c, e), msi_calls(&k, from)));
    }
    assert_eq!(out[0], out[1]);
    assert_eq!(out[0].0 .1, Ok(4));
}

/// The built-in machine's tree without any `ibm,pe-total-#msi`.
fn tree_without_pe_total() -> of_tree::Tree {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    for n in tree.walk() {
        tree.remove_prop(n, "ibm,pe-total-#msi");
    }
    tree
}

#[test]
fn a_phb_without_pe_total_refuses_msi_in_both_clients() {
    // Linux 5.13+: pseries_msi_allocate_domains finds no ibm,pe-total-#msi at or above
    // the PHB and gives it no MSI domain; every request under it fails before any
    // firmware call, with the model as with 6.1's msi.c.
    let mut seen = Vec::new();
    for client in [Client::Model, linux()] {
        let mut k = pseries_sim::harness::boot(
            tree_without_pe_total(),
            BootOptions {
                profile: Profile::Qemu,
                client,
                ..Default::default()
            },
        )
        .unwrap();
        let from = pseries_sim::harness::call_log(&k).len();
        let eth = k.device("0000:00:01.0").unwrap();
        let sata = k.device("0001:00:03.0").unwrap();
        let r = (
            k.request(eth, MsiType::Msix, 3, 1),
            k.request(sata, MsiType::Msi, 1, 1),
        );
        assert!(k.devices.iter().all(|d| d.msi.is_none()));
        seen.push((r, msi_calls(&k, from)));
    }
    assert_eq!(seen[0], seen[1]);
    let refused = Err(platform::MsiError::NotSupported);
    assert_eq!(seen[0].0, (refused, refused));
    assert_eq!(seen[0].1, Vec::<String>::new(), "no MSI call");

    // A scenario expecting the refusals: both pass, alike, and both say why at boot.
    let dir = work("no-pe-total");
    let dtb = dir.join("no-pe-total.dtb");
    let blob = of_tree::dtb::write(&tree_without_pe_total(), &Default::default()).unwrap();
    std::fs::write(&dtb, blob).unwrap();
    let scen = dir.join("no-pe-total.scenario");
    std::fs::write(
        &scen,
        "machine no-pe-total.dtb\nprofile qemu\nboot\n\
         request 0000:00:01.0 msix 3\nexpect request-fails 0000:00:01.0\n\
         request 0001:00:03.0 msi 1\nexpect request-fails 0001:00:03.0\n",
    )
    .unwrap();
    let (l, r, first) = pseries_sim::scenario::diff_clients(&scen, Client::Model, linux()).unwrap();
    assert_eq!((l.failure, r.failure), (None, None));
    assert!(first.is_none(), "{first:?}");
    let failed = "driver 0000:00:01.0: request msix 3 (min 3) failed: MSI not supported";
    assert!(
        l.observations.iter().any(|o| o.1 == failed),
        "{:?}",
        l.observations
    );
    for client in [Client::Model, linux()] {
        let mut out = Vec::new();
        pseries_sim::scenario::run_file_with(&scen, Default::default(), &mut out, client)
            .unwrap_or_else(|e| panic!("{e}"));
        for phb in [
            "/pci@800000020000000 (domain 0)",
            "/pci@800000020000001 (domain 1)",
        ] {
            let line = format!("PCI: failed to find MSIs for bridge {phb}");
            assert!(out.iter().any(|l| l.ends_with(&line)), "{line}: {out:?}");
        }
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn a_thousand_random_request_free_and_unbind_sequences_agree() {
    let client = linux();
    let base = fixture_tree("linux-guest/qemu-initial.dtb");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut limited, mut faulted, mut refused, mut unbound) = (0, 0, 0, 0);
    for seq in 0..1000 {
        let profile = if seq % 2 == 0 {
            Profile::Qemu
        } else {
            Profile::Papr
        };
        // Every third machine has a small PE total, so quotas clamp and spares move.
        let mut tree = base.clone();
        if seq % 3 == 0 {
            let phb = tree.find("/pci@800000020000000").unwrap();
            let total = 8 + rng.next(32) as u32;
            tree.set_prop(phb, "ibm,pe-total-#msi", total.to_be_bytes().to_vec());
        }
        let opts = |client| BootOptions {
            profile,
            client,
            trace: false,
            ..Default::default()
        };
        let mut a = pseries_sim::harness::boot(tree.clone(), opts(Client::Model)).unwrap();
        let mut b = pseries_sim::harness::boot(tree, opts(client)).unwrap();
        let mut ops = Vec::new();
        for _ in 0..8 {
            let d = rng.next(a.devices.len() as u64) as usize;
            let held = a.devices[d].msi.is_some();
            if !held && rng.next(6) == 0 {
                // The firmware answers busy, or grants fewer, on the next change-msi.
                let fault = if rng.next(2) == 0 {
                    Fault::Busy
                } else {
                    Fault::Fewer(1 + rng.next(3) as u32)
                };
                for k in [&mut a, &mut b] {
                    pseries_sim::harness::firmware_mut(k)
                        .faults
                        .add(FaultRule::new(Service::ChangeMsi, 0, 1, fault));
                }
                ops.push(format!("fault {fault:?}"));
                faulted += 1;
            }
            let op = if held && rng.next(2) == 0 {
                // The driver frees its vectors, or unbinds (6.1: the same calls).
                if rng.next(3) == 0 {
                    a.unbind(d);
                    b.unbind(d);
                    unbound += 1;
                    (format!("unbind {d}"), Ok(0), Ok(0))
                } else {
                    let ra = a.free(d).map(|_| 0);
                    let rb = b.free(d).map(|_| 0);
                    (format!("free {d}"), ra, rb)
                }
            } else {
                let kind = if rng.next(3) == 0 {
                    MsiType::Msi
                } else {
                    MsiType::Msix
                };
                let max = 1 + rng.next(8) as u32;
                let min = 1 + rng.next(max as u64) as u32;
                let ra = a.request(d, kind, max, min);
                let rb = b.request(d, kind, max, min);
                match &ra {
                    Ok(n) if *n < max => limited += 1,
                    Err(_) => refused += 1,
                    _ => {}
                }
                (format!("request {d} {kind} {max} min {min}"), ra, rb)
            };
            ops.push(op.0.clone());
            assert_eq!(
                op.1.is_ok(),
                op.2.is_ok(),
                "seq {seq}: {ops:?}: {:?} / {:?}",
                op.1,
                op.2
            );
            if op.1.is_ok() {
                assert_eq!(op.1, op.2, "seq {seq}: {ops:?}");
            }
            assert_eq!(msi_calls(&a, 0), msi_calls(&b, 0), "seq {seq}: {ops:?}");
            let held = |k: &Kernel| {
                k.devices
                    .iter()
                    .map(|d| {
                        d.msi
                            .as_ref()
                            .map(|m| (m.virqs.clone(), m.sources.clone(), m.messages.clone()))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(held(&a), held(&b), "seq {seq}: {ops:?}");
        }
    }
    // The sequences reach the interesting paths, not only plain grants.
    assert!(
        limited > 100 && faulted > 100 && refused > 100 && unbound > 100,
        "{limited} {faulted} {refused} {unbound}"
    );
}

fn cli(args: &[&str], cache: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(args)
        .env("PSERIES_SIM_CACHE", cache)
        .output()
        .unwrap()
}

fn cached(cache: &Path) -> usize {
    std::fs::read_dir(cache.join("linux-client"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn bad_clients_give_one_clear_error_and_cache_nothing() {
    let dir = root().join("target").join("linux-client-test").join("bad");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cache = dir.join("cache");
    let broken = dir.join("broken.c");
    std::fs::write(&broken, "int f(void) { return undeclared_thing; }\n").unwrap();
    let scen = fixture("linux-guest/boot.scenario");
    let spec = format!("--client=linux:{}", broken.display());
    let o = cli(&["run", scen.to_str().unwrap(), &spec], &cache);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(err.contains("does not compile"), "{err}");
    assert!(
        err.contains(&format!("{}:1:", broken.display())),
        "the compiler's own message with the path: {err}"
    );
    assert!(err.contains("undeclared_thing"), "{err}");
    assert_eq!(cached(&cache), 0, "nothing cached");

    let missing = dir.join("nope.c");
    let spec = format!("--client=linux:{}", missing.display());
    let o = cli(&["boot", &spec], &cache);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(
        err.contains("nope.c") && err.contains("No such file"),
        "{err}"
    );

    let spec = format!("--client=linux:{}", msi_c().display());
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(["boot", &spec])
        .env("PSERIES_SIM_CACHE", &cache)
        .env("CC", dir.join("no-such-compiler"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot run the C compiler"), "{err}");
    assert_eq!(cached(&cache), 0, "nothing cached");

    // A client that is neither kind is bad usage.
    let o = cli(&["boot", "--client", "java:x"], &cache);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected `model` or `linux:PATH/msi.c`"));
}

/// A Linux client (pseries' msi.c, which calls RTAS) with a forced backend that has no
/// RTAS MSI is bad usage naming both flags, refused before anything is compiled; with
/// --backend pseries the client runs.
#[test]
fn a_linux_client_with_a_backend_without_rtas_is_bad_usage() {
    let dir = root()
        .join("target")
        .join("linux-client-test")
        .join("backend");
    let _ = std::fs::remove_dir_all(&dir);
    let cache = dir.join("cache");
    let spec = format!("--client=linux:{}", msi_c().display());
    for backend in ["generic", "mpic", "axon"] {
        let o = cli(&["boot", "--quiet", "--backend", backend, &spec], &cache);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{backend}: {err}");
        assert!(
            err.contains(&format!("--client linux:{}", msi_c().display()))
                && err.contains(&format!("--backend {backend} programs MSIs without RTAS")),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
    assert_eq!(cached(&cache), 0, "nothing compiled");
    let o = cli(&["boot", "--quiet", "--backend", "pseries", &spec], &cache);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("0 fell back to LSI"), "{out}");
}

#[test]
fn diff_clients_exits_by_agreement() {
    let spec = format!("--client=linux:{}", msi_c().display());
    let cache = root()
        .join("target")
        .join("linux-client-test")
        .join("cache");
    let o = cli(
        &[
            "diff-clients",
            fixture("linux-guest/boot.scenario").to_str().unwrap(),
            &spec,
        ],
        &cache,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("the clients agree"), "{out}");
    let o = cli(
        &[
            "diff-clients",
            fixture("suspend-renumber.scenario").to_str().unwrap(),
            &spec,
        ],
        &cache,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("first difference"), "{out}");
    assert!(out.contains("lost its source"), "{out}");
}

#[test]
fn under_xive_the_real_code_makes_the_models_hypervisor_calls() {
    let hcalls = |client| {
        let (k, _) = run_fixture("linux-guest/boot.scenario", client);
        assert_eq!(
            k.intc.as_ref().map(|c| c.kind),
            Some(platform::kernel::ControllerKind::Xive),
            "CAS chose XIVE"
        );
        k.trace
            .iter()
            .filter(|e| matches!(e, platform::trace::Event::Hcall { .. }))
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    };
    let model = hcalls(Client::Model);
    assert!(
        model.iter().any(|h| h.contains("H_INT_GET_SOURCE_INFO")),
        "{model:?}"
    );
    assert_eq!(hcalls(linux()), model);
}

#[test]
fn diff_clients_takes_two_clients_left_then_right() {
    let cache = work("cache");
    let linux = format!("linux:{}", msi_c().display());
    let edited = format!("linux:{}", msi_c_without_clamp().display());
    let unbind = fixture("unbind.scenario");
    let quota = quota_scenario(&work("two"), 16, "request 0000:00:04.0 msix 4 min 1\n");
    // diff-clients on a scenario with these --client options: exit status, stdout lines.
    let diff = |scen: &Path, clients: &[&str]| {
        let mut args = vec!["diff-clients".to_string(), scen.display().to_string()];
        args.extend(clients.iter().map(|c| format!("--client={c}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = cli(&args, &cache);
        let lines = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>();
        (
            o.status.code(),
            lines,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // The model on either side, named explicitly.
    let (code, got, _) = diff(&unbind, &["model", &linux]);
    assert_eq!(code, Some(0), "{got:?}");
    assert_eq!(
        got,
        [
            "model: passed".to_string(),
            format!("{linux}: passed"),
            "the clients agree: 114 MSI calls, virq mappings and vectors alike".into()
        ]
    );
    let (code, got, _) = diff(&unbind, &[&linux, "model"]);
    assert_eq!(code, Some(0), "{got:?}");
    assert_eq!(
        got[..2],
        [format!("{linux}: passed"), "model: passed".into()]
    );
    // Once: compared with the model, as before.
    assert_eq!(diff(&unbind, &[&linux]), diff(&unbind, &["model", &linux]));
    // Two real files: 6.1 against the edit without the quota clamp, which parts at the
    // first change-msi over the quota; each side's line names its client, left first.
    let (code, got, _) = diff(&quota, &[&linux, &edited]);
    assert_eq!(code, Some(1), "{got:?}");
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(
        got[..2],
        [format!("{linux}: passed"), format!("{edited}: passed")]
    );
    assert!(
        got[2].starts_with("first difference, at observation "),
        "{got:?}"
    );
    for (line, client) in [(&got[3], &linux), (&got[4], &edited)] {
        let want = format!("  {client} (line 4): rtas ibm,change-msi");
        assert!(line.starts_with(&want), "{got:?}");
    }
    // A third --client is bad usage.
    let (code, _, err) = diff(&unbind, &["model", "model", &linux]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--client is given once"), "{err}");
}

/// A client built by a thread that then ends still gives working instances, those made
/// before the thread ended and those after (they are forked from a runner the client
/// started when it was built, which must not die with that thread).
#[test]
fn instances_outlive_the_thread_that_built_the_client() {
    // A file of its own (a comment added), so that this test builds the client.
    let text = std::fs::read_to_string(msi_c()).unwrap();
    let file = msi_c().with_file_name(format!("msi-thread-{}.c", std::process::id()));
    std::fs::write(&file, format!("{text}/* built by a thread that ends */\n")).unwrap();
    let spec = format!("linux:{}", file.display());
    let (built, end) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let builder = std::thread::spawn(move || {
        let c = Client::parse(&spec).unwrap_or_else(|e| panic!("{e}"));
        built.0.send(c).unwrap();
        let _ = end.1.recv();
    });
    let client = built.1.recv().unwrap();
    let before = boot("linux-guest/qemu-initial.dtb", Profile::Qemu, client);
    end.0.send(()).unwrap();
    builder.join().unwrap();
    // Let the thread's end reach what it started.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after = boot("linux-guest/qemu-initial.dtb", Profile::Qemu, client);
    for mut k in [before, after] {
        let d = k.device("0000:00:01.0").unwrap();
        assert_eq!(k.request(d, MsiType::Msix, 3, 3), Ok(3));
        assert_eq!(k.client_failure(), None);
    }
    let _ = std::fs::remove_file(file);
}

/// `start DEV V|all` through the file client's `psim_start_irq`: the e1000e-like fixture
/// (XIVE) and a XICS run make the model's calls, and the client's trace says which
/// vector each start requested.
#[test]
fn vectors_started_later_make_the_model_s_calls_in_the_file_client() {
    let fixture_file = fixture("start-later.scenario");
    let (_, _, first) =
        pseries_sim::scenario::diff_clients(&fixture_file, Client::Model, linux()).unwrap();
    assert!(first.is_none(), "{first:?}");
    let xics = on_the_fixture_machine(
        "start-later",
        "cas xics\nboot\nrequest 0000:00:01.0 msix 3 start 0\nstart 0000:00:01.0 2\n\
         fire 0000:00:01.0 2\nstart 0000:00:01.0 all\nexpect fires 0000:00:01.0 1\n",
    );
    let (_, _, first) = pseries_sim::scenario::diff_clients(&xics, Client::Model, linux()).unwrap();
    assert!(first.is_none(), "{first:?}");
    let mut out = Vec::new();
    pseries_sim::scenario::run_file_with(&xics, Default::default(), &mut out, linux())
        .unwrap_or_else(|e| panic!("{e}"));
    let on: Vec<&String> = out.iter().filter(|l| l.contains("ibm,int-on")).collect();
    assert_eq!(
        on,
        [
            "rtas   ibm,int-on source 0x1302 -> 0",
            "rtas   ibm,int-on source 0x1300 -> 0",
            "rtas   ibm,int-on source 0x1301 -> 0",
        ],
        "{out:#?}"
    );
}

/// A scenario on the fixture guest's machine (profile qemu) with `body`, in the work
/// folder `name`.
fn on_the_fixture_machine(name: &str, body: &str) -> PathBuf {
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let scen = work(name).join(format!("{name}.scenario"));
    let text = format!("machine {}\nprofile qemu\n{body}", machine.display());
    std::fs::write(&scen, text).unwrap();
    scen
}

/// The XICS calls of a start and a free (ibm,set-xive, ibm,int-on, ibm,int-off), in order.
fn xics_calls(scen: &Path, client: Client) -> Vec<String> {
    let mut out = Vec::new();
    pseries_sim::scenario::run_file_with(scen, Default::default(), &mut out, client)
        .unwrap_or_else(|e| panic!("{e}"));
    out.into_iter()
        .filter(|l| {
            ["ibm,set-xive", "ibm,int-on", "ibm,int-off"]
                .iter()
                .any(|c| l.contains(c))
        })
        .collect()
}

/// Under XICS, free_irq's shutdown reaches no firmware: 6.1's MSI chip hands it to the
/// ICS chip, which has no irq_shutdown. The model makes the file client's calls: the
/// unmasks of the started vectors, and no ibm,int-off at the free.
#[test]
fn under_xics_a_free_makes_no_int_off_in_either_client() {
    let scen = on_the_fixture_machine(
        "xics-free",
        "cas xics\nboot\nrequest 0000:00:01.0 msix 3 start 2\nfire 0000:00:01.0 1\nfree 0000:00:01.0\n",
    );
    let model = xics_calls(&scen, Client::Model);
    assert_eq!(xics_calls(&scen, linux()), model);
    assert_eq!(
        model.iter().filter(|l| l.contains("ibm,int-on")).count(),
        2,
        "{model:#?}"
    );
    assert!(
        !model.iter().any(|l| l.contains("ibm,int-off")),
        "{model:#?}"
    );
}

/// A scenario's trace with 6.1's msi.c (it must pass) and the index of the line of
/// `dev`'s hot removal.
fn trace_split_at_removal(scen: &Path, dev: &str) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    pseries_sim::scenario::run_file_with(scen, Default::default(), &mut out, linux())
        .unwrap_or_else(|e| panic!("{e}"));
    let removed = out
        .iter()
        .position(|l| l.contains(&format!("dlpar: removed {dev}")))
        .unwrap_or_else(|| panic!("{out:?}"));
    (out, removed)
}

/// PHB 0 with a PE total of 8 for its 9 functions: 0000:00:01.0's request of 2 is not
/// limited while usb-xhci@8 is counted (quota 8 / 9 = 0, which 6.1 takes as no limit),
/// then usb-xhci@8 is hot-removed and the same request meets quota 8 / 8 = 1.
const QUOTA_AFTER_REMOVAL: &str = "request 0000:00:01.0 msix 2\nexpect granted 0000:00:01.0 2\nfree 0000:00:01.0\nhotplug remove 0000:00:08.0\nrequest 0000:00:01.0 msix 2\nexpect request-fails 0000:00:01.0\n";

#[test]
fn a_hot_removed_function_is_no_longer_counted_by_msi_c() {
    let scen = quota_scenario(&work("hot-removed"), 8, QUOTA_AFTER_REMOVAL);
    let (out, removed) = trace_split_at_removal(&scen, "0000:00:08.0");
    let counted = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| l.ends_with("rtas_msi: counting /pci@800000020000000/usb-xhci@8"))
            .count()
    };
    assert!(counted(&out[..removed]) > 0, "{out:?}");
    assert_eq!(counted(&out[removed..]), 0, "{out:?}");
    assert!(
        out[removed..]
            .iter()
            .any(|l| l.ends_with("rtas_msi: request clamped to quota 1")),
        "{out:?}"
    );
    let (l, r, first) = pseries_sim::scenario::diff_clients(&scen, Client::Model, linux()).unwrap();
    assert_eq!((l.failure, r.failure), (None, None));
    assert!(first.is_none(), "{first:?}");
}

#[test]
fn a_function_hot_added_again_is_counted_once_by_msi_c() {
    // fixtures/hotplug.scenario adds and removes ethernet@10; it is added again and the
    // PE's functions counted at each request: its old node left msi.c's tree at the
    // removal, so every walk after it meets ethernet@10 once, as it meets vga@0.
    let text = std::fs::read_to_string(fixture("hotplug.scenario")).unwrap();
    let nic = fixture("hotplug-virtio-net.dts");
    let text = text
        .replace(
            "machine qemu/b_devices.dtb",
            &format!("machine {}", fixture("qemu/b_devices.dtb").display()),
        )
        .replace("hotplug-virtio-net.dts", &nic.display().to_string())
        + &format!(
            "hotplug add 0000:00:10.0 {}\nexpect granted 0000:00:10.0 5\nfree 0000:00:02.0\nrequest 0000:00:02.0 msix 5\n",
            nic.display()
        );
    let scen = work("added-again").join("added-again.scenario");
    std::fs::write(&scen, text).unwrap();
    let (out, removed) = trace_split_at_removal(&scen, "0000:00:10.0");
    let walks = |name: &str| {
        let line = format!("rtas_msi: counting /pci@800000020000000/{name}");
        out[removed..].iter().filter(|l| l.ends_with(&line)).count()
    };
    assert!(walks("vga@0") > 0, "{out:?}");
    assert_eq!(walks("ethernet@10"), walks("vga@0"), "{out:?}");
    let (l, r, first) = pseries_sim::scenario::diff_clients(&scen, Client::Model, linux()).unwrap();
    assert_eq!((l.failure, r.failure), (None, None));
    assert!(first.is_none(), "{first:?}");
}
