//! Merging the syntax tree into a [`Tree`]: node blocks, labels, deletions, and the
//! phandle and path references resolved as dtc resolves them.

use super::ast::{At, Cell, Item, Piece, RefAt, Top};
use super::lex::Ref;
use super::source::Source;
use crate::error::Error;
use crate::tree::{NodeId, Property, Reservation, Tree};
use std::collections::{HashMap, HashSet};

/// A reference waiting in a property value.
#[derive(Debug, Clone)]
struct Marker {
    offset: usize,
    phandle: bool,
    target: RefAt,
}

struct Builder<'s> {
    src: &'s Source,
    tree: Tree,
    labels: HashMap<String, NodeId>,
    markers: HashMap<(NodeId, String), Vec<Marker>>,
}

/// Builds the tree that the statements describe.
pub(crate) fn build(src: &Source, tops: Vec<Top>) -> Result<Tree, Error> {
    let mut b = Builder {
        src,
        tree: Tree::new(),
        labels: HashMap::new(),
        markers: HashMap::new(),
    };
    let root = b.tree.root();
    for top in tops {
        match top {
            Top::Memreserve(address, size) => {
                b.tree.reservations.push(Reservation { address, size })
            }
            Top::Root(items) => b.apply(root, items)?,
            Top::Extend {
                labels,
                target,
                items,
            } => {
                let id = b.resolve(&target)?;
                for l in labels {
                    b.add_label(id, l, target.at)?;
                }
                b.apply(id, items)?;
            }
            Top::DeleteNode(target) => {
                let id = b.resolve(&target)?;
                b.tree
                    .remove_node(id)
                    .map_err(|_| b.err(target.at, "the root node cannot be deleted"))?;
            }
        }
    }
    b.fixup()?;
    Ok(b.tree)
}

impl Builder<'_> {
    fn err(&self, at: At, msg: impl Into<String>) -> Error {
        self.src.error(at.offset(self.src.text.len()), msg)
    }

    fn add_label(&mut self, id: NodeId, label: String, at: At) -> Result<(), Error> {
        if let Some(&other) = self.labels.get(&label) {
            if other != id && self.tree.is_attached(other) {
                return Err(self.err(
                    at,
                    format!(
                        "duplicate label '{label}' on {} and {}",
                        self.tree.path(other),
                        self.tree.path(id)
                    ),
                ));
            }
        }
        self.labels.insert(label.clone(), id);
        let n = self.tree.node_mut(id);
        n.labels.push(label);
        Ok(())
    }

    fn resolve(&self, r: &RefAt) -> Result<NodeId, Error> {
        let found = match &r.r {
            Ref::Label(l) => self
                .labels
                .get(l)
                .copied()
                .filter(|&id| self.tree.is_attached(id)),
            Ref::Path(p) => self.tree.find(p).ok(),
        };
        found.ok_or_else(|| {
            self.err(
                r.at,
                format!("reference to non-existent node or label {}", r.r),
            )
        })
    }

    fn apply(&mut self, node: NodeId, items: Vec<Item>) -> Result<(), Error> {
        for item in items {
            match item {
                Item::Prop(p) => {
                    let (value, markers) = self.encode(p.value);
                    let key = (node, p.name.clone());
                    let n = self.tree.node_mut(node);
                    match n.props.iter_mut().find(|x| x.name() == p.name) {
                        Some(old) => {
                            old.value = value.into();
                            for l in p.labels {
                                old.labels.push(l);
                            }
                        }
                        None => {
                            let mut prop = Property::new(p.name.as_str(), value);
                            prop.labels = p.labels.into();
                            n.props.push(prop);
                        }
                    }
                    if markers.is_empty() {
                        self.markers.remove(&key);
                    } else {
                        self.markers.insert(key, markers);
                    }
                }
                Item::DelProp(name, _) => {
                    self.tree.remove_prop(node, &name);
                    self.markers.remove(&(node, name));
                }
                Item::Node(def) => {
                    let child = match self.tree.child_by_name(node, &def.name) {
                        Some(c) => c,
                        None => self.tree.add_child(node, &def.name),
                    };
                    for l in def.labels {
                        self.add_label(child, l, def.at)?;
                    }
                    self.apply(child, def.items)?;
                }
                Item::DelNode(name, _) => {
                    if let Some(c) = self.tree.child_by_name(node, &name) {
                        self.tree.remove_node(c)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Encodes a value's pieces to bytes, leaving a marker where each reference goes.
    fn encode(&self, pieces: Vec<Piece>) -> (Vec<u8>, Vec<Marker>) {
        let mut v = Vec::new();
        let mut markers = Vec::new();
        for p in pieces {
            match p {
                Piece::Bytes(b) => v.extend_from_slice(&b),
                Piece::PathRef(target) => markers.push(Marker {
                    offset: v.len(),
                    phandle: false,
                    target,
                }),
                Piece::Cells { bits, cells } => {
                    for c in cells {
                        match c {
                            Cell::Num(n, _) => match bits {
                                8 => v.push(n as u8),
                                16 => v.extend_from_slice(&(n as u16).to_be_bytes()),
                                32 => v.extend_from_slice(&(n as u32).to_be_bytes()),
                                _ => v.extend_from_slice(&n.to_be_bytes()),
                            },
                            Cell::Ref(target) => {
                                markers.push(Marker {
                                    offset: v.len(),
                                    phandle: true,
                                    target,
                                });
                                v.extend_from_slice(&[0xff; 4]);
                            }
                        }
                    }
                }
            }
        }
        (v, markers)
    }

    /// The properties that hold references, in tree order, with their markers.
    fn marked(&self, order: &[NodeId]) -> Vec<(NodeId, String, Vec<Marker>)> {
        let mut out = Vec::new();
        for &id in order {
            for p in &self.tree.node(id).props {
                if let Some(m) = self.markers.get(&(id, p.name().to_string())) {
                    out.push((id, p.name().to_string(), m.clone()));
                }
            }
        }
        out
    }

    fn value_mut(&mut self, id: NodeId, name: &str) -> Option<&mut crate::tree::Value> {
        self.tree
            .node_mut(id)
            .props
            .iter_mut()
            .find(|p| p.name() == name)
            .map(|p| &mut p.value)
    }

    /// Resolves references in tree order: phandles first (assigned as dtc assigns them:
    /// explicit ones kept, new ones counting up from 1 past every value in use), then
    /// paths.
    fn fixup(&mut self) -> Result<(), Error> {
        let order = self.tree.walk();
        let marked = self.marked(&order);
        let mut used: HashSet<u32> = order
            .iter()
            .filter_map(|&id| self.tree.phandle_of(id))
            .collect();
        let mut assigned: HashMap<NodeId, u32> = HashMap::new();
        let mut next = 1u32;
        for (id, pname, markers) in &marked {
            for m in markers.iter().filter(|m| m.phandle) {
                let target = self.resolve(&m.target)?;
                let ph = match self
                    .tree
                    .phandle_of(target)
                    .or_else(|| assigned.get(&target).copied())
                {
                    Some(p) if p != 0 && p != u32::MAX => p,
                    _ => {
                        while used.contains(&next) {
                            next += 1;
                        }
                        let p = next;
                        used.insert(p);
                        assigned.insert(target, p);
                        if self.tree.node(target).prop("phandle").is_none() {
                            self.tree.push_prop(
                                target,
                                Property::new("phandle", p.to_be_bytes().to_vec()),
                            );
                        }
                        p
                    }
                };
                if let Some(v) = self.value_mut(*id, pname) {
                    v[m.offset..m.offset + 4].copy_from_slice(&ph.to_be_bytes());
                }
            }
        }
        for (id, pname, markers) in &marked {
            let mut paths: Vec<&Marker> = markers.iter().filter(|m| !m.phandle).collect();
            paths.sort_by_key(|m| std::cmp::Reverse(m.offset));
            for m in paths {
                let target = self.resolve(&m.target)?;
                let mut path = self.tree.path(target).into_bytes();
                path.push(0);
                if let Some(v) = self.value_mut(*id, pname) {
                    v.insert_many(m.offset, path);
                }
            }
        }
        Ok(())
    }
}
