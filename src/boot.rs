//! The `boot` job: boot a tree, then every function's driver asks for every vector its
//! `ibm,req#msi-x` (else `ibm,req#msi`) offers, and every non-PCI MSI device's driver for
//! every vector its node gives; the interrupt table that results.

use crate::driver::driver_request;
use crate::harness::{self, BootOptions};
use crate::Error;
use of_tree::Tree;
use platform::kernel::Kernel;
use platform::ops::MsiType;
use serde::Serialize;

/// One row of the interrupt table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VectorRow {
    /// Device name.
    pub device: String,
    /// Vector.
    pub vector: u32,
    /// Hardware source.
    pub source: u32,
    /// OS interrupt number.
    pub virq: u32,
    /// Message address read back from the device.
    pub address: u64,
    /// Message data read back from the device.
    pub data: u32,
}

/// What a boot came to.
pub struct BootReport {
    /// The kernel after the drivers' requests.
    pub kernel: Kernel,
    /// Functions whose driver asked for vectors.
    pub requested: usize,
    /// Functions whose request failed (they use their LSI).
    pub failed: usize,
    /// Vectors held in all.
    pub vectors: u64,
}

/// Boots and runs every driver's request (each accepts as few as one vector).
pub fn boot_all(tree: Tree, opts: BootOptions) -> Result<BootReport, Error> {
    boot_all_with(tree, opts, None)
}

/// [`boot_all`], each trace event handed to `sink` as it happens.
pub fn boot_all_with(
    tree: Tree,
    opts: BootOptions,
    sink: Option<platform::trace::Sink>,
) -> Result<BootReport, Error> {
    let mut k = harness::boot_with(tree, opts, sink)?;
    let (mut requested, mut failed, mut vectors) = (0, 0, 0u64);
    for d in 0..k.devices.len() {
        let request = match &k.devices[d].msi_device {
            Some(info) => Some((MsiType::Msi, info.vectors)),
            None => driver_request(k.tree(), k.devices[d].node),
        };
        let Some((kind, n)) = request else {
            continue;
        };
        requested += 1;
        match k.request(d, kind, n, 1) {
            Ok(got) => vectors += got as u64,
            Err(_) => {
                failed += 1;
                k.request_lsi(d);
            }
        }
    }
    Ok(BootReport {
        kernel: k,
        requested,
        failed,
        vectors,
    })
}

impl BootReport {
    /// PCI functions the OS found (non-PCI MSI devices left out).
    pub fn pci_functions(&self) -> usize {
        self.kernel
            .devices
            .iter()
            .filter(|d| d.msi_device.is_none())
            .count()
    }

    /// The interrupt table: every vector held, in device order.
    pub fn table(&self) -> Vec<VectorRow> {
        let mut rows = Vec::new();
        for d in &self.kernel.devices {
            let Some(m) = &d.msi else { continue };
            for (i, (&virq, &source)) in m.virqs.iter().zip(&m.sources).enumerate() {
                let msg = m.messages.get(i).copied().unwrap_or_default();
                let (address, data) = (msg.address, msg.data);
                rows.push(VectorRow {
                    device: d.name.clone(),
                    vector: i as u32,
                    source,
                    virq,
                    address,
                    data,
                });
            }
        }
        rows
    }
}
