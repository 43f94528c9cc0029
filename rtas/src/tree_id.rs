//! A tree's identity: the CRC-64 that ties a state blob to the tree it was saved from.

/// CRC-64/XZ, sixteen bytes a step.
pub(crate) const CRC: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_XZ);

/// Identity of a tree: CRC-64 over its nodes in order (each name with its depth, each
/// property's name and value) and its memory reservations.
pub fn tree_id(tree: &of_tree::Tree) -> u64 {
    let mut d = CRC.digest();
    let mut stack = vec![(tree.root(), 0u32)];
    // A node's bytes go to the digest in one piece: the same CRC as piece by piece,
    // at a fraction of the calls.
    let mut buf = Vec::new();
    while let Some((id, depth)) = stack.pop() {
        let n = tree.node(id);
        buf.clear();
        buf.extend_from_slice(&depth.to_be_bytes());
        buf.extend_from_slice(n.name().as_bytes());
        buf.push(0);
        for p in &n.props {
            buf.extend_from_slice(p.name().as_bytes());
            buf.push(0);
            buf.extend_from_slice(&(p.value.len() as u32).to_be_bytes());
            buf.extend_from_slice(&p.value);
        }
        d.update(&buf);
        for &c in n.children().iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    for r in &tree.reservations {
        d.update(&r.address.to_be_bytes());
        d.update(&r.size.to_be_bytes());
    }
    d.finalize()
}
