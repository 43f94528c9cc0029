//! Applying node blocks as dtc does. A block that makes a new node is taken as written:
//! a deletion in it deletes nothing (it stays as a deleted entry of its name) and a name
//! may be there twice (an error unless a later block deletes one). A block merged into a node applies in order: a property or
//! child defined again takes the first one of that name, even a deleted one, which so
//! comes back in its old place; a deletion takes the first one of the name too. What is
//! deleted stays in place until the end, then goes; then names must be unique.

use super::ast::{At, Item, NodeDef, PropDef};
use super::build::{Builder, Slot};
use crate::error::Error;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::node::{NodeId, Property};

impl Builder<'_> {
    /// Applies a block's items to a node. `fresh`: the block makes the node.
    pub fn apply(&mut self, node: NodeId, items: Vec<Item>, fresh: bool) -> Result<(), Error> {
        for item in items {
            match item {
                Item::Prop(p) => self.set_prop(node, p, fresh)?,
                // In a new block dtc keeps a deletion as a deleted entry of its name:
                // it deletes nothing, but it is the first of its name for later blocks.
                Item::DelProp(name, _) if fresh => {
                    let props = &mut self.tree.node_mut(node).props;
                    props.push(Property::new(name.as_str(), Vec::new()));
                    self.dead_props.insert((node, props.len() - 1));
                }
                Item::DelNode(name, at) if fresh => {
                    let c = self.tree.add_child(node, &name);
                    self.node_at.insert(c, at);
                    self.dead_nodes.insert(c);
                }
                // Like dtc, a deletion takes the first of the name, even one deleted
                // already.
                Item::DelProp(name, _) => {
                    let props = &self.tree.node(node).props;
                    if let Some(i) = props.iter().position(|p| p.name() == name) {
                        self.kill_prop((node, i));
                    }
                }
                Item::DelNode(name, _) => {
                    if let Some(c) = self.tree.child_by_name(node, &name) {
                        self.kill(c);
                    }
                }
                Item::Node(def) => self.child(node, def, fresh)?,
            }
        }
        Ok(())
    }

    fn child(&mut self, node: NodeId, def: NodeDef, fresh: bool) -> Result<(), Error> {
        let existing = if fresh {
            None
        } else {
            self.tree.child_by_name(node, &def.name)
        };
        let (child, new) = match existing {
            Some(c) => {
                self.dead_nodes.remove(&c);
                (c, false)
            }
            None => (self.tree.add_child(node, &def.name), true),
        };
        self.node_at.insert(child, def.at);
        self.add_labels(child, &def.labels, def.at);
        // As dtc, only the block that makes a node can mark it: a merged one cannot.
        if def.omit && new {
            self.omit.insert(child);
        }
        self.apply(child, def.items, new)
    }

    fn dup_node(&self, parent: NodeId, name: &str, at: At) -> Error {
        let path = self.tree.path(parent);
        let sep = if path == "/" { "" } else { "/" };
        self.err(
            at,
            format!("ERROR (duplicate_node_names): {path}{sep}{name}: Duplicate node name"),
        )
    }

    fn set_prop(&mut self, node: NodeId, p: PropDef, fresh: bool) -> Result<(), Error> {
        let (value, markers) = self.encode(p.value)?;
        let n = self.tree.node_mut(node);
        let old = if fresh {
            None
        } else {
            n.props.iter().position(|x| x.name() == p.name)
        };
        let i = match old {
            Some(i) => {
                let old = &mut n.props[i];
                old.value = value.into();
                old.labels = super::build::front(&p.labels, old.labels.iter());
                i
            }
            None => {
                let mut prop = Property::new(p.name.as_str(), value);
                prop.labels = p.labels.into();
                n.props.push(prop);
                n.props.len() - 1
            }
        };
        let slot = (node, i);
        self.dead_props.remove(&slot);
        self.slot_at.insert(slot, p.at);
        set_or_clear(&mut self.slot_value_labels, slot, p.value_labels);
        set_or_clear(&mut self.slot_markers, slot, markers);
        Ok(())
    }

    fn kill_prop(&mut self, slot: Slot) {
        self.slot_markers.remove(&slot);
        self.slot_value_labels.remove(&slot);
        if let Some(p) = self.tree.node_mut(slot.0).props.get_mut(slot.1) {
            p.labels = Default::default();
        }
        self.dead_props.insert(slot);
    }

    /// Deletes a node, its properties and its subtree, and their labels; each keeps its
    /// place in case it is defined again.
    pub fn kill(&mut self, id: NodeId) {
        let mut all = vec![id];
        all.extend(self.tree.descendants(id, |_, _| true));
        for n in all {
            self.dead_nodes.insert(n);
            self.tree.node_mut(n).labels = Default::default();
            for i in 0..self.tree.node(n).props.len() {
                self.kill_prop((n, i));
            }
        }
    }

    /// Takes what was deleted out of the tree, refuses names left twice (dtc's
    /// duplicate checks), and keys what is known of each property by its name.
    pub fn purge(&mut self) -> Result<(), Error> {
        // dtc checks node names first: a live child's name again later, even on a
        // deleted sibling, is a duplicate.
        let walk = self.tree.walk();
        for &id in walk.iter().filter(|id| !self.dead_nodes.contains(id)) {
            let mut live: HashSet<&str> = HashSet::default();
            for &c in self.tree.node(id).children() {
                let name = self.tree.node(c).name();
                if live.contains(name) {
                    return Err(self.dup_node(id, name, self.node_at(c)));
                }
                if !self.dead_nodes.contains(&c) {
                    live.insert(name);
                }
            }
        }
        for id in walk {
            if self.dead_nodes.contains(&id) {
                let _ = self.tree.remove_node(id);
            }
        }
        for id in self.tree.walk() {
            let mut names: HashSet<String> = HashSet::default();
            let props = std::mem::take(&mut self.tree.node_mut(id).props);
            let mut kept = Vec::with_capacity(props.len());
            for (i, p) in props.into_iter().enumerate() {
                let slot = (id, i);
                if self.dead_props.contains(&slot) {
                    continue;
                }
                if names.contains(p.name()) {
                    let first = self.prop_at.get(&(id, p.name().to_string()));
                    let at = first.copied().unwrap_or_else(|| self.node_at(id));
                    return Err(self.err(
                        at,
                        format!(
                            "ERROR (duplicate_property_names): {}:{}: Duplicate property name",
                            self.tree.path(id),
                            p.name()
                        ),
                    ));
                }
                names.insert(p.name().to_string());
                let key = (id, p.name().to_string());
                if let Some(at) = self.slot_at.remove(&slot) {
                    self.prop_at.insert(key.clone(), at);
                }
                if let Some(m) = self.slot_markers.remove(&slot) {
                    self.markers.insert(key.clone(), m);
                }
                if let Some(v) = self.slot_value_labels.remove(&slot) {
                    self.value_labels.insert(key, v);
                }
                kept.push(p);
            }
            self.tree.node_mut(id).props = kept;
        }
        self.dead_nodes.clear();
        self.dead_props.clear();
        Ok(())
    }
}

fn set_or_clear<T>(map: &mut HashMap<Slot, Vec<T>>, slot: Slot, v: Vec<T>) {
    if v.is_empty() {
        map.remove(&slot);
    } else {
        map.insert(slot, v);
    }
}

#[cfg(test)]
mod tests {
    use crate::dts::parse_str;

    #[test]
    fn names_are_checked_once_all_is_merged() {
        let t = parse_str(
            "/dts-v1/; / { n: n { b = <1>; a; b = <3>; }; }; &n { /delete-property/ b; };",
            "t",
        )
        .unwrap();
        let n = t.node(t.find("/n").unwrap());
        let names: Vec<&str> = n.props.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(&n.prop("b").unwrap().value[..], &3u32.to_be_bytes());
        // Defining b again takes the first, deleted one: two again.
        let e = parse_str(
            "/dts-v1/; / { n: n { b; b; }; }; &n { /delete-property/ b; }; &n { b; };",
            "t",
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("/n:b: Duplicate property name"));
        // A second deletion of the name deletes the first again.
        let t = parse_str(
            "/dts-v1/; / { n: n { p = <1>; p = <2>; }; }; &n { /delete-property/ p; /delete-property/ p; };",
            "t",
        )
        .unwrap();
        let n = t.node(t.find("/n").unwrap());
        assert_eq!(&n.prop("p").unwrap().value[..], &2u32.to_be_bytes());
        // A deleted node after a live one of its name is a duplicate; before, it is not.
        let e = parse_str("/dts-v1/; / { a { }; a { }; }; /delete-node/ &{/a}; /delete-node/ &{/a}; / { a { }; };", "t");
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("/a: Duplicate node name"));
        assert!(parse_str("/dts-v1/; / { /delete-node/ a; a { }; };", "t").is_ok());
        assert!(parse_str("/dts-v1/; / { a { }; /delete-node/ a; };", "t").is_err());
        // /omit-if-no-ref/ on a block merged into a node does nothing.
        let t = parse_str(
            "/dts-v1/; / { n { }; }; / { /omit-if-no-ref/ n { }; };",
            "t",
        )
        .unwrap();
        assert!(t.find("/n").is_ok());
        // A deletion in a new block is the first of its name for later blocks.
        let t = parse_str(
            "/dts-v1/; / { /delete-property/ p; p; /delete-node/ g; g { }; }; / { /delete-property/ p; /delete-node/ g; };",
            "t",
        )
        .unwrap();
        assert!(t.find("/g").is_ok());
        assert!(t.node(t.root()).prop("p").is_some());
        // Node names first, as dtc checks them.
        let e = parse_str("/dts-v1/; / { p; p; a { }; a { }; };", "t").unwrap_err();
        assert!(e.to_string().contains("duplicate_node_names"), "{e}");
    }
}
