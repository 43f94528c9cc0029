//! One instance of a compiled client (its own globals, as one booted kernel has), run in
//! a process of its own (see [`super::child`]), and the kernel's calls into it.

use super::chan::msg;
use super::child::Process;
use super::client_error::ClientError;
use crate::error::MsiError;
use crate::kernel::client::MsiClient;
use crate::kernel::ops::MsiType;
use crate::kernel::{DevId, Kernel};
use of_tree::NodeId;
use std::path::Path;
use std::time::Duration;

/// A client instance: its process, the tree's nodes by client id (and their paths).
#[derive(Debug)]
pub struct Instance {
    proc: Process,
    nodes: Vec<NodeId>,
    paths: Vec<String>,
    node_ids: Vec<i32>,
    devices: usize,
    /// The tree was handed over (INIT and every node): Some(whether it went well).
    handed: Option<bool>,
    /// The tree's XIVE driver drives the interrupt controller.
    xive_driver: bool,
}

impl Instance {
    /// Starts a process of `runner` running the shared object; `source` names it in
    /// messages; `timeout` is the watchdog's limit for one call.
    pub fn load(
        runner: &Path,
        library: &Path,
        source: &str,
        timeout: Duration,
    ) -> Result<Instance, ClientError> {
        Self::with_process(Process::spawn(runner, library, source, timeout)?)
    }

    /// An instance in a started process (waits until it is ready).
    pub fn with_process(mut proc: Process) -> Result<Instance, ClientError> {
        proc.ready()?;
        Ok(Instance {
            proc,
            nodes: Vec::new(),
            paths: Vec::new(),
            node_ids: Vec::new(),
            devices: 0,
            handed: None,
            xive_driver: false,
        })
    }

    /// The client's id of a node, attaching it (and its unknown parents) first when the
    /// client does not know it: a node added after boot, as Linux's OF reconfiguration
    /// notifier (OF_RECONFIG_ATTACH_NODE) tells the platform.
    fn node_id(&mut self, k: &mut Kernel, node: NodeId) -> Option<i32> {
        let tree = k.tree();
        let path = tree.path(node);
        if let Some(&id) = self.node_ids.get(node.index()).filter(|&&id| id >= 0) {
            if self.paths.get(id as usize) == Some(&path) {
                return Some(id);
            }
        }
        let parent = tree.node(node).parent();
        let parent_id = match parent {
            Some(p) => self.node_id(k, p)? as i64,
            None => -1,
        };
        let id = self.nodes.len() as i64;
        self.call(k, msg::ADD_NODE, &[id, parent_id], Some(&path))
            .filter(|&r| r == 0)?;
        if self.node_ids.len() <= node.index() {
            self.node_ids.resize(node.index() + 1, -1);
        }
        self.node_ids[node.index()] = id as i32;
        self.nodes.push(node);
        self.paths.push(path);
        Some(id as i32)
    }

    /// The tree's nodes handed over (once): INIT, then every node. Whether it went
    /// well.
    fn hand_over(&mut self, k: &mut Kernel) -> bool {
        if let Some(ok) = self.handed {
            return ok;
        }
        let tree = k.tree();
        let walk = tree.walk();
        let max = walk.iter().map(|n| n.index()).max().unwrap_or(0);
        let mut ids = vec![-1i32; max + 1];
        for (i, n) in walk.iter().enumerate() {
            ids[n.index()] = i as i32;
        }
        let paths: Vec<String> = walk.iter().map(|&n| tree.path(n)).collect();
        let parents: Vec<i64> = walk
            .iter()
            .map(|&n| tree.node(n).parent().map_or(-1, |p| ids[p.index()] as i64))
            .collect();
        self.nodes = walk;
        self.paths = paths.clone();
        self.node_ids = ids;
        let count = self.nodes.len() as i64;
        let ok = self.call(k, msg::INIT, &[count], None) == Some(0)
            && paths
                .iter()
                .zip(&parents)
                .enumerate()
                .all(|(i, (p, parent))| {
                    self.call(k, msg::ADD_NODE, &[i as i64, *parent], Some(p))
                        .is_some()
                });
        self.handed = Some(ok);
        ok
    }

    /// Why the last call failed, for a message.
    fn failure_text(&self) -> String {
        self.proc
            .failure()
            .unwrap_or("the client could not be called")
            .to_string()
    }

    /// Calls an entry point; None when the process failed (it says why).
    fn call(&mut self, k: &mut Kernel, kind: u32, ints: &[i64], text: Option<&str>) -> Option<i64> {
        let nodes = std::mem::take(&mut self.nodes);
        let r = self.proc.call(k, &nodes, kind, ints, text);
        self.nodes = nodes;
        match r {
            Ok(v) => Some(v),
            Err(why) => {
                log::error!("{why}");
                None
            }
        }
    }
}

impl MsiClient for Instance {
    /// The tree's nodes and PHBs handed over, the MSI domains made, the initcalls run
    /// (Linux's discover_phbs tail and `rtas_msi_init`). True when MSI is registered.
    fn msi_init(&mut self, k: &mut Kernel) -> bool {
        if !self.hand_over(k) {
            return false;
        }
        let phbs: Vec<[i64; 3]> = k
            .phbs
            .iter()
            .map(|p| {
                [
                    self.node_ids[p.node.index()] as i64,
                    p.buid as i64,
                    p.domain as i64,
                ]
            })
            .collect();
        for phb in phbs {
            if self.call(k, msg::ADD_PHB, &phb, None).is_none() {
                return false;
            }
        }
        self.call(k, msg::MSI_INIT, &[], None) == Some(0)
    }

    /// The tree handed over, then `pseries_init_irq`: the tree's XIVE driver set up
    /// (`xive_spapr_init`). True when it drives the controller.
    fn init_irq(&mut self, k: &mut Kernel) -> bool {
        self.xive_driver = self.hand_over(k) && self.call(k, msg::INIT_IRQ, &[], None) == Some(0);
        self.xive_driver
    }

    /// The CPUs the controller raised take their interrupts through the tree's driver
    /// (its queue scan, the flow handler, its EOI), while the firmware raises more.
    fn take_interrupts(&mut self, k: &mut Kernel) -> Option<Vec<u32>> {
        if !self.xive_driver {
            return None;
        }
        let mut out = Vec::new();
        // Each pass is one external interrupt; an EOI that re-triggers raises another.
        for _ in 0..1024 {
            let raised = k.port_mut().take_interrupts();
            let words = self.proc.xive.new_entries(k.port(), super::chan::TEXT / 16);
            if raised.is_empty() && words.is_empty() {
                break;
            }
            let bytes: Vec<u8> = words
                .iter()
                .flat_map(|&(a, w)| a.to_ne_bytes().into_iter().chain((w as u64).to_ne_bytes()))
                .collect();
            self.proc.put_bytes(&bytes);
            let taken = self.call(k, msg::TAKE, &[words.len() as i64], None);
            out.append(&mut self.proc.xive.handled);
            if taken.is_none_or(|n| n < 0) {
                break;
            }
        }
        Some(out)
    }

    /// A function found by the scan: handed over, then `ppc_md.pci_irq_fixup`.
    fn pci_irq_fixup(&mut self, k: &mut Kernel, dev: DevId) {
        let msi_cap = k.msi_cap(dev, MsiType::Msi).unwrap_or(0) as i64;
        let msix_cap = k.msi_cap(dev, MsiType::Msix).unwrap_or(0) as i64;
        let node = self.node_id(k, k.devices[dev].node).unwrap_or(-1) as i64;
        let d = &k.devices[dev];
        let irq = d.lsi_virq.unwrap_or(0) as i64;
        let name = d.name.clone();
        let ints = [
            dev as i64,
            d.phb as i64,
            node,
            d.addr.bus as i64,
            d.addr.devfn as i64,
            msi_cap,
            msix_cap,
            irq,
            d.no_64bit_msi as i64,
        ];
        let added = self.call(k, msg::ADD_DEVICE, &ints, Some(&name)) == Some(0)
            && self.call(k, msg::FIXUP, &[dev as i64, irq], None) == Some(0);
        if added {
            self.devices = self.devices.max(dev + 1);
        }
    }

    /// A driver's `pci_alloc_irq_vectors`: the count granted, the virqs of each vector.
    fn request(
        &mut self,
        k: &mut Kernel,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<(u32, Vec<u32>), MsiError> {
        if dev >= self.devices {
            return Err(MsiError::NotSupported);
        }
        let msix = (kind == MsiType::Msix) as i64;
        let ints = [
            dev as i64,
            msix,
            min.min(i32::MAX as u32) as i64,
            max.min(i32::MAX as u32) as i64,
        ];
        let n = self
            .call(k, msg::REQUEST, &ints, None)
            .ok_or(MsiError::NotSupported)?;
        if n < 0 {
            return Err(errno(n));
        }
        let mut virqs = Vec::with_capacity(n as usize);
        for i in 0..n {
            let v = self
                .call(k, msg::VECTOR, &[dev as i64, i], None)
                .ok_or(MsiError::NotSupported)?;
            virqs.push(v.max(0) as u32);
        }
        Ok((n as u32, virqs))
    }

    /// request_irq on the first `start` vectors of a device (-1 to the client: all).
    fn request_irqs(&mut self, k: &mut Kernel, dev: DevId, start: Option<u32>) {
        let n = start.map_or(-1, |n| n.min(i32::MAX as u32) as i64);
        self.call(k, msg::REQUEST_IRQS, &[dev as i64, n], None);
    }

    /// `psim_start_irq` on one vector; a library without it (built before the entry
    /// point existed) answers -ENOSYS from the runner.
    fn start_irq(&mut self, k: &mut Kernel, dev: DevId, vector: u32) -> Result<(), String> {
        match self.call(k, msg::START_IRQ, &[dev as i64, vector as i64], None) {
            Some(0) => Ok(()),
            Some(-38) => Err(
                "the client library has no entry point psim_start_irq (built \
                 before it existed): rebuild it from this version's client files"
                    .into(),
            ),
            Some(n) => Err(format!("psim_start_irq answered {n}")),
            None => Err(self.failure_text()),
        }
    }

    /// `psim_remove_node` on the node when the client knows it (else on each node
    /// below it that it knows), which then no longer stand for any node here; a
    /// library without the entry point answers -ENOSYS from the runner.
    fn remove_node(&mut self, k: &mut Kernel, node: NodeId) -> Result<(), String> {
        let mut sub = vec![node];
        sub.extend(k.tree().descendants(node, |_, _| true));
        let known: Vec<(NodeId, i32)> = sub
            .iter()
            .filter_map(|n| Some((*n, *self.node_ids.get(n.index()).filter(|&&i| i >= 0)?)))
            .collect();
        let calls = match known.first() {
            Some(&(n, id)) if n == node => vec![id],
            _ => known.iter().map(|&(_, id)| id).collect(),
        };
        for (n, _) in &known {
            self.node_ids[n.index()] = -1;
        }
        for id in calls {
            match self.call(k, msg::REMOVE_NODE, &[id as i64], None) {
                Some(0) => {}
                Some(-38) => {
                    return Err("the client library has no entry point psim_remove_node \
                                (built before it existed): rebuild it from this version's \
                                client files"
                        .into())
                }
                Some(n) => return Err(format!("psim_remove_node answered {n}")),
                None => return Err(self.failure_text()),
            }
        }
        Ok(())
    }

    /// free_irq on every vector started, then `pci_free_irq_vectors`.
    fn free(&mut self, k: &mut Kernel, dev: DevId) {
        self.call(k, msg::FREE, &[dev as i64], None);
    }

    /// `psim_unbind` when the shared object defines it (a Linux 7.x tree client tears
    /// down the device's MSI domain there), else [`MsiClient::free`]. Its status is
    /// not read, as psim_free's is not.
    fn unbind(&mut self, k: &mut Kernel, dev: DevId) {
        if self.proc.has_unbind {
            self.call(k, msg::UNBIND, &[dev as i64], None);
        } else {
            self.free(k, dev);
        }
    }

    fn failure(&self) -> Option<String> {
        self.proc.failure().map(str::to_string)
    }
}

/// A negative errno as an MSI result.
fn errno(n: i64) -> MsiError {
    match -n {
        2 => MsiError::NoEnt,
        28 => MsiError::NoSpc,
        22 | 34 => MsiError::Inval,
        38 | 524 => MsiError::NotSupported,
        _ => MsiError::Rtas(n as i32),
    }
}
