//! Save and restore of the whole firmware state (the migration blob): versioned,
//! big-endian, with a checksum; refused whole when it does not fit the machine.
//!
//! Layout: magic `PSIMSTAT`, version (u32), tree id (u64), payload length (u64), the
//! payload (bincode, big-endian, fixed-width integers), CRC-64/XZ of all before (u64).

use crate::error::ValidateError;
use crate::firmware::{Firmware, Pending};
use crate::machine::{HardwareMismatch, Machine};
use crate::service::Tokens;
pub use crate::tree_id::tree_id;
use crate::tree_id::CRC;
use bincode::Options;
use serde::{Deserialize, Serialize};

/// The blob's first bytes.
pub const MAGIC: &[u8; 8] = b"PSIMSTAT";
/// The format version this build writes and reads.
pub const VERSION: u32 = 5;
const HEADER: usize = 8 + 4 + 8 + 8;

/// Why a blob was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Shorter than its header or than the length it announces.
    #[error("state blob truncated: {have} bytes, {need} needed")]
    Truncated {
        /// Bytes given.
        have: usize,
        /// Bytes the blob needs.
        need: usize,
    },
    /// Not a state blob.
    #[error("not a pseries-sim state blob (bad magic)")]
    Magic,
    /// Written by another format version.
    #[error("state blob version {0}; this build reads version {VERSION}")]
    Version(u32),
    /// The checksum does not match: the blob is corrupted.
    #[error("state blob checksum mismatch: stored {stored:#018x}, computed {computed:#018x}")]
    Checksum {
        /// The checksum in the blob.
        stored: u64,
        /// The checksum of its contents.
        computed: u64,
    },
    /// Saved from a machine built from another tree.
    #[error(
        "state blob is from another machine (tree {blob:#018x}, this machine {machine:#018x})"
    )]
    OtherTree {
        /// Tree id in the blob.
        blob: u64,
        /// This machine's tree id.
        machine: u64,
    },
    /// Longer than its contents.
    #[error("state blob has {0} bytes after its checksum")]
    Trailing(usize),
    /// The payload does not decode.
    #[error("state blob payload does not decode: {0}")]
    Payload(String),
    /// The payload's machine does not have the hardware this tree describes.
    #[error("state blob payload does not decode: the saved machine is not this one: {0}")]
    OtherHardware(HardwareMismatch),
    /// The payload's machine is not self-consistent.
    #[error("state blob payload does not decode: {0}")]
    Invalid(ValidateError),
}

/// Everything the firmware keeps, as saved.
#[derive(Serialize, Deserialize)]
struct Saved {
    machine: Machine,
    tokens: Tokens,
    clock: crate::clock::SimClock,
    console: String,
    powered_off: bool,
    suspended: bool,
    reboots: u32,
    renumbers: u32,
    held: Vec<crate::firmware::HeldBlock>,
    pending: Option<Pending>,
    cas: Option<crate::cas::CasOutcome>,
}

/// [`Saved`] borrowed from the firmware: the same fields in the same order, so the
/// same bytes, without copying the machine to save it.
#[derive(Serialize)]
struct SavedRef<'a> {
    machine: &'a Machine,
    tokens: &'a Tokens,
    clock: &'a crate::clock::SimClock,
    console: &'a str,
    powered_off: bool,
    suspended: bool,
    reboots: u32,
    renumbers: u32,
    held: &'a [crate::firmware::HeldBlock],
    pending: Option<Pending>,
    cas: Option<crate::cas::CasOutcome>,
}

fn codec() -> impl Options {
    bincode::DefaultOptions::new()
        .with_big_endian()
        .with_fixint_encoding()
        .reject_trailing_bytes()
}

/// A blob around any payload, with a valid header and checksum (for fuzzing the
/// decoder behind them).
pub fn wrap_payload(tree_id: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len() + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&tree_id.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(payload);
    let sum = CRC.checksum(&out);
    out.extend_from_slice(&sum.to_be_bytes());
    out
}

impl Firmware {
    /// The whole firmware state as bytes.
    pub fn save(&self) -> Vec<u8> {
        let saved = SavedRef {
            machine: &self.machine,
            tokens: &self.tokens,
            clock: &self.clock,
            console: &self.console,
            powered_off: self.powered_off,
            suspended: self.suspended,
            reboots: self.reboots,
            renumbers: self.renumbers,
            held: &self.held,
            pending: self.pending,
            cas: self.cas,
        };
        let payload = codec().serialize(&saved).unwrap_or_else(|e| {
            log::error!("the firmware state does not serialize: {e}");
            Vec::new()
        });
        wrap_payload(self.tree_id, &payload)
    }

    /// Replaces the firmware state with a saved one. A blob from another tree or
    /// version, truncated or corrupted, is refused and nothing changes.
    pub fn restore(&mut self, blob: &[u8]) -> Result<(), StateError> {
        if blob.len() < HEADER + 8 {
            return Err(StateError::Truncated {
                have: blob.len(),
                need: HEADER + 8,
            });
        }
        if &blob[..8] != MAGIC {
            return Err(StateError::Magic);
        }
        let be64 = |o: usize| u64::from_be_bytes(blob[o..o + 8].try_into().unwrap_or([0; 8]));
        let len = be64(20);
        let need = (HEADER as u64).saturating_add(len).saturating_add(8);
        if (blob.len() as u64) < need {
            return Err(StateError::Truncated {
                have: blob.len(),
                need: need.min(usize::MAX as u64) as usize,
            });
        }
        let end = need as usize;
        let stored = be64(end - 8);
        let computed = CRC.checksum(&blob[..end - 8]);
        if stored != computed {
            return Err(StateError::Checksum { stored, computed });
        }
        if blob.len() > end {
            return Err(StateError::Trailing(blob.len() - end));
        }
        let version = u32::from_be_bytes(blob[8..12].try_into().unwrap_or([0; 4]));
        if version != VERSION {
            return Err(StateError::Version(version));
        }
        let id = be64(12);
        if id != self.tree_id {
            return Err(StateError::OtherTree {
                blob: id,
                machine: self.tree_id,
            });
        }
        let saved: Saved = codec()
            .with_limit(len)
            .deserialize(&blob[HEADER..end - 8])
            .map_err(|e| StateError::Payload(e.to_string()))?;
        // The blob names this tree, so what the tree decides must be as built from it.
        self.machine
            .same_hardware(&saved.machine)
            .map_err(StateError::OtherHardware)?;
        saved.machine.validate().map_err(StateError::Invalid)?;
        // What is not firmware state stays: the MPIC and MSIC (rebuilt from the tree,
        // the MPIC's registers from the saved sources), system memory and the OS's
        // queue pages.
        let mpic = self.machine.mpic.take();
        let axon = self.machine.axon.take();
        let ram = std::mem::take(&mut self.machine.ram);
        let queue_ram = std::mem::take(&mut self.machine.queue_ram);
        let msg_devices = std::mem::take(&mut self.machine.msg_devices);
        let ims = std::mem::take(&mut self.machine.ims);
        self.machine = saved.machine;
        self.machine.msg_devices = msg_devices;
        self.machine.ims = ims;
        self.machine.axon = axon;
        self.machine.ram = ram;
        self.machine.queue_ram = queue_ram;
        self.machine.mpic = mpic.map(|mut m| {
            m.sync_from(&self.machine.ics);
            m
        });
        if self.machine.xive.is_some() && self.machine.queue_ram.is_empty() {
            let xive = self.machine.xive.take();
            self.machine.enable_xive();
            self.machine.xive = xive;
        }
        self.cas = saved.cas;
        self.machine.index_mmio();
        self.tokens = saved.tokens;
        self.clock = saved.clock;
        self.console = saved.console;
        self.powered_off = saved.powered_off;
        self.suspended = saved.suspended;
        self.reboots = saved.reboots;
        self.renumbers = saved.renumbers;
        self.held = saved.held;
        self.pending = saved.pending;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MachineConfig, Profile};

    fn firmware() -> Firmware {
        let blob = include_bytes!("../../fixtures/qemu/a_default.dtb");
        let tree = of_tree::dtb::read(blob).unwrap();
        let cfg = MachineConfig {
            profile: Profile::Papr,
            ..Default::default()
        };
        Firmware::new(&tree, &cfg).unwrap()
    }

    /// A blob with a valid header and checksum whose machine `edit` changed.
    fn forged(fw: &Firmware, edit: impl Fn(&mut Machine)) -> Vec<u8> {
        let blob = fw.save();
        let mut saved: Saved = codec().deserialize(&blob[HEADER..blob.len() - 8]).unwrap();
        edit(&mut saved.machine);
        wrap_payload(fw.tree_id, &codec().serialize(&saved).unwrap())
    }

    #[test]
    fn the_borrowed_twin_writes_what_saved_reads() {
        let mut fw = firmware();
        // Distinct values in the fields of one type, so a swap would show.
        (fw.reboots, fw.renumbers, fw.suspended, fw.powered_off) = (3, 5, true, false);
        fw.console.push_str("ok");
        fw.resume(false);
        let blob = fw.save();
        let payload = &blob[HEADER..blob.len() - 8];
        let saved: Saved = codec().deserialize(payload).unwrap();
        assert_eq!((saved.reboots, saved.renumbers), (3, 5));
        assert_eq!((saved.suspended, saved.powered_off), (false, false));
        assert_eq!(saved.console, "ok");
        assert!(saved.tokens == fw.tokens);
        // The machine (its saved fields) by the bytes: decoded and written again.
        assert_eq!(codec().serialize(&saved).unwrap(), payload, "same bytes");
    }

    #[test]
    fn a_blob_with_other_hardware_is_refused() {
        let mut fw = firmware();
        let before = fw.machine.clone();
        // The unedited blob goes through: the forging itself is sound.
        fw.restore(&forged(&fw, |_| {})).unwrap();
        type Edit = (&'static str, fn(&mut Machine));
        let edits: [Edit; 7] = [
            // A connector naming a function that does not exist.
            ("drc", |m| m.phbs[0].drcs[0].function = Some(9999)),
            // A PHB number past any LSI (it once overflowed the source arithmetic).
            ("index", |m| m.phbs[0].index = 0x7fff_ffff),
            ("partition", |m| m.phbs[0].partition = 1),
            // Servers size the XIVE queue pages made at restore (found by fuzzing: a
            // count of 2^26 asked for 64 GiB).
            ("servers", |m| {
                m.servers = 1 << 26;
                m.xive = Some(Default::default());
            }),
            ("buid", |m| m.phbs[0].buid ^= 1),
            ("pin", |m| {
                let f = m.phbs[0].functions.iter_mut().find(|f| f.lsi.is_some());
                f.unwrap().lsi = None;
            }),
            ("msi-x", |m| {
                let f = m.phbs[0].functions.iter_mut().find(|f| f.msix.is_some());
                f.unwrap().msix.as_mut().unwrap().table_size += 1;
            }),
        ];
        for (what, edit) in edits {
            let e = fw.restore(&forged(&fw, edit)).unwrap_err().to_string();
            assert!(
                e.contains("the saved machine is not this one"),
                "{what}: {e}"
            );
            assert!(
                fw.machine == before,
                "{what}: a refused blob changed the machine"
            );
        }
    }
}
