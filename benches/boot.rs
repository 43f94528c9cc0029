//! Boot of generated machines (every driver asking for every vector), the RTAS cost per
//! vector at pool sizes 2^16 and 2^24, and save/restore of the 1 M-vector machine.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pseries_sim::boot::boot_all;
use pseries_sim::gen::{generate, GenSpec};
use pseries_sim::BootOptions;
use rtas::{Firmware, MachineConfig, Profile, Service};

fn quiet() -> BootOptions {
    BootOptions {
        trace: false,
        rtas_log: false,
        ..Default::default()
    }
}

fn boot(c: &mut Criterion) {
    let mut g = c.benchmark_group("boot");
    g.sample_size(10);
    for phbs in [1u32, 16] {
        let tree = generate(&GenSpec {
            phbs,
            functions: 256,
            msix: 256,
            msi: 0,
        });
        let vectors = phbs as u64 * 256 * 256;
        g.throughput(Throughput::Elements(vectors));
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("{vectors}-vectors")),
            &tree,
            |b, t| {
                b.iter_with_large_drop(|| {
                    let r = boot_all(t.clone(), quiet()).expect("boot");
                    assert_eq!(r.vectors, vectors);
                    r.kernel
                })
            },
        );
    }
    g.finish();
}

fn change_msi_and_query(c: &mut Criterion) {
    let mut g = c.benchmark_group("change-msi+query");
    let tree = generate(&GenSpec {
        phbs: 1,
        functions: 64,
        msix: 256,
        msi: 0,
    });
    for bits in [16u32, 24] {
        let cfg = MachineConfig {
            profile: Profile::Papr,
            pool_size: Some(1 << bits),
            bare_metal: false,
        };
        let mut fw = Firmware::new(&tree, &cfg).expect("machine");
        fw.log_enabled = false;
        let buid = fw.machine.phbs[0].buid;
        let (hi, lo) = ((buid >> 32) as u32, buid as u32);
        // Half the functions hold their vectors, so the pool is not empty.
        for f in 0..32u32 {
            fw.call(Service::ChangeMsi, &[f << 8, hi, lo, 4, 256, 1], 4)
                .expect("call");
        }
        let mut f = 32u32;
        let mut out = [0u32; 4];
        g.throughput(Throughput::Elements(256));
        g.bench_function(BenchmarkId::from_parameter(format!("pool-2^{bits}")), |b| {
            b.iter(|| {
                let cfg_addr = f << 8;
                fw.call_into(Service::ChangeMsi, &[cfg_addr, hi, lo, 4, 256, 1], &mut out)
                    .expect("call");
                assert_eq!(out[..2], [0, 256]);
                let mut q = [0u32; 3];
                for i in 0..256 {
                    fw.call_into(
                        Service::QueryInterruptSourceNumber,
                        &[cfg_addr, hi, lo, i],
                        &mut q,
                    )
                    .expect("call");
                }
                fw.call_into(Service::ChangeMsi, &[cfg_addr, hi, lo, 3, 0, 1], &mut out)
                    .expect("call");
                f = 32 + (f + 1) % 32;
            })
        });
    }
    g.finish();
}

fn save_restore(c: &mut Criterion) {
    let mut g = c.benchmark_group("state-1M-vectors");
    g.sample_size(10);
    let tree = generate(&GenSpec {
        phbs: 16,
        functions: 256,
        msix: 256,
        msi: 0,
    });
    let rep = boot_all(tree.clone(), quiet()).expect("boot");
    let blob = pseries_sim::harness::save(&rep.kernel);
    eprintln!("state blob: {} bytes", blob.len());
    g.bench_function("save", |b| {
        b.iter(|| pseries_sim::harness::save(&rep.kernel))
    });
    let mut fresh = Firmware::new(&tree, &MachineConfig::default()).expect("machine");
    g.bench_function("restore", |b| {
        b.iter(|| fresh.restore(&blob).expect("restore"))
    });
    g.finish();
}

criterion_group!(benches, boot, change_msi_and_query, save_restore);
criterion_main!(benches);
