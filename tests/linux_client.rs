//! The real Linux client: Debian's linux-source-6.1 `arch/powerpc/platforms/pseries/
//! msi.c`, taken from the package at test time (scripts/test.sh installs it), compiled
//! and run against our firmware, and compared with the model.

mod common;

use common::*;
use platform::linux::Client;
use platform::{Kernel, MsiType};
use pseries_sim::BootOptions;
use rtas::faults::{Fault, FaultRule};
use rtas::{Profile, Service};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TARBALL: &str = "/usr/src/linux-source-6.1.tar.xz";
const MEMBER: &str = "linux-source-6.1/arch/powerpc/platforms/pseries/msi.c";

/// The package's msi.c, unpacked once into the target folder; fails loudly without it.
fn msi_c() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = root().join("target").join("linux-client-test");
        // Builds of this test binary in their own cache, not the user's.
        std::env::set_var("PSERIES_SIM_CACHE", dir.join("cache"));
        let file = dir.join(MEMBER);
        if !file.is_file() {
            assert!(
                Path::new(TARBALL).is_file(),
                "{TARBALL} is required (Debian: linux-source-6.1); run scripts/test.sh, which installs it"
            );
            std::fs::create_dir_all(&dir).unwrap();
            let st = Command::new("tar")
                .args(["-xJf", TARBALL, "-C"])
                .arg(&dir)
                .arg(MEMBER)
                .status()
                .expect("tar runs");
            assert!(st.success(), "tar could not unpack {MEMBER}");
        }
        file
    })
}

fn linux() -> Client {
    Client::parse(&format!("linux:{}", msi_c().display())).unwrap_or_else(|e| panic!("{e}"))
}

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

#[test]
fn the_guest_scenario_makes_the_guests_88_calls_with_the_real_code() {
    let client = linux();
    let mut out = Vec::new();
    let k = pseries_sim::scenario::run_file_with(
        &fixture("linux-guest/boot.scenario"),
        Default::default(),
        &mut out,
        client,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .expect("booted");
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

#[test]
fn an_edited_msi_c_makes_other_calls_and_diff_clients_names_the_first() {
    let text = std::fs::read_to_string(msi_c()).unwrap();
    // The quota clamp removed: a request over the quota goes to the firmware whole.
    let clamp = "\tif (quota && quota < nvec)\n\t\treturn quota;\n";
    assert!(text.contains(clamp), "6.1's msi.c has the clamp");
    let dir = root()
        .join("target")
        .join("linux-client-test")
        .join("edited");
    std::fs::create_dir_all(&dir).unwrap();
    let edited = dir.join("msi.c");
    std::fs::write(&edited, text.replace(clamp, "")).unwrap();
    let client = Client::parse(&format!("linux:{}", edited.display())).unwrap();
    // A tree whose PE total is smaller than one function's request.
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let phb = tree.find("/pci@800000020000000").unwrap();
    tree.set_prop(phb, "ibm,pe-total-#msi", 16u32.to_be_bytes().to_vec());
    let scen = dir.join("quota.scenario");
    let dtb = dir.join("quota.dtb");
    std::fs::write(
        &dtb,
        of_tree::dtb::write(&tree, &Default::default()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        &scen,
        "machine quota.dtb\nprofile qemu\nboot\nrequest 0000:00:04.0 msix 4 min 1\n",
    )
    .unwrap();
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
fn a_thousand_random_request_and_free_sequences_agree() {
    let client = linux();
    let base = fixture_tree("linux-guest/qemu-initial.dtb");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut limited, mut faulted, mut refused) = (0, 0, 0);
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
                let ra = a.free(d).map(|_| 0);
                let rb = b.free(d).map(|_| 0);
                (format!("free {d}"), ra, rb)
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
        limited > 100 && faulted > 100 && refused > 100,
        "{limited} {faulted} {refused}"
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
    assert_eq!(o.status.code(), Some(1), "{err}");
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
    assert_eq!(o.status.code(), Some(1), "{err}");
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

    let o = cli(&["boot", "--client", "java:x"], &cache);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected `model` or `linux:PATH/msi.c`"));
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
        let k = pseries_sim::scenario::run_file_with(
            &fixture("linux-guest/boot.scenario"),
            Default::default(),
            &mut Vec::new(),
            client,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("booted");
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
