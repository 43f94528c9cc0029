//! A summary of a tree for whole-tree searches: which property names each node carries
//! (a small filter per node) and which nodes carry each `compatible` and `device_type`
//! string. Built on the first search, dropped by any change to the tree, so a search
//! reads every node's properties at most once between changes.

use crate::fxhash::FxHasher;
use crate::node::{split_strings, Node, NodeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

type Map = HashMap<Box<[u8]>, Vec<NodeId>, BuildHasherDefault<FxHasher>>;

/// The summary of one state of a tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    /// Nodes reachable from the root, in depth-first pre-order.
    pub(crate) order: Vec<NodeId>,
    /// Per node (by arena index), two bits per property name it carries.
    names: Vec<u128>,
    /// `compatible` string -> nodes whose list holds it, in tree order.
    compatible: Map,
    /// `device_type` string -> nodes of that type, in tree order.
    device_type: Map,
}

/// The two filter bits a property name sets.
pub(crate) fn name_bits(name: &str) -> u128 {
    let mut h = FxHasher::default();
    h.write(name.as_bytes());
    let v = h.finish();
    (1u128 << (v & 127)) | (1u128 << ((v >> 7) & 127))
}

impl Index {
    /// The summary of a tree whose arena holds `arena_len` nodes, of which `nodes` gives
    /// those reachable from the root, in pre-order.
    pub(crate) fn build<'a>(
        arena_len: usize,
        nodes: impl Iterator<Item = (NodeId, &'a Node)>,
    ) -> Index {
        let mut ix = Index {
            order: Vec::with_capacity(arena_len),
            names: vec![0; arena_len],
            ..Index::default()
        };
        for (id, node) in nodes {
            ix.order.push(id);
            let mut bits = 0;
            for p in &node.props {
                bits |= name_bits(p.name());
                match p.name() {
                    "compatible" => {
                        for s in split_strings(&p.value) {
                            ix.compatible.entry(s.into()).or_default().push(id);
                        }
                    }
                    "device_type" => {
                        let v = p.value.strip_suffix(b"\0").unwrap_or(&p.value);
                        ix.device_type.entry(v.into()).or_default().push(id);
                    }
                    _ => {}
                }
            }
            ix.names[id.index()] = bits;
        }
        // Each list once, even when a node names a string twice.
        for v in ix.compatible.values_mut() {
            v.dedup();
        }
        ix
    }

    /// Nodes whose `compatible` string list contains `compat`, in tree order.
    pub(crate) fn compatible(&self, compat: &str) -> &[NodeId] {
        self.compatible
            .get(compat.as_bytes())
            .map_or(&[], Vec::as_slice)
    }

    /// Nodes whose `device_type` is `ty`, in tree order.
    pub(crate) fn device_type(&self, ty: &str) -> &[NodeId] {
        self.device_type
            .get(ty.as_bytes())
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a node may carry a property whose [`name_bits`] are `bits` (false: it
    /// surely does not).
    pub(crate) fn may_carry(&self, id: NodeId, bits: u128) -> bool {
        self.names[id.index()] & bits == bits
    }
}

/// The cached summary: not part of a tree's value (equality and debug output ignore it).
#[derive(Clone, Default)]
pub(crate) struct IndexCell(OnceLock<Index>);

impl IndexCell {
    /// Forgets the summary (the tree is about to change).
    pub(crate) fn clear(&mut self) {
        self.0.take();
    }

    /// The summary, made by `build` when there is none.
    pub(crate) fn get_or_build(&self, build: impl FnOnce() -> Index) -> &Index {
        self.0.get_or_init(build)
    }

    /// Whether the summary is built.
    pub(crate) fn is_built(&self) -> bool {
        self.0.get().is_some()
    }

    /// Keeps a built summary right after `child` (a new node, without properties) was
    /// added as the last child of its parent: it joins the pre-order before `next`, the
    /// first node after its subtree (none: at the end), when it is `attached` (reachable
    /// from the root).
    pub(crate) fn note_child(&mut self, child: NodeId, next: Option<NodeId>, attached: bool) {
        let Some(ix) = self.0.get_mut() else { return };
        if ix.names.len() != child.index() {
            return self.clear();
        }
        let at = match next {
            Some(n) => ix.order.iter().position(|&o| o == n),
            None => Some(ix.order.len()),
        };
        ix.names.push(0);
        match (attached, at) {
            (false, _) => {}
            (true, Some(i)) => ix.order.insert(i, child),
            (true, None) => self.clear(),
        }
    }

    /// Keeps the summary right when a property named `name` of `node` is set, added
    /// or removed: the node's filter gains the name's bits (a filter may hold bits of
    /// names gone), and a change to `compatible` or `device_type` drops the summary.
    pub(crate) fn note_prop(&mut self, node: NodeId, name: &str) {
        let Some(ix) = self.0.get_mut() else { return };
        match (name, ix.names.get_mut(node.index())) {
            ("compatible" | "device_type", _) | (_, None) => self.clear(),
            (_, Some(bits)) => *bits |= name_bits(name),
        }
    }
}

impl PartialEq for IndexCell {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for IndexCell {}

impl std::fmt::Debug for IndexCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexCell")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Tree;

    fn scan(t: &Tree, f: impl Fn(&Tree, NodeId) -> bool) -> Vec<NodeId> {
        t.walk().into_iter().filter(|&n| f(t, n)).collect()
    }

    #[test]
    fn searches_match_a_scan_of_every_node_and_follow_changes() {
        let src = "/dts-v1/; / { compatible = \"a\", \"b\"; \
            x@1 { compatible = \"b\", \"b\"; device_type = \"pci\"; q; \
                y@2 { device_type = \"pci\"; r = <1>; }; }; \
            z@3 { compatible = \"c\"; r; }; };";
        let mut t = crate::dts::parse_str(src, "t.dts").unwrap();
        let check = |t: &Tree| {
            for c in ["a", "b", "c", "d"] {
                let want = scan(t, |t, n| {
                    t.node(n)
                        .prop("compatible")
                        .is_some_and(|p| split_strings(&p.value).any(|s| s == c.as_bytes()))
                });
                assert_eq!(t.find_compatible(c), want, "compatible {c}");
            }
            for ty in ["pci", "memory"] {
                let want = scan(t, |t, n| {
                    t.at(n).string("device_type").ok().flatten() == Some(ty)
                });
                assert_eq!(t.find_device_type(ty), want, "device_type {ty}");
            }
            for name in ["r", "q", "compatible", "absent", "device_type"] {
                let want = scan(t, |t, n| t.node(n).prop(name).is_some());
                assert_eq!(t.with_prop(name).collect::<Vec<_>>(), want, "{name}");
            }
        };
        check(&t);
        assert_eq!(
            t.find_compatible("b").len(),
            2,
            "x@1 once, though it names b twice"
        );
        let [x, y] = t.find_device_type("pci")[..] else {
            panic!("two pci nodes")
        };
        // Every kind of change is seen by the next search.
        t.set_prop(y, "compatible", &b"d\0"[..]);
        assert!(t.remove_prop(x, "device_type"));
        let w = t.add_child(t.root(), "w@4");
        t.push_prop(w, crate::Property::new("q", Vec::new()));
        let typed = crate::Property::new("device_type", &b"pci\0"[..]);
        t.node_mut(w).props.push(typed);
        let z = t.child_by_name(t.root(), "z@3").unwrap();
        t.remove_node(z).unwrap();
        check(&t);
        assert_eq!(t.find_compatible("d"), vec![y]);
        assert_eq!(t.find_compatible("c"), Vec::<NodeId>::new());
        assert_eq!(t.find_device_type("pci"), vec![y, w]);
        assert_eq!(t.with_prop("q").collect::<Vec<_>>(), vec![x, w]);
    }

    #[test]
    fn property_changes_keep_a_built_summary_right() {
        let src = "/dts-v1/; / { x@1 { q; device_type = \"pci\"; }; y@2 { r = <1>; }; };";
        let mut t = crate::dts::parse_str(src, "t.dts").unwrap();
        let x = t.child_by_name(t.root(), "x@1").unwrap();
        let y = t.child_by_name(t.root(), "y@2").unwrap();
        let with = |t: &Tree, name: &str| t.with_prop(name).collect::<Vec<_>>();
        assert_eq!(with(&t, "s"), Vec::<NodeId>::new(), "built here");
        // Each change below comes after a search, so the summary is there to keep.
        t.set_prop(x, "s", &b"1"[..]);
        assert_eq!(with(&t, "s"), vec![x], "a new name set");
        t.push_prop(y, crate::Property::new("s", Vec::new()));
        assert_eq!(with(&t, "s"), vec![x, y], "a new name pushed");
        assert!(t.remove_prop(y, "r"));
        assert_eq!(with(&t, "r"), Vec::<NodeId>::new(), "a name removed");
        assert_eq!(t.find_device_type("pci"), vec![x]);
        t.set_prop(y, "device_type", &b"pci\0"[..]);
        assert_eq!(t.find_device_type("pci"), vec![x, y], "a new device_type");
        t.set_prop(y, "compatible", &b"c\0"[..]);
        assert_eq!(t.find_compatible("c"), vec![y], "a new compatible");
        assert!(t.remove_prop(x, "device_type"));
        assert_eq!(t.find_device_type("pci"), vec![y], "a device_type removed");
        // New nodes join the pre-order where a full scan finds them.
        let xc = t.add_child(x, "c@1");
        t.set_prop(xc, "s", Vec::new());
        let end = t.add_child(t.root(), "e@9");
        t.set_prop(end, "s", Vec::new());
        let deep = t.add_child(xc, "d@2");
        t.set_prop(deep, "s", Vec::new());
        let want = scan(&t, |t, n| t.node(n).prop("s").is_some());
        assert_eq!(want, vec![x, xc, deep, y, end]);
        assert_eq!(with(&t, "s"), want, "added nodes in tree order");
        t.remove_node(y).unwrap();
        assert_eq!(with(&t, "s"), vec![x, xc, deep, end], "rebuilt without y");
        let gone = t.add_child(y, "g@1");
        t.set_prop(gone, "s", Vec::new());
        assert_eq!(
            with(&t, "s"),
            vec![x, xc, deep, end],
            "below a removed node: unseen"
        );
    }

    #[test]
    fn equality_ignores_whether_the_summary_was_built() {
        let t = crate::dts::parse_str("/dts-v1/; / { a { compatible = \"x\"; }; };", "t").unwrap();
        let u = t.clone();
        assert_eq!(t.find_compatible("x").len(), 1);
        assert_eq!(t, u);
    }
}
