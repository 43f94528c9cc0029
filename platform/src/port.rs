//! The one port between the OS and the machine: RTAS calls by token through
//! an argument buffer in OS memory, hypervisor calls, config space of bare-metal PHBs,
//! MMIO by CPU physical address, and the external interrupts the CPU takes. Whatever
//! else the OS knows comes from the device tree.

use papr_abi::cas::{CasError, CasOutcome};
use papr_abi::pci::PciAddr;

/// Where the OS keeps its RTAS argument buffer (Linux's `rtas_args`).
pub const RTAS_ARGS_AT: u64 = 0x10_0000;
/// OS memory the port owns: the RTAS argument buffer lives here.
pub const OS_MEMORY: usize = 0x2000;
/// Where the OS puts its client-architecture-support option vectors.
pub const CAS_TABLE_AT: u64 = RTAS_ARGS_AT + 0x400;
/// Where the OS keeps its RTAS error-log buffer (Linux's `slot_errbuf`).
pub const ERROR_LOG_AT: u64 = RTAS_ARGS_AT + 0x800;
/// Its length: `rtas-error-log-max` as QEMU publishes it.
pub const ERROR_LOG_LEN: u32 = 0x800;
/// Where the OS keeps its `ibm,configure-connector` work area (4 KiB, Linux's
/// `rtas_data_buf`).
pub const CC_WORK_AREA_AT: u64 = RTAS_ARGS_AT + 0x1000;
/// Most cells of arguments plus outputs an RTAS call may carry.
pub const MAX_CELLS: usize = 16;

/// The port: what the OS can do to the machine. The simulator implements it over its
/// firmware; the OS holds it as a trait object and names no firmware type.
pub trait Port: std::any::Any {
    /// The RTAS entry point: token, inputs and `out.len()` zeroed outputs written to
    /// the argument buffer in OS memory ([`RTAS_ARGS_AT`]), the call made, the outputs
    /// read back into `out` (status signed). False when the buffer cannot be used at
    /// all.
    fn rtas_call(&mut self, token: u32, args: &[u32], out: &mut [i64]) -> bool;

    /// The Open Firmware client interface's `ibm,client-architecture-support`: the
    /// option-vector table written to OS memory ([`CAS_TABLE_AT`]), the call made with
    /// its address.
    fn client_architecture_support(&mut self, table: &[u8]) -> Result<CasOutcome, CasError>;

    /// The device tree as the firmware presents it after CAS (the OS walks the Open
    /// Firmware tree again, as prom_init flattens it): `tree` is brought up to date.
    fn refresh_tree(&mut self, tree: &mut of_tree::Tree);

    /// A hypervisor call: the status (R3), then R4...
    fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64>;

    /// A config-space read of a function on a bare-metal PHB (by BUID): `None` where
    /// nothing answers.
    fn config_read(&mut self, buid: u64, addr: PciAddr, reg: u32, size: u32) -> Option<u32>;

    /// A config-space write on a bare-metal PHB; false where nothing takes it.
    fn config_write(&mut self, buid: u64, addr: PciAddr, reg: u32, size: u32, value: u32) -> bool;

    /// A word of the OS memory the port owns (its RTAS buffers); `None` outside it.
    fn os_buffer_read(&self, addr: u64) -> Option<u32>;

    /// Bytes of the OS memory the port owns; `None` outside it.
    fn os_buffer_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>>;

    /// Stores a word in the OS memory the port owns; false outside it.
    fn os_buffer_write(&mut self, addr: u64, value: u32) -> bool;

    /// A 4-byte big-endian load from the OS's own memory (its queue pages).
    fn memory_read_u32(&self, addr: u64) -> Option<u32>;

    /// A load from a CPU physical address; `None` where nothing decodes it.
    fn mmio_read(&mut self, addr: u64, size: u32) -> Option<u64>;

    /// A store to a CPU physical address; false where nothing takes it.
    fn mmio_write(&mut self, addr: u64, size: u32, value: u64) -> bool;

    /// A word of the OS's system memory (where it keeps buffers devices write to, such
    /// as the Axon MSIC's FIFO); `None` outside memory.
    fn ram_read(&mut self, addr: u64) -> Option<u32>;

    /// Stores a word of system memory; false outside it.
    fn ram_write(&mut self, addr: u64, value: u32) -> bool;

    /// The sources the interrupt presentation controller raised since last asked.
    fn take_interrupts(&mut self) -> Vec<u32>;
}
