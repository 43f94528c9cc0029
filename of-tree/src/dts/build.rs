//! Building a [`Tree`] from the syntax tree as dtc builds it: the statements in order
//! (blocks merged by `merge`), then dtc's checks, references, and what overlays and
//! `-@` add. Here: the builder's state, labels and reference lookup.

use super::ast::{At, RefAt, Top};
use super::lex::Ref;
use super::options::Options;
use super::source::Source;
use crate::error::Error;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::node::{Labels, NodeId};
use crate::tree::{Reservation, Tree};

/// A reference waiting in a property value.
#[derive(Debug, Clone)]
pub(super) struct Marker {
    /// Where in the value: of the phandle cell, or where the path goes.
    pub offset: usize,
    /// A `<&ref>` cell (else a bare `&ref`, replaced by the path).
    pub phandle: bool,
    pub target: RefAt,
}

/// A property, named by its node and name.
pub(super) type PropKey = (NodeId, String);

/// A property while blocks are merged, by its node and place (names may repeat then).
pub(super) type Slot = (NodeId, usize);

pub(super) struct Builder<'s> {
    pub src: &'s Source,
    pub opts: &'s Options,
    pub tree: Tree,
    /// Every node a label was ever given to (the live one is the one found).
    labels: HashMap<String, Vec<NodeId>>,
    /// Nodes that were given a label, even one deleted since (dtc's `-@` gives each a
    /// phandle).
    pub labelled: HashSet<NodeId>,
    /// Where each node label was last given.
    pub label_at: HashMap<(NodeId, String), At>,
    /// While merging: each property's references, where it was last defined, and the
    /// labels inside its value; after, the same by name.
    pub slot_markers: HashMap<Slot, Vec<Marker>>,
    pub slot_at: HashMap<Slot, At>,
    pub slot_value_labels: HashMap<Slot, Vec<(String, At)>>,
    pub markers: HashMap<PropKey, Vec<Marker>>,
    pub prop_at: HashMap<PropKey, At>,
    pub value_labels: HashMap<PropKey, Vec<(String, At)>>,
    /// Where each node was last defined.
    pub node_at: HashMap<NodeId, At>,
    /// What is deleted but keeps its place until the end.
    pub dead_nodes: HashSet<NodeId>,
    pub dead_props: HashSet<Slot>,
    /// Nodes marked `/omit-if-no-ref/`, and the nodes something refers to.
    pub omit: HashSet<NodeId>,
    pub referenced: HashSet<NodeId>,
    /// The file is a `/plugin/` overlay.
    pub plugin: bool,
    pub fragments: u32,
    /// Phandles in use, and where dtc's counter for new ones stands.
    pub used_phandles: HashSet<u32>,
    pub next_phandle: u32,
}

/// Builds the tree that the statements describe.
pub(crate) fn build(src: &Source, opts: &Options, tops: Vec<Top>) -> Result<Tree, Error> {
    let mut b = Builder {
        src,
        opts,
        tree: Tree::new(),
        labels: HashMap::default(),
        labelled: HashSet::default(),
        label_at: HashMap::default(),
        slot_markers: HashMap::default(),
        slot_at: HashMap::default(),
        slot_value_labels: HashMap::default(),
        markers: HashMap::default(),
        prop_at: HashMap::default(),
        value_labels: HashMap::default(),
        node_at: HashMap::default(),
        dead_nodes: HashSet::default(),
        dead_props: HashSet::default(),
        omit: HashSet::default(),
        referenced: HashSet::default(),
        plugin: false,
        fragments: 0,
        used_phandles: HashSet::default(),
        next_phandle: 1,
    };
    let root = b.tree.root();
    let mut first_tree = true;
    for top in tops {
        match top {
            Top::Plugin => b.plugin = true,
            Top::Memreserve(address, size) => {
                b.tree.reservations.push(Reservation { address, size })
            }
            Top::Root(items) => {
                // dtc takes the first tree block as written and merges the others in.
                b.apply(root, items, first_tree)?;
                first_tree = false;
            }
            Top::Extend {
                labels,
                target,
                items,
            } => {
                first_tree = false;
                // In an overlay, `&{/path}` is always another tree's node, and so is
                // a label the overlay does not have: a fragment.
                let elsewhere = match &target.r {
                    Ref::Path(_) => true,
                    Ref::Label(_) => b.lookup(&target.r).is_none(),
                };
                if b.plugin && labels.is_empty() && elsewhere {
                    b.fragment(target, items)?;
                    continue;
                }
                let id = b.target(&target)?;
                b.add_labels(id, &labels, target.at);
                b.apply(id, items, false)?;
            }
            Top::DeleteNode(target) => {
                first_tree = false;
                let id = b.target(&target)?;
                if id == root {
                    return Err(b.err(target.at, "the root node cannot be deleted"));
                }
                b.kill(id);
            }
            Top::OmitIfNoRef(target) => {
                first_tree = false;
                let id = b.target(&target)?;
                b.omit.insert(id);
            }
        }
    }
    b.purge()?;
    b.check()?;
    b.fixup()?;
    b.omit_unreferenced();
    if opts.symbols {
        b.symbols();
    }
    if b.plugin {
        b.fixups_trees()?;
    }
    Ok(b.tree)
}

impl Builder<'_> {
    pub fn err(&self, at: At, msg: impl Into<String>) -> Error {
        self.src.error(at.offset(self.src.text.len()), msg)
    }

    /// Where a node was defined (the start of the file if nowhere).
    pub fn node_at(&self, id: NodeId) -> At {
        self.node_at
            .get(&id)
            .copied()
            .unwrap_or(At(self.src.text.len()))
    }

    /// Gives a node labels; a definition's labels go before the ones it had, as dtc
    /// keeps them.
    pub fn add_labels(&mut self, id: NodeId, labels: &[String], at: At) {
        if labels.is_empty() {
            return;
        }
        self.labelled.insert(id);
        for l in labels {
            self.label_at.insert((id, l.clone()), at);
            let owners = self.labels.entry(l.clone()).or_default();
            if !owners.contains(&id) {
                owners.push(id);
            }
        }
        let n = self.tree.node_mut(id);
        n.labels = front(labels, n.labels.iter());
    }

    /// The live node a label is on.
    pub fn label_node(&self, label: &str) -> Option<NodeId> {
        self.labels.get(label)?.iter().copied().find(|&id| {
            self.tree.is_attached(id)
                && !self.dead_nodes.contains(&id)
                && self.tree.node(id).labels.contains(label)
        })
    }

    /// A live node by its full path, each component the exact node name (as dtc).
    fn path_node(&self, path: &str) -> Option<NodeId> {
        let mut cur = self.tree.root();
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            cur = self
                .tree
                .node(cur)
                .children()
                .iter()
                .copied()
                .find(|&c| !self.dead_nodes.contains(&c) && self.tree.node(c).name() == comp)?;
        }
        Some(cur)
    }

    /// The node a reference names, if it exists.
    pub fn lookup(&self, r: &Ref) -> Option<NodeId> {
        match r {
            Ref::Label(l) => self.label_node(l),
            Ref::Path(p) => self.path_node(p),
        }
    }

    /// The node a top-level statement names, or an error at the reference (dtc says
    /// "Label or path X not found"; ours is dtc's message for a reference in a value).
    fn target(&self, r: &RefAt) -> Result<NodeId, Error> {
        self.lookup(&r.r).ok_or_else(|| {
            self.err(
                r.at,
                format!(
                    "Reference to non-existent node or label \"{}\"",
                    ref_name(&r.r)
                ),
            )
        })
    }

    /// Runs dtc's tree checks, in dtc's order: name characters, `name` properties,
    /// labels, explicit phandles.
    fn check(&mut self) -> Result<(), Error> {
        self.check_name_chars()?;
        self.check_names()?;
        self.check_labels()?;
        self.check_phandles()
    }
}

/// `new` labels, then the `old` ones not among them.
pub(super) fn front<'a>(new: &[String], old: impl Iterator<Item = &'a String>) -> Labels {
    let mut v = new.to_vec();
    v.extend(old.filter(|l| !new.contains(l)).cloned());
    v.into()
}

/// A reference as dtc names it in messages: the label, or the path.
pub(super) fn ref_name(r: &Ref) -> &str {
    match r {
        Ref::Label(l) | Ref::Path(l) => l,
    }
}

#[cfg(test)]
mod tests {
    use crate::dts::parse_str;
    use crate::Tree;

    fn props(t: &Tree, path: &str) -> Vec<String> {
        let id = t.find(path).unwrap();
        t.node(id)
            .props
            .iter()
            .map(|p| p.name().to_string())
            .collect()
    }

    fn children(t: &Tree, path: &str) -> Vec<String> {
        let id = t.find(path).unwrap();
        let n = t.node(id);
        n.children()
            .iter()
            .map(|&c| t.node(c).name().to_string())
            .collect()
    }

    #[test]
    fn what_is_defined_again_comes_back_in_its_place() {
        let t = parse_str(
            "/dts-v1/; / { a; b; n { x; y; }; m { }; };\n/ { /delete-property/ a; c; /delete-node/ n; };\n/ { a = <1>; n { y; }; };",
            "t",
        )
        .unwrap();
        assert_eq!(props(&t, "/"), ["a", "b", "c"]);
        assert_eq!(children(&t, "/"), ["n", "m"]);
        assert_eq!(props(&t, "/n"), ["y"]);
    }

    #[test]
    fn a_new_block_is_taken_as_written() {
        let t = parse_str(
            "/dts-v1/; / { p; /delete-property/ p; /delete-node/ q; };",
            "t",
        )
        .unwrap();
        assert_eq!(props(&t, "/"), ["p"]);
        let e = parse_str("/dts-v1/; / { p; /delete-property/ p; p; };", "t").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t:1:15: ERROR (duplicate_property_names)"),
            "{e}"
        );
        let e = parse_str("/dts-v1/;\n/ { a { }; b { a { }; a { }; }; };", "t").unwrap_err();
        assert!(e.to_string().contains("/b/a: Duplicate node name"), "{e}");
        // Merged blocks apply in order: no duplicates there.
        let t = parse_str(
            "/dts-v1/; / { q; }; / { p = <1>; /delete-property/ p; p = <2>; };",
            "t",
        )
        .unwrap();
        assert_eq!(props(&t, "/"), ["q", "p"]);
    }

    #[test]
    fn deleted_labels_and_paths_are_gone() {
        let e = parse_str(
            "/dts-v1/; / { l: a { }; }; / { /delete-node/ a; }; / { a { }; }; &l { };",
            "t",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("non-existent node or label \"l\""),
            "{e}"
        );
        let e = parse_str("/dts-v1/; / { p = &{/a}; a@1 { }; };", "t").unwrap_err();
        assert!(e.to_string().contains("ERROR (path_references)"), "{e}");
        let t = parse_str(
            "/dts-v1/; / { l: a { }; }; /delete-node/ &l; / { l: b { }; };",
            "t",
        )
        .unwrap();
        assert_eq!(children(&t, "/"), ["b"]);
    }

    #[test]
    fn labels_of_a_later_definition_come_first() {
        let t = parse_str("/dts-v1/; / { a: b: n { }; }; c: &a { };", "t").unwrap();
        let n = t.find("/n").unwrap();
        let l: Vec<&String> = t.node(n).labels.iter().collect();
        assert_eq!(l, ["c", "a", "b"]);
    }
}
