//! DTB read and write of a large generated tree (16 PHBs x 8192 functions, ~44 MiB),
//! next to a plain copy of the same bytes.

use criterion::{criterion_group, criterion_main, Criterion};
use pseries_sim::gen::{generate, GenSpec};

fn big_blob() -> Vec<u8> {
    let t = generate(&GenSpec {
        phbs: 16,
        functions: 8192,
        msix: 16,
        msi: 0,
    });
    of_tree::dtb::write(&t, &Default::default()).expect("write")
}

fn dtb(c: &mut Criterion) {
    let blob = big_blob();
    eprintln!("blob: {} bytes", blob.len());
    let mut g = c.benchmark_group("dtb-44MiB");
    g.sample_size(10);
    g.bench_function("copy", |b| b.iter(|| std::hint::black_box(blob.clone())));
    g.bench_function("read", |b| {
        b.iter(|| of_tree::dtb::read(&blob).expect("read"))
    });
    let tree = of_tree::dtb::read(&blob).expect("read");
    g.bench_function("write", |b| {
        b.iter(|| of_tree::dtb::write(&tree, &Default::default()).expect("write"))
    });
    g.bench_function("read+write", |b| {
        b.iter(|| {
            let t = of_tree::dtb::read(&blob).expect("read");
            of_tree::dtb::write(&t, &Default::default()).expect("write")
        })
    });
    g.finish();
}

criterion_group!(benches, dtb);
criterion_main!(benches);
