//! What dtc adds for overlays and symbols: `/plugin/` fragments, `/omit-if-no-ref/`,
//! and the `__symbols__`, `__fixups__` and `__local_fixups__` nodes.

use super::ast::{Item, RefAt};
use super::build::{ref_name, Builder, Marker};
use super::lex::Ref;
use crate::error::Error;
use crate::node::{NodeId, Property};

impl Builder<'_> {
    /// An overlay's `&ref { ... }`: a `fragment@N` node under the root with the target
    /// (`target = <&label>` or `target-path = "/path"`) and the block as `__overlay__`.
    pub fn fragment(&mut self, target: RefAt, items: Vec<Item>) -> Result<(), Error> {
        let root = self.tree.root();
        let name = format!("fragment@{}", self.fragments);
        self.fragments += 1;
        let frag = self.tree.add_child(root, &name);
        self.node_at.insert(frag, target.at);
        match &target.r {
            Ref::Path(p) => {
                let mut v = p.clone().into_bytes();
                v.push(0);
                self.tree.push_prop(frag, Property::new("target-path", v));
            }
            Ref::Label(_) => {
                self.tree
                    .push_prop(frag, Property::new("target", vec![0xff; 4]));
                let marker = Marker {
                    offset: 0,
                    phandle: true,
                    target: target.clone(),
                };
                self.slot_markers.insert((frag, 0), vec![marker]);
            }
        }
        let ov = self.tree.add_child(frag, "__overlay__");
        self.node_at.insert(ov, target.at);
        self.apply(ov, items, true)
    }

    /// Drops the `/omit-if-no-ref/` nodes nothing refers to (with `-@` a node with a
    /// label is kept: `__symbols__` names it).
    pub fn omit_unreferenced(&mut self) {
        if self.omit.is_empty() {
            return;
        }
        for id in self.tree.walk() {
            if !self.omit.contains(&id) || self.referenced.contains(&id) {
                continue;
            }
            if self.opts.symbols && self.labelled.contains(&id) {
                continue;
            }
            if self.tree.is_attached(id) {
                let _ = self.tree.remove_node(id);
            }
        }
        // A phandle of a dropped node is free again for the ones -@ gives (dtc looks
        // for a value in use among the nodes that are left).
        self.used_phandles = self
            .tree
            .walk()
            .into_iter()
            .filter_map(|id| self.tree.phandle_of(id))
            .collect();
    }

    /// A node under the root by name, made (after the others) when missing.
    fn root_child(&mut self, name: &str) -> NodeId {
        let root = self.tree.root();
        match self.tree.child_by_name(root, name) {
            Some(c) => c,
            None => self.tree.add_child(root, name),
        }
    }

    /// dtc's `-@`: `__symbols__` gives each node label's path, and every labelled node
    /// gets a phandle.
    pub fn symbols(&mut self) {
        // As dtc, a node counts as labelled even when its labels were deleted with it
        // and it was defined again without them.
        let order: Vec<NodeId> = self
            .tree
            .walk()
            .into_iter()
            .filter(|id| self.labelled.contains(id))
            .collect();
        if order.is_empty() {
            return;
        }
        let sym = self.root_child("__symbols__");
        for id in order {
            let labels: Vec<String> = self.tree.node(id).labels.iter().cloned().collect();
            let mut path = self.tree.path(id).into_bytes();
            path.push(0);
            for l in labels {
                if self.tree.node(sym).prop(&l).is_none() {
                    self.tree
                        .push_prop(sym, Property::new(l.as_str(), path.clone()));
                }
            }
            self.phandle_for(id);
        }
    }

    /// An overlay's `__fixups__` (each unknown label: where its phandle goes, as
    /// "path:property:offset") and `__local_fixups__` (the same tree shape, with the
    /// offsets of phandles of nodes in the overlay).
    pub fn fixups_trees(&mut self) -> Result<(), Error> {
        let mut unknown: Vec<(String, Vec<u8>)> = Vec::new();
        let mut local: Vec<(NodeId, String, u32)> = Vec::new();
        for (id, prop) in self.marked() {
            let Some(markers) = self.markers.get(&(id, prop.clone())) else {
                continue;
            };
            for m in markers.iter().filter(|m| m.phandle) {
                if self.lookup(&m.target.r).is_some() {
                    local.push((id, prop.clone(), m.offset as u32));
                    continue;
                }
                let path = self.tree.path(id);
                if path.contains(':') || prop.contains(':') {
                    return Err(self.err(
                        m.target.at,
                        format!("{path}:{prop}: ':' in a name cannot be written in __fixups__"),
                    ));
                }
                let entry = format!("{path}:{prop}:{}\0", m.offset);
                let label = ref_name(&m.target.r).to_string();
                match unknown.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, v)) => v.extend_from_slice(entry.as_bytes()),
                    None => unknown.push((label, entry.into_bytes())),
                }
            }
        }
        if !unknown.is_empty() {
            let fx = self.root_child("__fixups__");
            for (label, v) in unknown {
                append(&mut self.tree, fx, &label, &v);
            }
        }
        if !local.is_empty() {
            let lfx = self.root_child("__local_fixups__");
            for (id, prop, offset) in local {
                let mut names = Vec::new();
                let mut cur = id;
                while let Some(parent) = self.tree.node(cur).parent() {
                    names.push(self.tree.node(cur).name().to_string());
                    cur = parent;
                }
                let mut at = lfx;
                for name in names.iter().rev() {
                    at = match self.tree.child_by_name(at, name) {
                        Some(c) => c,
                        None => self.tree.add_child(at, name),
                    };
                }
                append(&mut self.tree, at, &prop, &offset.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// Appends bytes to a property, making it (last) when missing.
fn append(tree: &mut crate::tree::Tree, id: NodeId, name: &str, bytes: &[u8]) {
    match tree
        .node_mut(id)
        .props
        .iter_mut()
        .find(|p| p.name() == name)
    {
        Some(p) => p.value.extend_from_slice(bytes),
        None => tree.push_prop(id, Property::new(name, bytes.to_vec())),
    }
}

#[cfg(test)]
mod tests {
    use crate::dts::{parse_str, parse_str_with, Options};
    use crate::Tree;

    fn value<'a>(t: &'a Tree, path: &str, prop: &str) -> &'a [u8] {
        &t.node(t.find(path).unwrap()).prop(prop).unwrap().value
    }

    #[test]
    fn fragments_and_fixups() {
        let src = "/dts-v1/;\n/plugin/;\n&ext { l: n { p = <&ext &l>; }; };\n&{/soc} { q = <1 &ext>; };\n&l { x; };";
        let t = parse_str(src, "t").unwrap();
        assert_eq!(value(&t, "/fragment@0", "target"), [0xff; 4]);
        assert_eq!(value(&t, "/fragment@1", "target-path"), b"/soc\0");
        // &l is in the overlay: merged there, no third fragment.
        assert!(t.find("/fragment@2").is_err());
        assert!(t.find("/fragment@0/__overlay__/n").is_ok());
        assert_eq!(
            value(&t, "/__fixups__", "ext"),
            b"/fragment@0:target:0\0/fragment@0/__overlay__/n:p:0\0/fragment@1/__overlay__:q:4\0"
        );
        assert_eq!(
            value(&t, "/__local_fixups__/fragment@0/__overlay__/n", "p"),
            4u32.to_be_bytes()
        );
        // Unknown labels are an error outside an overlay.
        assert!(parse_str("/dts-v1/; / { p = <&ext>; };", "t").is_err());
        // A path is another tree's even when the overlay has it.
        let t = parse_str("/dts-v1/; /plugin/; / { n { }; }; &{/n} { x; };", "t").unwrap();
        assert_eq!(value(&t, "/fragment@0", "target-path"), b"/n\0");
        // The fragment's name is taken.
        let e = parse_str("/dts-v1/; /plugin/; / { fragment@0 { }; }; &ext { };", "t");
        assert!(e.unwrap_err().to_string().contains("Duplicate node name"));
        // And path references to them in an overlay too.
        assert!(parse_str("/dts-v1/; /plugin/; &ext { p = &ext; };", "t").is_err());
    }

    #[test]
    fn symbols_give_labelled_nodes_phandles() {
        let src = "/dts-v1/; / { a: first { }; m { r = <&z>; }; z: last { }; };";
        let t = parse_str_with(src, "t", &Options { symbols: true }).unwrap();
        assert_eq!(value(&t, "/__symbols__", "a"), b"/first\0");
        assert_eq!(value(&t, "/__symbols__", "z"), b"/last\0");
        assert_eq!(t.phandle_of(t.find("/last").unwrap()), Some(1));
        assert_eq!(t.phandle_of(t.find("/first").unwrap()), Some(2));
        // A phandle given to a node dropped since is given again.
        let t = parse_str_with(
            "/dts-v1/; / { a: n1 { }; /omit-if-no-ref/ m { p = <&b>; b: /omit-if-no-ref/ n3 { }; }; };",
            "t",
            &Options { symbols: false },
        )
        .unwrap();
        assert!(t.find("/m").is_err());
        let t = parse_str_with(
            "/dts-v1/; / { a: n1 { }; /omit-if-no-ref/ m { p = <&b>; b: n3 { }; }; };",
            "t",
            &Options { symbols: true },
        )
        .unwrap();
        assert!(t.find("/m").is_err());
        assert_eq!(t.phandle_of(t.find("/n1").unwrap()), Some(1));
        let plain = parse_str(src, "t").unwrap();
        assert!(plain.find("/__symbols__").is_err());
        assert!(plain
            .node(plain.find("/first").unwrap())
            .prop("phandle")
            .is_none());
    }

    #[test]
    fn omit_if_no_ref() {
        let src = "/dts-v1/; / { /omit-if-no-ref/ a { c: c { }; }; /omit-if-no-ref/ k: k { }; d { x = <&c>; y = <&k>; }; /omit-if-no-ref/ l: l { }; };";
        let t = parse_str(src, "t").unwrap();
        assert!(
            t.find("/a").is_err(),
            "a reference to a child does not keep a node"
        );
        assert!(t.find("/k").is_ok());
        assert!(t.find("/l").is_err());
        let t = parse_str_with(src, "t", &Options { symbols: true }).unwrap();
        assert!(t.find("/l").is_ok(), "with -@ a labelled node stays");
        assert!(parse_str("/dts-v1/; / { /omit-if-no-ref/ p; };", "t").is_err());
    }
}
