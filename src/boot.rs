//! The `boot` job: boot a tree, then every function's driver asks for every vector its
//! `ibm,req#msi-x` (else `ibm,req#msi`) offers, and every non-PCI MSI device's driver for
//! every vector its node gives; the interrupt table that results.

use crate::driver::driver_request;
use crate::harness::{self, BootOptions};
use crate::Error;
use of_tree::Tree;
use platform::kernel::Kernel;
use platform::ops::MsiType;
use platform::trace::tracer::Tracer;
use serde::Serialize;

/// One row of the interrupt table, borrowed from the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VectorRow<'a> {
    /// Device name.
    pub device: &'a str,
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

/// How far the drivers' requests have come, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriversDone {
    /// PCI functions whose driver has had its turn.
    pub functions: u64,
    /// PCI functions in all.
    pub of: u64,
    /// Vectors mapped so far.
    pub vectors: u64,
}

/// Boots and runs every driver's request (each accepts as few as one vector).
pub fn boot_all(tree: Tree, opts: BootOptions) -> Result<BootReport, Error> {
    boot_all_with(tree, opts, None, None)
}

/// [`boot_all`], the trace events going to `tracer` instead of kept, and `progress`
/// told after each device's driver.
pub fn boot_all_with(
    tree: Tree,
    opts: BootOptions,
    tracer: Option<Box<dyn Tracer>>,
    progress: Option<&dyn Fn(DriversDone)>,
) -> Result<BootReport, Error> {
    let mut k = harness::boot_with(tree, opts, tracer)?;
    let (mut requested, mut failed, mut vectors) = (0, 0, 0u64);
    let mut done = DriversDone {
        of: k.devices.iter().filter(|d| d.msi_device.is_none()).count() as u64,
        ..Default::default()
    };
    for d in 0..k.devices.len() {
        let request = match &k.devices[d].msi_device {
            Some(info) => Some((MsiType::Msi, info.vectors)),
            None => {
                done.functions += 1;
                driver_request(k.tree(), k.devices[d].node)
            }
        };
        if let Some((kind, n)) = request {
            requested += 1;
            match k.request(d, kind, n, 1) {
                Ok(got) => vectors += got as u64,
                Err(_) => {
                    failed += 1;
                    k.request_lsi(d);
                }
            }
        }
        if let Some(p) = progress {
            done.vectors = vectors;
            p(done);
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

    /// The interrupt table: every vector held, in device order, each row made as it is
    /// read (none is kept).
    pub fn rows(&self) -> impl Iterator<Item = VectorRow<'_>> + '_ {
        self.kernel.devices.iter().flat_map(|d| {
            d.msi.iter().flat_map(move |m| {
                let pairs = m.virqs.iter().zip(&m.sources).enumerate();
                pairs.map(move |(i, (&virq, &source))| {
                    let msg = m.messages.get(i).copied().unwrap_or_default();
                    VectorRow {
                        device: &d.name,
                        vector: i as u32,
                        source,
                        virq,
                        address: msg.address,
                        data: msg.data,
                    }
                })
            })
        })
    }

    /// The length of the longest device name in the table (0 when it is empty).
    pub fn widest_device(&self) -> usize {
        self.kernel
            .devices
            .iter()
            .filter(|d| d.msi.as_ref().is_some_and(|m| !m.virqs.is_empty()))
            .map(|d| d.name.len())
            .max()
            .unwrap_or(0)
    }
}
