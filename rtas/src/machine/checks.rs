//! Consistency checks of a machine: of a state read from outside, of hardware identity.

use super::base::Machine;
use crate::alloc::Pools;
use crate::error::ValidateError;
use crate::ics::SourceKind;
use crate::pci::PciFunction;

/// The first difference [`Machine::same_hardware`] finds between what a tree decides and
/// another machine's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HardwareMismatch {
    /// Another profile, bare-metal kind or number of PHBs.
    #[error("another profile, kind or number of PHBs")]
    Shape,
    /// Another number of interrupt servers.
    #[error("{other} interrupt servers, not the tree's {tree}")]
    Servers {
        /// The other machine's.
        other: u32,
        /// This machine's (the tree's).
        tree: u32,
    },
    /// A PHB with another number, BUID, path, partition, windows or function count.
    #[error("{path}: another PHB")]
    Phb {
        /// This machine's PHB path.
        path: String,
    },
    /// A PHB with other DR connectors.
    #[error("{path}: other DR connectors")]
    Drcs {
        /// This machine's PHB path.
        path: String,
    },
    /// A function with another address, identity, BARs, capabilities or pin.
    #[error("{path}: another function")]
    Function {
        /// This machine's function path.
        path: String,
    },
    /// Other MSI pools.
    #[error("other MSI pools")]
    Pools,
}

impl Machine {
    /// Checks that a state read from outside is self-consistent, so that nothing
    /// indexes out of bounds later.
    pub fn validate(&self) -> Result<(), ValidateError> {
        for p in &self.phbs {
            p.validate()?;
            for f in &p.functions {
                let size = f.config.size();
                let regs = f.config.stored_len();
                if !f.config.consistent() || !(size == 256 || size == 4096) {
                    return Err(ValidateError::ConfigShape {
                        path: f.info.path.clone(),
                    });
                }
                if let Some(c) = f.msi {
                    if c.offset as u32 + c.len() as u32 > regs || c.mmc > 5 {
                        return Err(ValidateError::MsiCap {
                            path: f.info.path.clone(),
                        });
                    }
                }
                match (&f.msix, &f.msix_table) {
                    (Some(c), Some(t)) => {
                        if c.offset as u32 + crate::config::MsixCap::LEN as u32 > regs
                            || t.len() != c.table_size as usize
                            || !t.consistent()
                            || c.table_size == 0
                            || c.table_size as u32 > crate::pci::MAX_MSIX_VECTORS
                        {
                            return Err(ValidateError::MsixShape {
                                path: f.info.path.clone(),
                            });
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(ValidateError::MsixTable {
                            path: f.info.path.clone(),
                        })
                    }
                }
            }
            for b in p.msi.values() {
                if b.first.checked_add(b.reserved).is_none() || b.count > b.reserved {
                    return Err(ValidateError::MsiBlock {
                        path: p.path.clone(),
                    });
                }
            }
        }
        self.ics.validate()?;
        match &self.pools {
            Pools::Qemu(_) => Ok(()),
            Pools::Papr(v) => v.iter().try_for_each(|p| p.validate()),
        }
    }

    /// Whether `other` has this machine's hardware: everything the tree decides (PHBs
    /// with their numbers, BUIDs, paths, partitions and pools; functions with their
    /// addresses, identities, BARs, capabilities and pins), as opposed to state. Says
    /// the first difference.
    pub fn same_hardware(&self, other: &Machine) -> Result<(), HardwareMismatch> {
        if self.profile != other.profile
            || self.bare_metal != other.bare_metal
            || self.phbs.len() != other.phbs.len()
        {
            return Err(HardwareMismatch::Shape);
        }
        if self.servers != other.servers {
            return Err(HardwareMismatch::Servers {
                other: other.servers,
                tree: self.servers,
            });
        }
        for (a, b) in self.phbs.iter().zip(&other.phbs) {
            if (
                a.index,
                a.buid,
                &a.path,
                a.pe_total_msi,
                a.partition,
                &a.windows,
            ) != (
                b.index,
                b.buid,
                &b.path,
                b.pe_total_msi,
                b.partition,
                &b.windows,
            ) || a.functions.len() != b.functions.len()
            {
                return Err(HardwareMismatch::Phb {
                    path: a.path.clone(),
                });
            }
            // The connectors the tree describes; only their states are state.
            let drcs = |p: &crate::phb::Phb| -> Vec<(u32, String, String, u32, Option<usize>)> {
                p.drcs
                    .iter()
                    .map(|d| {
                        (
                            d.index,
                            d.name.clone(),
                            d.ty.clone(),
                            d.power_domain,
                            d.function,
                        )
                    })
                    .collect()
            };
            let nodes_ok = a
                .drcs
                .iter()
                .zip(&b.drcs)
                .all(|(x, y)| x.node == y.node && y.cc_at <= y.node.len());
            if drcs(a) != drcs(b) || !nodes_ok {
                return Err(HardwareMismatch::Drcs {
                    path: a.path.clone(),
                });
            }
            for (f, g) in a.functions.iter().zip(&b.functions) {
                let shape = |f: &PciFunction| {
                    (
                        f.addr,
                        f.info.clone(),
                        f.bars.clone(),
                        f.msi,
                        f.msix,
                        f.lsi,
                        f.config.size(),
                    )
                };
                if shape(f) != shape(g) {
                    return Err(HardwareMismatch::Function {
                        path: f.info.path.clone(),
                    });
                }
            }
        }
        let pools = |m: &Machine| -> Vec<(u32, u32)> {
            match &m.pools {
                Pools::Qemu(q) => vec![(q.base(), q.size())],
                Pools::Papr(v) => v.iter().map(|p| (p.base(), p.size())).collect(),
            }
        };
        if pools(self) != pools(other) {
            return Err(HardwareMismatch::Pools);
        }
        Ok(())
    }

    /// Sources owned by more than one function, or by a function and the free pool
    /// (a consistency check for tests).
    pub fn ownership_problems(&self) -> Vec<String> {
        let mut seen = std::collections::HashMap::new();
        let mut out = Vec::new();
        for p in &self.phbs {
            for (k, b) in &p.msi {
                for s in b.first..b.first + b.reserved {
                    if let Some(prev) = seen.insert(s, (p.index, *k)) {
                        out.push(format!(
                            "source {s:#x} owned by {prev:?} and {:?}",
                            (p.index, *k)
                        ));
                    }
                    if self.ics.source(s).map(|x| x.kind) != Some(SourceKind::Msi)
                        && s < b.first + b.count
                    {
                        out.push(format!("source {s:#x} assigned but not claimed"));
                    }
                }
            }
        }
        out
    }
}
