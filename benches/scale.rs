//! The scale table's rows as criterion benchmarks: boots of 131 k and 8 k functions,
//! `check` of 131 k functions, a full trace of a 2000-function PHB into a sink, and 200
//! scenarios on one thread and on two.

use criterion::{criterion_group, criterion_main, Criterion};
use pseries_sim::boot::{boot_all, boot_all_with};
use pseries_sim::gen::{generate, GenSpec};
use pseries_sim::BootOptions;
use std::path::PathBuf;

fn quiet() -> BootOptions {
    BootOptions {
        trace: false,
        rtas_log: false,
        ..Default::default()
    }
}

fn tree(phbs: u32, functions: u32, msix: u32) -> of_tree::Tree {
    generate(&GenSpec {
        phbs,
        functions,
        msix,
        msi: 0,
    })
}

fn functions(c: &mut Criterion) {
    let mut g = c.benchmark_group("functions");
    g.sample_size(10);
    for f in [512u32, 8192] {
        let t = tree(16, f, 16);
        g.bench_function(format!("boot-16x{f}x16"), |b| {
            b.iter_with_large_drop(|| boot_all(t.clone(), quiet()).expect("boot").kernel)
        });
    }
    let t = tree(16, 8192, 16);
    g.bench_function("check-16x8192", |b| {
        b.iter(|| pseries_sim::check::check(&t))
    });
    g.finish();
}

fn trace(c: &mut Criterion) {
    let mut g = c.benchmark_group("trace");
    g.sample_size(10);
    let t = tree(1, 2000, 1);
    g.bench_function("full-human-trace-1x2000", |b| {
        b.iter_with_large_drop(|| {
            let mut bytes = 0usize;
            let sink = Box::new(move |e: &platform::trace::Event| {
                bytes += e.to_string().len();
                std::hint::black_box(bytes);
            });
            let opts = BootOptions::default();
            let tracer = Box::new(platform::trace::tracer::Stream::new(sink));
            boot_all_with(t.clone(), opts, Some(tracer), None)
                .expect("boot")
                .kernel
        })
    });
    g.finish();
}

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenarios");
    g.sample_size(10);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("pseries-sim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let boot = std::fs::read_to_string(root.join("fixtures/linux-guest/boot.scenario"))
        .expect("fixture")
        .replace(
            "machine ",
            &format!("machine {}/", root.join("fixtures/linux-guest").display()),
        )
        .replace(
            "expect rtas-log ",
            &format!(
                "expect rtas-log {}/",
                root.join("fixtures/linux-guest").display()
            ),
        );
    let files: Vec<PathBuf> = (0..200)
        .map(|i| {
            let f = dir.join(format!("s{i:03}.scenario"));
            std::fs::write(&f, &boot).expect("write");
            f
        })
        .collect();
    for jobs in [1usize, 2] {
        g.bench_function(format!("200-scenarios-j{jobs}"), |b| {
            b.iter(|| pseries_sim::many::run_all(&files, jobs, &|_| {}))
        });
    }
    g.finish();
}

criterion_group!(benches, functions, trace, scenarios);
criterion_main!(benches);
