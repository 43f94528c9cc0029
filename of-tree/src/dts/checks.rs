//! dtc's tree checks that refuse a source: `name` properties, duplicate labels and
//! explicit phandles. Messages are dtc's, with the place in the source before them.

use super::ast::At;
use super::build::Builder;
use crate::error::Error;
use crate::fxhash::FxHashMap as HashMap;
use crate::node::NodeId;

/// What a label is on: a node, a property, or a place inside a property's value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    Node(NodeId),
    Prop(NodeId, String),
    Value(NodeId, String, usize),
}

/// dtc's characters for node names, and for property names.
const NODE_CHARS: &str = ",._+-@";
const PROP_CHARS: &str = ",._+*#?-";

impl Builder<'_> {
    /// Node names of letters, digits and `,._+-@` (one `@` at most), property names of
    /// letters, digits and `,._+*#?-`.
    pub fn check_name_chars(&self) -> Result<(), Error> {
        let walk = self.tree.walk();
        let bad = |name: &str, ok: &str| {
            name.chars()
                .find(|&c| !c.is_ascii_alphanumeric() && !ok.contains(c))
        };
        for &id in &walk[1..] {
            let name = self.tree.node(id).name();
            if let Some(c) = bad(name, NODE_CHARS) {
                return Err(self.err(
                    self.node_at(id),
                    format!(
                        "ERROR (node_name_chars): {}: Bad character '{c}' in node name",
                        self.tree.path(id)
                    ),
                ));
            }
        }
        for &id in &walk[1..] {
            if self.tree.node(id).name().matches('@').count() > 1 {
                return Err(self.err(
                    self.node_at(id),
                    format!(
                        "ERROR (node_name_format): {}: multiple '@' characters in node name",
                        self.tree.path(id)
                    ),
                ));
            }
        }
        for &id in &walk {
            for p in &self.tree.node(id).props {
                if let Some(c) = bad(p.name(), PROP_CHARS) {
                    return Err(self.err(
                        self.prop_at(id, p.name()),
                        format!(
                            "ERROR (property_name_chars): {}:{}: Bad character '{c}' in property name",
                            self.tree.path(id),
                            p.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `name` must be a string equal to the node's name without its unit address; a
    /// correct one says nothing the name does not, and is dropped (as dtc drops it).
    pub fn check_names(&mut self) -> Result<(), Error> {
        for id in self.tree.walk() {
            let n = self.tree.node(id);
            let Some(p) = n.prop("name") else {
                continue;
            };
            let at = self.prop_at(id, "name");
            let path = self.tree.path(id);
            let v = &p.value;
            let one_string = v.last() == Some(&0) && !v[..v.len() - 1].contains(&0);
            if !one_string {
                return Err(self.err(
                    at,
                    format!("ERROR (name_is_string): {path}:name: property is not a string"),
                ));
            }
            if &v[..v.len() - 1] != n.base_name().as_bytes() {
                let given = String::from_utf8_lossy(&v[..v.len() - 1]);
                return Err(self.err(
                    at,
                    format!(
                        "ERROR (name_properties): {path}: \"name\" property is incorrect (\"{given}\" instead of base node name)"
                    ),
                ));
            }
            self.tree.remove_prop(id, "name");
            self.markers.remove(&(id, "name".to_string()));
        }
        Ok(())
    }

    fn prop_at(&self, id: NodeId, name: &str) -> At {
        self.prop_at
            .get(&(id, name.to_string()))
            .copied()
            .unwrap_or_else(|| self.node_at(id))
    }

    /// Every label in the tree, in dtc's order: each node's labels, then each of its
    /// properties' labels and the labels in its value.
    fn label_sites(&self) -> Vec<(String, Owner, At)> {
        let mut out = Vec::new();
        for id in self.tree.walk() {
            let n = self.tree.node(id);
            for l in n.labels.iter() {
                let at = self.label_at.get(&(id, l.clone()));
                let at = at.copied().unwrap_or_else(|| self.node_at(id));
                out.push((l.clone(), Owner::Node(id), at));
            }
            for p in &n.props {
                if p.labels.is_empty() && self.value_labels.is_empty() {
                    continue;
                }
                let name = p.name().to_string();
                for l in p.labels.iter() {
                    let at = self.prop_at(id, &name);
                    out.push((l.clone(), Owner::Prop(id, name.clone()), at));
                }
                if self.value_labels.is_empty() {
                    continue;
                }
                let key = (id, name.clone());
                for (i, (l, at)) in self
                    .value_labels
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    out.push((l.clone(), Owner::Value(id, name.clone(), i), *at));
                }
            }
        }
        out
    }

    /// A label is on one thing only. As dtc: the first node with it is its owner, else
    /// the first property, else the first place in a value.
    pub fn check_labels(&self) -> Result<(), Error> {
        let sites = self.label_sites();
        let mut first: HashMap<&str, &Owner> = HashMap::default();
        for rank in 0..3 {
            for (l, owner, _) in &sites {
                let r = match owner {
                    Owner::Node(_) => 0,
                    Owner::Prop(..) => 1,
                    Owner::Value(..) => 2,
                };
                if r == rank {
                    first.entry(l.as_str()).or_insert(owner);
                }
            }
        }
        for (l, owner, at) in &sites {
            let other = first[l.as_str()];
            if other != owner {
                let node = match owner {
                    Owner::Node(id) | Owner::Prop(id, _) | Owner::Value(id, ..) => *id,
                };
                return Err(self.err(
                    *at,
                    format!(
                        "ERROR (duplicate_label): {}: Duplicate label '{l}' on {} and {}",
                        self.tree.path(node),
                        self.describe(owner),
                        self.describe(other)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn describe(&self, o: &Owner) -> String {
        match o {
            Owner::Node(id) => self.tree.path(*id),
            Owner::Prop(id, p) => format!("'{p}' in {}", self.tree.path(*id)),
            Owner::Value(id, p, _) => format!("value of '{p}' in {}", self.tree.path(*id)),
        }
    }

    /// An explicit phandle is one cell, not 0 or 0xffffffff, the same in `phandle` and
    /// `linux,phandle`, and no other node's.
    pub fn check_phandles(&self) -> Result<(), Error> {
        let mut seen: HashMap<u32, NodeId> = HashMap::default();
        for id in self.tree.walk() {
            let ph = self.explicit_phandle(id, "phandle")?;
            let linux = self.explicit_phandle(id, "linux,phandle")?;
            if let (Some(a), Some(b)) = (ph, linux) {
                if a != b {
                    let path = self.tree.path(id);
                    return Err(self.err(
                        self.node_at(id),
                        format!(
                            "ERROR (explicit_phandles): {path}: mismatching 'phandle' and 'linux,phandle' properties"
                        ),
                    ));
                }
            }
            let Some(ph) = ph.or(linux) else {
                continue;
            };
            if let Some(&other) = seen.get(&ph) {
                let path = self.tree.path(id);
                return Err(self.err(
                    self.node_at(id),
                    format!(
                        "ERROR (explicit_phandles): {path}: duplicated phandle {ph:#x} (seen before at {})",
                        self.tree.path(other)
                    ),
                ));
            }
            seen.insert(ph, id);
        }
        Ok(())
    }

    /// The value of a `phandle`-like property written as a number (none for a
    /// reference to the node itself, which asks for one to be given).
    fn explicit_phandle(&self, id: NodeId, name: &str) -> Result<Option<u32>, Error> {
        let Some(p) = self.tree.node(id).prop(name) else {
            return Ok(None);
        };
        let at = self.prop_at(id, name);
        let path = self.tree.path(id);
        let Ok(b) = <[u8; 4]>::try_from(&p.value[..]) else {
            return Err(self.err(
                at,
                format!(
                    "ERROR (explicit_phandles): {path}:{name}: bad length ({}) {name} property",
                    p.value.len()
                ),
            ));
        };
        let markers = self.markers.get(&(id, name.to_string()));
        if let Some(m) = markers.and_then(|ms| ms.iter().find(|m| m.phandle)) {
            if self.lookup(&m.target.r) != Some(id) {
                return Err(self.err(
                    at,
                    format!(
                        "ERROR (explicit_phandles): {path}: {name} is a reference to another node"
                    ),
                ));
            }
            return Ok(None);
        }
        let v = u32::from_be_bytes(b);
        if v == 0 || v == u32::MAX {
            return Err(self.err(
                at,
                format!("ERROR (explicit_phandles): {path}:{name}: bad value ({v:#x}) in {name} property"),
            ));
        }
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use crate::dts::parse_str;

    fn refused(src: &str) -> String {
        parse_str(src, "t.dts").unwrap_err().to_string()
    }

    #[test]
    fn duplicate_labels_anywhere() {
        let e = refused("/dts-v1/;\n/ {\n l: a { };\n l: b { };\n};");
        assert_eq!(
            e,
            "t.dts:4:5: ERROR (duplicate_label): /b: Duplicate label 'l' on /b and /a"
        );
        let e = refused("/dts-v1/; / { l: p; n { q = <l: 1>; }; };");
        assert!(e.contains("on value of 'q' in /n and 'p' in /"), "{e}");
        // The same label given twice to one node is one label.
        assert!(parse_str("/dts-v1/; / { l: a { }; }; / { l: a { }; };", "t").is_ok());
        // A deleted node's label is free again.
        assert!(parse_str(
            "/dts-v1/; / { l: a { }; }; /delete-node/ &l; / { l: b { }; };",
            "t"
        )
        .is_ok());
    }

    #[test]
    fn explicit_phandles() {
        assert!(refused("/dts-v1/; / { a { phandle = <0>; }; };").contains("bad value (0x0)"));
        assert!(refused("/dts-v1/; / { a { phandle = [01]; }; };").contains("bad length (1)"));
        assert!(
            refused("/dts-v1/; / { a { phandle = <2>; }; b { linux,phandle = <2>; }; };")
                .contains("/b: duplicated phandle 0x2 (seen before at /a)")
        );
        assert!(
            refused("/dts-v1/; / { a { phandle = <2>; linux,phandle = <3>; }; };")
                .contains("mismatching")
        );
        // The same value in both, and a reference to the node itself, are fine.
        let t = parse_str(
            "/dts-v1/; / { a { phandle = <2>; linux,phandle = <2>; }; s: s { phandle = <&s>; }; };",
            "t",
        )
        .unwrap();
        assert_eq!(t.phandle_of(t.find("/s").unwrap()), Some(1));
    }

    #[test]
    fn name_characters() {
        assert!(refused("/dts-v1/; / { a#b { }; };").contains("Bad character '#' in node name"));
        assert!(refused("/dts-v1/; / { a@1@2 { }; };").contains("multiple '@'"));
        assert!(refused("/dts-v1/; / { p@x; };").contains("/:p@x: Bad character '@' in property"));
        assert!(parse_str("/dts-v1/; / { #p?*+; @1 { }; a@ { }; };", "t").is_ok());
    }

    #[test]
    fn name_properties() {
        let t = parse_str("/dts-v1/; / { cpu@0 { name = \"cpu\"; x; }; };", "t").unwrap();
        assert!(t.node(t.find("/cpu@0").unwrap()).prop("name").is_none());
        assert!(
            refused("/dts-v1/; / { cpu@0 { name = \"cpu@0\"; }; };").contains("(\"cpu@0\" instead")
        );
        assert!(refused("/dts-v1/; / { a { name = <0>; }; };").contains("not a string"));
    }
}
