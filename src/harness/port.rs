//! The simulator's implementation of the OS's port ([`platform::port::Port`]) over the
//! firmware: RTAS calls through an argument buffer in OS memory, CAS, hcalls, config
//! space, MMIO and the interrupts presented.

use papr_abi::cas::{CasError, CasOutcome};
use papr_abi::pci::PciAddr;
use platform::kernel::{DevId, Kernel};
use platform::port::{Port, CAS_TABLE_AT, MAX_CELLS, OS_MEMORY, RTAS_ARGS_AT};
use rtas::memory::Memory;
use rtas::Firmware;

/// The OS's port over the simulated firmware: RTAS calls go through a buffer in the
/// OS memory it owns, everything else straight to the firmware.
#[derive(Debug, Clone)]
pub struct FirmwarePort {
    fw: Firmware,
    mem: Memory,
    partition: u32,
}

impl FirmwarePort {
    /// A port to `fw` for an OS running in `partition`.
    pub fn new(fw: Firmware, partition: u32) -> FirmwarePort {
        FirmwarePort {
            fw,
            mem: Memory::new(RTAS_ARGS_AT, OS_MEMORY),
            partition,
        }
    }

    /// The firmware behind the port, the simulator's view.
    pub fn firmware(&self) -> &Firmware {
        &self.fw
    }

    /// The firmware behind the port, mutable, the simulator's view.
    pub fn firmware_mut(&mut self) -> &mut Firmware {
        &mut self.fw
    }
}

impl Port for FirmwarePort {
    /// The RTAS entry point: token, inputs and `out.len()` zeroed outputs written to
    /// the argument buffer in OS memory, the call made, the outputs read back into
    /// `out` (status signed). False when the buffer cannot be used at all.
    fn rtas_call(&mut self, token: u32, args: &[u32], out: &mut [i64]) -> bool {
        let nret = out.len().min(MAX_CELLS);
        if args.len() + nret > MAX_CELLS {
            return false;
        }
        let base = RTAS_ARGS_AT;
        let Some(rets_at) = self.mem.write_call(base, token, args, nret) else {
            return false;
        };
        if self
            .fw
            .call_buffer_as(self.partition, &mut self.mem, base)
            .is_err()
        {
            return false;
        }
        let mut raw = [0u32; MAX_CELLS];
        let raw = &mut raw[..nret];
        if !self.mem.read_cells(rets_at, raw) {
            return false;
        }
        for (i, (c, &v)) in out.iter_mut().zip(raw.iter()).enumerate() {
            *c = if i == 0 { v as i32 as i64 } else { v as i64 };
        }
        true
    }

    /// The Open Firmware client interface's `ibm,client-architecture-support`: the
    /// option-vector table written to OS memory, the call made with its address.
    fn client_architecture_support(&mut self, table: &[u8]) -> Result<CasOutcome, CasError> {
        if !self.mem.write_bytes(CAS_TABLE_AT, table) {
            return Err(CasError::Malformed(CAS_TABLE_AT));
        }
        self.fw.client_architecture_support(&self.mem, CAS_TABLE_AT)
    }

    /// The device tree as the firmware presents it after CAS (the OS walks the Open
    /// Firmware tree again, as prom_init flattens it): `tree` is brought up to date.
    fn refresh_tree(&mut self, tree: &mut of_tree::Tree) {
        self.fw.update_tree_after_cas(tree);
    }

    /// A hypervisor call: the status (R3), then R4...
    fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64> {
        self.fw.hcall(opcode, args)
    }

    /// A config-space read of a function on a bare-metal PHB (by BUID): all ones
    /// where nothing answers, as a master abort reads.
    fn config_read(&mut self, buid: u64, addr: PciAddr, reg: u32, size: u32) -> Option<u32> {
        self.fw.pci_config_read(buid, addr, reg, size)
    }

    /// A config-space write on a bare-metal PHB; false where nothing takes it.
    fn config_write(&mut self, buid: u64, addr: PciAddr, reg: u32, size: u32, value: u32) -> bool {
        self.fw.pci_config_write(buid, addr, reg, size, value)
    }

    /// A word of the OS memory the port owns (its RTAS buffers); `None` outside it.
    fn os_buffer_read(&self, addr: u64) -> Option<u32> {
        self.mem.read_u32(addr)
    }

    /// Bytes of the OS memory the port owns; `None` outside it.
    fn os_buffer_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.mem.read_bytes(addr, len).map(<[u8]>::to_vec)
    }

    /// Stores a word in the OS memory the port owns; false outside it.
    fn os_buffer_write(&mut self, addr: u64, value: u32) -> bool {
        self.mem.write_u32(addr, value)
    }

    /// A 4-byte big-endian load from the OS's own memory (its queue pages).
    fn memory_read_u32(&self, addr: u64) -> Option<u32> {
        self.fw.queue_ram_read_u32(addr)
    }

    /// A load from a CPU physical address; `None` where nothing decodes it.
    fn mmio_read(&mut self, addr: u64, size: u32) -> Option<u64> {
        self.fw.mmio_read(addr, size)
    }

    /// A store to a CPU physical address; false where nothing takes it.
    fn mmio_write(&mut self, addr: u64, size: u32, value: u64) -> bool {
        self.fw.mmio_write(addr, size, value)
    }

    /// A word of the OS's system memory (where it keeps buffers devices write to, such
    /// as the Axon MSIC's FIFO); `None` outside memory.
    fn ram_read(&mut self, addr: u64) -> Option<u32> {
        self.fw.ram_read(addr)
    }

    /// Stores a word of system memory; false outside it.
    fn ram_write(&mut self, addr: u64, value: u32) -> bool {
        self.fw.ram_write(addr, value)
    }

    /// The sources the interrupt presentation controller raised since last asked.
    fn take_interrupts(&mut self) -> Vec<u32> {
        self.fw.take_presented()
    }
}

/// The firmware under a kernel.
///
/// # Panics
/// When the kernel was booted on a port other than a [`FirmwarePort`] (a kernel the
/// harness booted always is).
pub fn firmware(k: &Kernel) -> &Firmware {
    let port: &dyn std::any::Any = k.port();
    match port.downcast_ref::<FirmwarePort>() {
        Some(p) => p.firmware(),
        None => unreachable!("a kernel the harness booted runs on a FirmwarePort"),
    }
}

/// The firmware under a kernel, mutable (fault plans, direct inspection in tests).
///
/// # Panics
/// As [`firmware`].
pub fn firmware_mut(k: &mut Kernel) -> &mut Firmware {
    let port: &mut dyn std::any::Any = k.port_mut();
    match port.downcast_mut::<FirmwarePort>() {
        Some(p) => p.firmware_mut(),
        None => unreachable!("a kernel the harness booted runs on a FirmwarePort"),
    }
}

/// The hardware behind an OS device.
pub fn function_of(k: &Kernel, dev: DevId) -> Result<rtas::FnRef, String> {
    let (buid, addr) = (k.devices[dev].buid, k.devices[dev].addr);
    firmware(k)
        .machine
        .find(buid, addr)
        .ok_or_else(|| "the machine has no function there".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtas_calls_go_through_os_memory() {
        let blob = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");
        let tree = of_tree::dtb::read(blob).unwrap();
        let fw = Firmware::new(&tree, &Default::default()).unwrap();
        let mut port = FirmwarePort::new(fw, 0);
        // ibm,read-pci-config of 00:01.0's vendor ID, by QEMU's token 0x2016.
        let mut r = [0i64; 2];
        assert!(port.rtas_call(0x2016, &[0x800, 0x800_0000, 0x2000_0000, 2], &mut r));
        assert_eq!(r[0], 0);
        assert_eq!(r[1], 0x1af4, "virtio's vendor");
        // The buffer is in the port's memory: token, counts, args, outputs.
        assert_eq!(port.mem.read_u32(RTAS_ARGS_AT), Some(0x2016));
        assert_eq!(port.mem.read_u32(RTAS_ARGS_AT + 4 * 8), Some(0x1af4));
        // An unknown token answers -3; a PAPR machine has no direct config access.
        let mut r = [0i64; 1];
        assert!(port.rtas_call(0x7777, &[], &mut r));
        assert_eq!(r[0], -3);
        let buid = 0x0800_0000_2000_0000;
        let addr = PciAddr { bus: 0, devfn: 8 };
        assert_eq!(port.config_read(buid, addr, 0, 2), None);
    }
}
