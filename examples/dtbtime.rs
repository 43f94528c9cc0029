//! Times DTB read and write of a file (a development aid).
fn main() {
    let p = std::env::args().nth(1).expect("path");
    let b = std::fs::read(p).expect("read");
    let t = std::time::Instant::now();
    let tree = of_tree::dtb::read(&b).expect("parse");
    let r = t.elapsed();
    let t = std::time::Instant::now();
    let out = of_tree::dtb::write(&tree, &Default::default()).expect("write");
    let w = t.elapsed();
    let t = std::time::Instant::now();
    drop(tree);
    println!(
        "read {r:?} write {w:?} drop {:?} ({} bytes)",
        t.elapsed(),
        out.len()
    );
}
