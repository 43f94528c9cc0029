//! Dynamic-reconfiguration connectors (DRCs) of PCI slots, as the tree describes them:
//! `ibm,drc-indexes`, `-names`, `-types`, `-power-domains` on a PHB (and on each bridge
//! below it), each function claiming its connector with `ibm,my-drc-index`. PCI DRCs
//! are physical: their states are power-on (isolated), unisolated and configured.

use crate::error::{tree_err, Error};
use of_tree::{NodeId, Tree};
use serde::{Deserialize, Serialize};

/// A physical DRC's state (QEMU's `SPAPR_DRC_STATE_PHYSICAL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DrcState {
    /// Powered on, isolated: the OS does not own what is in the slot.
    PowerOn,
    /// Unisolated: the OS may configure it (`ibm,configure-connector`).
    Unisolate,
    /// Configured: the OS owns the function (a device present at boot starts here).
    Configured,
}

/// One connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drc {
    /// Its index (`ibm,drc-indexes`).
    pub index: u32,
    /// Its name (`ibm,drc-names`: QEMU's `C` and the slot's devfn).
    pub name: String,
    /// Its type (`ibm,drc-types`: `28` for a PCI slot).
    pub ty: String,
    /// Its power domain (`ibm,drc-power-domains`: -1, live insertion).
    pub power_domain: u32,
    /// State.
    pub state: DrcState,
    /// The DR indicator (0 inactive, 1 active, 2 identify, 3 action).
    pub indicator: u32,
    /// The function in the slot (index in its PHB's functions), if any.
    pub function: Option<usize>,
    /// Its node as `ibm,configure-connector` hands it out, in order.
    pub node: Vec<NodeEvent>,
    /// Where `ibm,configure-connector` stands in `node`.
    pub cc_at: usize,
    /// A removal was asked for (QEMU's `device_del`): isolating the slot releases its
    /// function from the machine. Not in state blobs (their format predates it; a
    /// scenario's removal is asked for and completed in one step).
    #[serde(skip)]
    pub unplug_requested: bool,
}

/// One step of a node's description, depth first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeEvent {
    /// A node begins (its name with unit address).
    Begin(String),
    /// A property of the node begun last.
    Prop(String, Vec<u8>),
    /// The node ends.
    End,
}

/// A node and everything below it, as events.
pub fn node_events(tree: &Tree, id: NodeId) -> Vec<NodeEvent> {
    let mut out = Vec::new();
    fn walk(tree: &Tree, id: NodeId, out: &mut Vec<NodeEvent>) {
        let n = tree.node(id);
        out.push(NodeEvent::Begin(n.name().to_string()));
        for p in &n.props {
            out.push(NodeEvent::Prop(p.name().to_string(), p.value.to_vec()));
        }
        for &c in n.children() {
            walk(tree, c, out);
        }
        out.push(NodeEvent::End);
    }
    walk(tree, id, &mut out);
    out
}

/// `ibm,drc-names` / `ibm,drc-types`: a cell holding the count, then that many strings.
fn counted_strings(v: &[u8]) -> Option<Vec<String>> {
    let n = u32::from_be_bytes(v.get(..4)?.try_into().ok()?) as usize;
    let body = v.get(4..)?;
    let mut out: Vec<String> = body
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    if body.last() == Some(&0) {
        out.pop();
    }
    (out.len() == n).then_some(out)
}

/// The DRCs a node (PHB or bridge) describes; none when it has no `ibm,drc-indexes`.
pub fn from_node(tree: &Tree, id: NodeId) -> Result<Vec<Drc>, Error> {
    let at = tree.at(id);
    let Some(indexes) = at.cells("ibm,drc-indexes")? else {
        return Ok(Vec::new());
    };
    let path = at.path();
    let bad = |what: &str| tree_err(&path, format!("DRC properties: {what}"));
    let (&n, indexes) = indexes
        .split_first()
        .ok_or_else(|| bad("'ibm,drc-indexes' is empty"))?;
    if indexes.len() != n as usize {
        return Err(bad(&format!(
            "'ibm,drc-indexes' counts {n} but holds {}",
            indexes.len()
        )));
    }
    let strings = |name: &str| -> Result<Vec<String>, Error> {
        let v = tree
            .node(id)
            .prop(name)
            .map(|p| p.value.clone())
            .unwrap_or_default();
        counted_strings(&v)
            .filter(|s| s.len() == n as usize)
            .ok_or_else(|| bad(&format!("'{name}' does not hold {n} strings")))
    };
    let names = strings("ibm,drc-names")?;
    let types = strings("ibm,drc-types")?;
    let domains = at.cells("ibm,drc-power-domains")?.unwrap_or_default();
    if domains.len() != n as usize + 1 {
        return Err(bad(&format!(
            "'ibm,drc-power-domains' does not hold {n} cells"
        )));
    }
    Ok(indexes
        .iter()
        .zip(names)
        .zip(types)
        .zip(&domains[1..])
        .map(|(((&index, name), ty), &power_domain)| Drc {
            index,
            name,
            ty,
            power_domain,
            state: DrcState::PowerOn,
            indicator: 0,
            function: None,
            node: Vec::new(),
            cc_at: 0,
            unplug_requested: false,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_strings_need_their_count() {
        assert_eq!(
            counted_strings(b"\0\0\0\x02C0\0C8\0"),
            Some(vec!["C0".to_string(), "C8".to_string()])
        );
        assert_eq!(counted_strings(b"\0\0\0\x03C0\0C8\0"), None);
        assert_eq!(counted_strings(b"\0\0"), None);
    }
}
