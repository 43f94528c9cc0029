//! The machine's plain data: fixed source numbers and addresses, drop counters, what
//! became of a signal, how a function is named, and the OS's RAM as the machine
//! reaches it.

use serde::{Deserialize, Serialize};

/// The address of QEMU's MSI window: a message written here with data N triggers
/// source N.
pub const MSI_WINDOW: u64 = 0x400_0000_0000;
/// The MSI window below 4 GiB, for functions that cannot send 64-bit addresses
/// (change-msi functions 5 and 6 in the papr profile).
pub const MSI_WINDOW_32: u64 = 0xfff0_0000;
/// The controller every machine has: QEMU's XICS range.
pub const ICS_BASE: u32 = 0x1000;
/// Sources in that controller.
pub const ICS_COUNT: u32 = 0x1000;
/// QEMU's first PCI LSI: PHB n's pins are at 0x1200 + 4n.
pub const LSI_BASE: u32 = 0x1200;

/// Counters of messages that reached no source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCounters {
    /// Address was not the MSI window.
    pub bad_address: u64,
    /// Data named a source the function does not own.
    pub not_owner: u64,
    /// Data named a source of another partition (the function's PE was frozen).
    pub cross_partition: u64,
    /// The function's PE was frozen.
    pub frozen: u64,
    /// Config-space and BAR stores dropped because the function's PE was frozen.
    pub frozen_writes: u64,
    /// The function had neither MSI nor MSI-X enabled, or no such vector.
    pub disabled: u64,
}

/// What became of a signalled vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// The message reached this source (presented, or held there while it is masked).
    Delivered {
        /// Global source number.
        source: u32,
    },
    /// The vector is masked in the function: its pending bit is set.
    PendingInDevice,
    /// The message reached nothing.
    Dropped,
}

/// A function by PHB and position, as the machine's callers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FnRef {
    /// Index into [`Machine::phbs`](super::Machine::phbs).
    pub phb: usize,
    /// Index into the PHB's functions.
    pub func: usize,
}

/// The partition's RAM as the machine reaches it (the XIVE controller writes event
/// queues there). It is the OS's memory, no machine state: machines compare equal
/// whatever their RAM holds.
#[derive(Debug, Clone, Default)]
pub struct GuestRam(pub crate::memory::Memory);

impl PartialEq for GuestRam {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for GuestRam {}

impl std::ops::Deref for GuestRam {
    type Target = crate::memory::Memory;
    fn deref(&self) -> &crate::memory::Memory {
        &self.0
    }
}

impl std::ops::DerefMut for GuestRam {
    fn deref_mut(&mut self) -> &mut crate::memory::Memory {
        &mut self.0
    }
}

/// Where the OS's RAM for event queues starts.
pub const QUEUE_RAM_BASE: u64 = 0x0300_0000;
/// Bytes of that RAM per server.
pub const QUEUE_RAM_PER_SERVER: u64 = 0x10_0000;
