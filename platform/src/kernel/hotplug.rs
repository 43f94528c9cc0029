//! PCI hotplug as Linux does it on pSeries (drmgr with rpaphp): on an addition, the
//! connector's presence read (`get-sensor-state` dr-entity-sense), the slot acquired
//! (`set-indicator` allocation-state usable, isolation-state unisolate), the
//! `ibm,configure-connector` loop building the node into the OS's tree, then the PCI
//! scan of the new function; on a removal, the driver's vectors freed, the slot
//! isolated and released (allocation-state unusable), the node removed from the tree
//! and the device marked removed (its index stays, so no other device's changes).

use super::{of, DevId, Kernel};
use crate::error::Error;
use crate::port::CC_WORK_AREA_AT;

/// The sensor / indicator tokens of dynamic reconfiguration (LoPAPR).
const ISOLATION_STATE: u32 = 9001;
const ALLOCATION_STATE: u32 = 9003;
const DR_ENTITY_SENSE: u32 = 9003;
/// RTAS's "no such indicator": a physical (PCI) connector has no allocation state.
const NO_SUCH_INDICATOR: i64 = -3;
/// `ibm,configure-connector` answers.
const CC_DONE: i64 = 0;
const CC_NEXT_SIBLING: i64 = 1;
const CC_NEXT_CHILD: i64 = 2;
const CC_NEXT_PROPERTY: i64 = 3;
const CC_PREV_PARENT: i64 = 4;
/// Calls of `ibm,configure-connector` before the OS gives up on a connector.
const CC_MAX_STEPS: usize = 100_000;

impl Kernel {
    fn dr_call(&mut self, name: &str, args: &[u32], nret: usize) -> Result<Vec<i64>, Error> {
        let token = self
            .rtas
            .as_ref()
            .and_then(|r| r.token_by_name(name))
            .ok_or_else(|| Error::Dlpar(format!("the firmware has no '{name}'")))?;
        let mut out = vec![0i64; nret];
        if !self.rtas_by_token(token, args, &mut out) {
            return Err(Error::Dlpar(format!("'{name}' could not be called")));
        }
        Ok(out)
    }

    /// Sets an indicator of connector `index`; the status.
    fn set_indicator(&mut self, indicator: u32, index: u32, value: u32) -> Result<i64, Error> {
        Ok(self.dr_call("set-indicator", &[indicator, index, value], 1)?[0])
    }

    /// A NUL-terminated string of the work area at `off`.
    fn cc_string(&self, off: u32) -> Result<String, Error> {
        let bytes = self
            .port
            .os_buffer_bytes(
                CC_WORK_AREA_AT + off as u64,
                4096usize.saturating_sub(off as usize),
            )
            .ok_or_else(|| Error::Dlpar(format!("name offset {off:#x} outside the work area")))?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }

    fn cc_cell(&self, off: u64) -> u32 {
        self.port.os_buffer_read(CC_WORK_AREA_AT + off).unwrap_or(0)
    }

    /// The addition of connector `index` on PHB `phb` (the OS's PHB index), as the
    /// firmware signalled it: acquire, configure the node into the tree, scan the new
    /// function. Returns the new device.
    pub fn dlpar_add(&mut self, phb: usize, index: u32) -> Result<DevId, Error> {
        let fail = |m: String| Error::Dlpar(format!("connector {index:#x}: {m}"));
        let r = self.dr_call("get-sensor-state", &[DR_ENTITY_SENSE, index], 2)?;
        if r[0] != 0 || r[1] != 1 {
            return Err(fail(format!(
                "dr-entity-sense answered status {} state {}: nothing present",
                r[0], r[1]
            )));
        }
        let st = self.set_indicator(ALLOCATION_STATE, index, 1)?;
        if st != 0 && st != NO_SUCH_INDICATOR {
            return Err(fail(format!("allocation-state usable answered {st}")));
        }
        let st = self.set_indicator(ISOLATION_STATE, index, 1)?;
        if st != 0 {
            return Err(fail(format!("unisolate answered {st}")));
        }
        let phb_node = self.phbs[phb].node;
        let node = match self.configure_connector(index, phb_node) {
            Ok(n) => n,
            Err(e) => {
                // Give the slot back as it was.
                let _ = self.set_indicator(ISOLATION_STATE, index, 0);
                return Err(e);
            }
        };
        let map = of::InterruptMap::read(&self.tree, phb_node).ok().flatten();
        let mut taken: std::collections::HashMap<_, _> = self
            .devices
            .iter()
            .filter(|d| d.phb == phb && !d.removed && d.msi_device.is_none())
            .map(|d| (d.addr, d.node))
            .collect();
        let Some(d) = self.scanned_device(phb, map.as_ref(), node, &mut taken) else {
            self.remove_tree_node(node);
            let _ = self.set_indicator(ISOLATION_STATE, index, 0);
            return Err(fail("the configured node is no usable PCI function".into()));
        };
        let id = self.attach_device(d);
        self.msg(format!(
            "dlpar: added {} (connector {index:#x})",
            self.devices[id].name
        ));
        if self.opts.eeh && !self.devices[id].is_bridge {
            if let Err(e) = self.eeh_enable(id) {
                self.msg(e.to_string());
            }
        }
        Ok(id)
    }

    /// The `ibm,configure-connector` loop (Linux's `dlpar_configure_connector`): each
    /// answer a child node, a property or the end of a node, until done. The node is
    /// built below `parent` in the OS's tree (the quota counts computed again).
    fn configure_connector(
        &mut self,
        index: u32,
        parent: of_tree::NodeId,
    ) -> Result<of_tree::NodeId, Error> {
        let fail = |m: String| Error::Dlpar(format!("configure-connector {index:#x}: {m}"));
        let wa = CC_WORK_AREA_AT;
        let mut stack = vec![parent];
        let mut first = None;
        let mut last = None;
        for _ in 0..CC_MAX_STEPS {
            if !self.port.os_buffer_write(wa, index) || !self.port.os_buffer_write(wa + 4, 0) {
                return Err(fail("no work area".into()));
            }
            let st = self.dr_call(
                "ibm,configure-connector",
                &[wa as u32, (wa >> 32) as u32],
                1,
            )?[0];
            match st {
                CC_DONE => return first.ok_or_else(|| fail("done before any node".into())),
                CC_NEXT_SIBLING | CC_NEXT_CHILD => {
                    if st == CC_NEXT_SIBLING {
                        stack.truncate(stack.len().saturating_sub(1).max(1));
                    }
                    let name = self.cc_string(self.cc_cell(8))?;
                    let at = *stack.last().unwrap_or(&parent);
                    let n = self.tree_mut().add_child(at, &name);
                    first.get_or_insert(n);
                    stack.push(n);
                    last = Some(n);
                }
                CC_NEXT_PROPERTY => {
                    let n = last.ok_or_else(|| fail("a property before any node".into()))?;
                    let name = self.cc_string(self.cc_cell(8))?;
                    let (len, at) = (self.cc_cell(12) as usize, self.cc_cell(16));
                    let value = self
                        .port
                        .os_buffer_bytes(wa + at as u64, len)
                        .ok_or_else(|| fail(format!("property '{name}' outside the work area")))?;
                    let n = *stack.last().unwrap_or(&n);
                    self.tree_mut().set_prop(n, &name, value);
                }
                CC_PREV_PARENT => {
                    if stack.len() <= 1 {
                        return Err(fail("previous parent above the connector's node".into()));
                    }
                    stack.pop();
                }
                other => {
                    if let Some(n) = first {
                        self.remove_tree_node(n);
                    }
                    return Err(fail(format!("answered {other}")));
                }
            }
        }
        Err(fail(format!("not done after {CC_MAX_STEPS} calls")))
    }

    /// Node `node` (and its subtree) leaves the OS's tree: the client detaches it from
    /// its own first (a client that cannot is said in a message), then the kernel's.
    fn remove_tree_node(&mut self, node: of_tree::NodeId) {
        if let Some(mut c) = self.client.take() {
            let r = c.remove_node(self, node);
            self.client = Some(c);
            if let Err(e) = r {
                let path = self.tree.path(node);
                self.msg(format!("dlpar: the client kept {path} in its tree: {e}"));
            }
        }
        let _ = self.tree_mut().remove_node(node);
    }

    /// The device's connector (`ibm,my-drc-index` of its node).
    pub fn drc_index(&self, dev: DevId) -> Result<u32, Error> {
        let d = &self.devices[dev];
        self.tree
            .at(d.node)
            .u32("ibm,my-drc-index")
            .ok()
            .flatten()
            .ok_or_else(|| Error::Dlpar(format!("{} has no 'ibm,my-drc-index'", d.name)))
    }

    /// The removal of a device the firmware asked for: its driver frees its vectors
    /// (and its LSI), the slot is isolated (the firmware then releases the function)
    /// and made unusable, the node leaves the tree, the device is marked removed.
    pub fn dlpar_remove(&mut self, dev: DevId) -> Result<(), Error> {
        let index = self.drc_index(dev)?;
        let name = self.devices[dev].name.clone();
        if self.devices[dev].msi.is_some() {
            self.free(dev)
                .map_err(|e| Error::Dlpar(format!("{name}: freeing its vectors: {e}")))?;
        }
        if self.devices[dev].lsi_requested {
            self.devices[dev].lsi_requested = false;
        }
        let st = self.set_indicator(ISOLATION_STATE, index, 0)?;
        if st != 0 {
            return Err(Error::Dlpar(format!("{name}: isolate answered {st}")));
        }
        let st = self.set_indicator(ALLOCATION_STATE, index, 0)?;
        if st != 0 && st != NO_SUCH_INDICATOR {
            return Err(Error::Dlpar(format!(
                "{name}: allocation-state unusable answered {st}"
            )));
        }
        if let Some(v) = self.devices[dev].lsi_virq.take() {
            let shared = self.irq.owners(v).iter().any(|o| o.dev != dev);
            if !shared {
                self.irq.dispose(v);
            }
        }
        let node = self.devices[dev].node;
        self.remove_tree_node(node);
        self.devices[dev].removed = true;
        self.msg(format!("dlpar: removed {name} (connector {index:#x})"));
        Ok(())
    }
}
