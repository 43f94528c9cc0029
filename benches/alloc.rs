//! Cost of one PAPR (buddy) allocation and free at pool sizes 2^16 and 2^24: the goal
//! is a cost that does not grow with the pool.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rtas::alloc::{BlockKind, BuddyPool};

fn fragmented(size: u32) -> (BuddyPool, Vec<(u32, u32)>) {
    let mut p = BuddyPool::new(1 << 24, size);
    let mut live = Vec::new();
    // Fill a quarter of the pool with blocks of mixed sizes, then free every other one.
    let mut n = 1u32;
    while p.free_count() > size - size / 4 {
        let c = 1 + n % 13;
        let kind = if n.is_multiple_of(3) {
            BlockKind::Msi
        } else {
            BlockKind::Msix
        };
        if let Some(f) = p.alloc(c, kind) {
            live.push((
                f,
                if kind == BlockKind::Msi {
                    c.next_power_of_two()
                } else {
                    c
                },
            ));
        }
        n += 1;
    }
    let mut keep = Vec::new();
    for (i, b) in live.into_iter().enumerate() {
        if i % 2 == 0 {
            p.free(b.0, b.1);
        } else {
            keep.push(b);
        }
    }
    (p, keep)
}

fn alloc(c: &mut Criterion) {
    let mut g = c.benchmark_group("papr-alloc");
    for bits in [16u32, 24] {
        let (mut pool, _) = fragmented(1 << bits);
        let mut i = 0u32;
        g.bench_with_input(
            BenchmarkId::from_parameter(format!("2^{bits}")),
            &bits,
            |b, _| {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    let count = 1 + i % 16;
                    let kind = if i.is_multiple_of(4) {
                        BlockKind::Msi
                    } else {
                        BlockKind::Msix
                    };
                    let first = pool.alloc(count, kind).expect("room");
                    let len = if kind == BlockKind::Msi {
                        count.next_power_of_two()
                    } else {
                        count
                    };
                    pool.free(first, len);
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, alloc);
criterion_main!(benches);
