//! The in-memory tree: an arena of nodes, each with ordered properties and children.

use crate::error::Error;
use crate::index::{name_bits, Index, IndexCell};
use crate::node::{Labels, Node, NodeId, Property, Value};

/// A memory reservation: start address and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// Start address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
}

/// A device tree: nodes in an arena, rooted at [`Tree::root`], plus the blob header data
/// that is not part of the node structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Memory reservations, in order.
    pub reservations: Vec<Reservation>,
    /// The boot CPU's physical id (blob header field).
    pub boot_cpuid: u32,
    /// What whole-tree searches need, built on first use (see [`crate::index`]).
    index: IndexCell,
}

/// Depth-first pre-order over a tree's nodes: see [`Tree::preorder`].
#[derive(Debug)]
pub struct Preorder<'a> {
    tree: &'a Tree,
    stack: Vec<NodeId>,
}

impl Iterator for Preorder<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let id = self.stack.pop()?;
        let children = &self.tree.nodes[id.index()].children;
        self.stack.extend(children.iter().rev().copied());
        Some(id)
    }
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

impl Tree {
    /// A tree with only an empty root node.
    pub fn new() -> Self {
        Tree {
            nodes: vec![Node {
                name: String::new(),
                props: Vec::new(),
                children: Vec::new(),
                parent: None,
                labels: Labels::default(),
            }],
            reservations: Vec::new(),
            boot_cpuid: 0,
            index: Default::default(),
        }
    }

    /// A tree with room reserved for `nodes` nodes.
    pub fn with_capacity(nodes: usize) -> Self {
        let mut t = Tree::new();
        t.nodes.reserve(nodes);
        t
    }

    /// The root node's id.
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }

    /// A node by id. Ids come from this tree; one from elsewhere panics.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// A node by id, mutable.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.index.clear();
        &mut self.nodes[id.index()]
    }

    /// Adds a child node named `name` (`name@unit`) under `parent`, after its other children.
    pub fn add_child(&mut self, parent: NodeId, name: &str) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name: name.to_string(),
            props: Vec::new(),
            children: Vec::new(),
            parent: Some(parent),
            labels: Labels::default(),
        });
        self.nodes[parent.index()].children.push(id);
        self.index_note_child(id);
        id
    }

    /// Sets a property: replaces the value in place when it exists, else appends it.
    pub fn set_prop(&mut self, node: NodeId, name: &str, value: impl Into<Value>) {
        self.index.note_prop(node, name);
        let n = &mut self.nodes[node.index()];
        match n.props.iter_mut().find(|p| p.name() == name) {
            Some(p) => p.value = value.into(),
            None => n.props.push(Property::new(name, value)),
        }
    }

    /// Appends a property without looking for an existing one of that name.
    pub fn push_prop(&mut self, node: NodeId, prop: Property) {
        self.index.note_prop(node, prop.name());
        self.nodes[node.index()].props.push(prop);
    }

    /// Removes a property; tells whether it existed.
    pub fn remove_prop(&mut self, node: NodeId, name: &str) -> bool {
        // A name filter that still has the name's bits stays right (searches check
        // the property itself); only the string maps must go.
        self.index.note_prop(node, name);
        let n = &mut self.nodes[node.index()];
        let before = n.props.len();
        n.props.retain(|p| p.name() != name);
        before != n.props.len()
    }

    /// Detaches a node (and so its subtree) from its parent. The root cannot be removed.
    pub fn remove_node(&mut self, id: NodeId) -> Result<(), Error> {
        self.index.clear();
        let parent = self.nodes[id.index()]
            .parent
            .ok_or_else(|| Error::NoNode("/ cannot be deleted".into()))?;
        self.nodes[parent.index()].children.retain(|&c| c != id);
        self.nodes[id.index()].parent = None;
        Ok(())
    }

    /// Whether a node is still part of the tree (reachable from the root).
    pub fn is_attached(&self, mut id: NodeId) -> bool {
        loop {
            if id == self.root() {
                return true;
            }
            match self.nodes[id.index()].parent {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// A child of `parent` by its full name.
    pub fn child_by_name(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        self.nodes[parent.index()]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c.index()].name == name)
    }

    /// The full path of a node (`/` for the root).
    pub fn path(&self, id: NodeId) -> String {
        let mut parts: smallvec::SmallVec<[&str; 16]> = smallvec::SmallVec::new();
        let mut len = 0;
        let mut cur = Some(id);
        while let Some(c) = cur {
            let n = &self.nodes[c.index()];
            if n.parent.is_some() {
                parts.push(n.name.as_str());
                len += 1 + n.name.len();
            }
            cur = n.parent;
        }
        if parts.is_empty() {
            return "/".to_string();
        }
        let mut s = String::with_capacity(len);
        for p in parts.iter().rev() {
            s.push('/');
            s.push_str(p);
        }
        s
    }

    /// Every node reachable from the root, in depth-first pre-order (the blob's order).
    pub fn walk(&self) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(self.nodes.len());
        out.extend(self.preorder());
        out
    }

    /// The nodes reachable from the root in depth-first pre-order, one at a time (a
    /// search that stops early visits only what it needs).
    pub fn preorder(&self) -> Preorder<'_> {
        Preorder {
            tree: self,
            stack: vec![self.root()],
        }
    }

    /// The nodes below `start` in depth-first pre-order (without `start`), going into a
    /// node's children only when `into` says so. Iterative: any depth is fine.
    pub fn descendants(&self, start: NodeId, into: impl Fn(&Tree, NodeId) -> bool) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self.nodes[start.index()]
            .children
            .iter()
            .rev()
            .copied()
            .collect();
        while let Some(id) = stack.pop() {
            out.push(id);
            if into(self, id) {
                stack.extend(self.nodes[id.index()].children.iter().rev().copied());
            }
        }
        out
    }

    /// Number of nodes reachable from the root.
    pub fn node_count(&self) -> usize {
        self.index().order.len()
    }

    /// Looks a node up by path. Each component may leave out its unit address when only
    /// one child has that base name. A path may also start with a label (`label/sub`).
    pub fn find(&self, path: &str) -> Result<NodeId, Error> {
        let (mut cur, rest) = if let Some(r) = path.strip_prefix('/') {
            (self.root(), r)
        } else {
            let (label, rest) = path.split_once('/').unwrap_or((path, ""));
            let id = self
                .find_label(label)
                .ok_or_else(|| Error::NoNode(path.to_string()))?;
            (id, rest)
        };
        for comp in rest.split('/').filter(|c| !c.is_empty()) {
            cur = self.find_child(cur, comp).map_err(|e| match e {
                Error::Ambiguous(_) => Error::Ambiguous(path.to_string()),
                _ => Error::NoNode(path.to_string()),
            })?;
        }
        Ok(cur)
    }

    fn find_child(&self, parent: NodeId, comp: &str) -> Result<NodeId, Error> {
        if let Some(id) = self.child_by_name(parent, comp) {
            return Ok(id);
        }
        if comp.contains('@') {
            return Err(Error::NoNode(comp.to_string()));
        }
        let mut found = None;
        for &c in self.nodes[parent.index()].children.iter() {
            if self.nodes[c.index()].base_name() == comp {
                if found.is_some() {
                    return Err(Error::Ambiguous(comp.to_string()));
                }
                found = Some(c);
            }
        }
        found.ok_or_else(|| Error::NoNode(comp.to_string()))
    }

    /// The node carrying a label.
    pub fn find_label(&self, label: &str) -> Option<NodeId> {
        self.walk()
            .into_iter()
            .find(|&id| self.nodes[id.index()].labels.iter().any(|l| l == label))
    }

    /// Keeps a built summary right after `child` (a new node, without properties) was
    /// added as the last child of its parent: it joins the pre-order where the
    /// parent's subtree ends.
    fn index_note_child(&mut self, child: NodeId) {
        if !self.index.is_built() {
            return;
        }
        // The first node after the child's subtree (a leaf's) in pre-order, if any.
        let mut next = None;
        let mut cur = child;
        while let Some(p) = self.node(cur).parent() {
            let sibs = self.node(p).children();
            if let Some(i) = sibs.iter().position(|&c| c == cur) {
                if let Some(&after) = sibs.get(i + 1) {
                    next = Some(after);
                    break;
                }
            }
            cur = p;
        }
        let attached = self.is_attached(child);
        self.index.note_child(child, next, attached);
    }

    /// The summary whole-tree searches use, built on the first one.
    fn index(&self) -> &Index {
        self.index.get_or_build(|| {
            let nodes = self.preorder().map(|id| (id, &self.nodes[id.index()]));
            Index::build(self.nodes.len(), nodes)
        })
    }

    /// Nodes whose `compatible` string list contains `compat`, in tree order.
    pub fn find_compatible(&self, compat: &str) -> Vec<NodeId> {
        self.index().compatible(compat).to_vec()
    }

    /// Nodes whose `device_type` is `ty`, in tree order.
    pub fn find_device_type(&self, ty: &str) -> Vec<NodeId> {
        self.index().device_type(ty).to_vec()
    }

    /// Nodes that carry a property named `name`, in tree order.
    pub fn with_prop<'a>(&'a self, name: &'a str) -> impl Iterator<Item = NodeId> + 'a {
        let ix = self.index();
        let bits = name_bits(name);
        ix.order
            .iter()
            .copied()
            .filter(move |&id| ix.may_carry(id, bits) && self.node(id).prop(name).is_some())
    }

    /// The phandle of a node (`phandle`, else `linux,phandle`), if it has one.
    pub fn phandle_of(&self, id: NodeId) -> Option<u32> {
        let n = &self.nodes[id.index()];
        let p = n.prop("phandle").or_else(|| n.prop("linux,phandle"))?;
        let b: [u8; 4] = p.value[..].try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    /// The node with a phandle.
    pub fn find_phandle(&self, phandle: u32) -> Option<NodeId> {
        self.preorder()
            .find(|&id| self.phandle_of(id) == Some(phandle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Tree {
        let mut t = Tree::new();
        let r = t.root();
        let pci = t.add_child(r, "pci@800000020000000");
        let a = t.add_child(pci, "ethernet@1");
        t.add_child(pci, "disk@2");
        t.add_child(pci, "disk@3");
        t.set_prop(pci, "device_type", b"pci\0".to_vec());
        t.set_prop(a, "compatible", b"foo\0bar\0".to_vec());
        t.set_prop(a, "phandle", 7u32.to_be_bytes().to_vec());
        t.node_mut(a).labels.push("eth".into());
        t
    }

    #[test]
    fn paths_and_lookups() {
        let t = sample();
        let a = t.find("/pci@800000020000000/ethernet@1").unwrap();
        assert_eq!(t.path(a), "/pci@800000020000000/ethernet@1");
        assert_eq!(t.find("/pci/ethernet").unwrap(), a);
        assert_eq!(t.find("eth").unwrap(), a);
        assert!(matches!(t.find("/pci/disk"), Err(Error::Ambiguous(_))));
        assert!(matches!(t.find("/pci/nothing"), Err(Error::NoNode(_))));
        assert_eq!(t.find_phandle(7), Some(a));
        assert_eq!(t.find_compatible("bar"), vec![a]);
        assert_eq!(t.find_compatible("ba"), vec![]);
        assert_eq!(t.find_device_type("pci").len(), 1);
        assert_eq!(t.path(t.root()), "/");
    }

    #[test]
    fn set_replaces_in_place_and_remove_detaches() {
        let mut t = sample();
        let pci = t.find("/pci").unwrap();
        t.set_prop(pci, "a", vec![1]);
        t.set_prop(pci, "device_type", vec![2]);
        assert_eq!(&t.node(pci).props[0].value[..], &[2]);
        assert_eq!(t.node(pci).props[1].name(), "a");
        let d = t.find("/pci/disk@2").unwrap();
        t.remove_node(d).unwrap();
        assert!(!t.is_attached(d));
        assert_eq!(t.find("/pci/disk").unwrap(), t.find("/pci/disk@3").unwrap());
        assert!(t.remove_node(t.root()).is_err());
    }
}
