//! `pseries-sim call`: executes a raw RTAS call buffer against a machine.

use clap::Args;
use rtas::memory::Memory;
use rtas::{Firmware, MachineConfig, Profile};
use std::path::PathBuf;
use std::process::ExitCode;

/// Loads FILE as OS memory (at address 0x4000) and makes the RTAS call whose buffer
/// starts at --at: big-endian cells token, nargs, nret, args, rets. Prints the outputs
/// as the OS reads them back, the status first. A buffer that does not fit in memory is
/// an error (exit 1).
///
/// Example: pseries-sim call buffer.bin --machine fixtures/qemu/a_default.dtb --at 0
#[derive(Args)]
#[command(about = "Makes one raw RTAS call from a memory image")]
pub struct CallArgs {
    /// The memory image holding the call buffer.
    file: PathBuf,
    /// The machine's tree (DTS or DTB).
    #[arg(long)]
    machine: PathBuf,
    /// Byte offset of the buffer in the image.
    #[arg(long, default_value_t = 0)]
    at: u64,
    /// Firmware behaviour.
    #[arg(long, default_value = "papr")]
    profile: Profile,
    /// The calling partition.
    #[arg(long, default_value_t = 0)]
    partition: u32,
}

/// Makes the call.
pub fn run(a: CallArgs) -> Result<ExitCode, String> {
    let tree = of_tree::read_file(&a.machine).map_err(|e| e.to_string())?;
    let cfg = MachineConfig {
        profile: a.profile,
        pool_size: None,
        bare_metal: false,
    };
    let mut fw = Firmware::new(&tree, &cfg).map_err(|e| format!("{}: {e}", a.machine.display()))?;
    let image = std::fs::read(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    const BASE: u64 = 0x4000;
    let mut mem = Memory::new(BASE, image.len());
    mem.bytes_mut().copy_from_slice(&image);
    let addr = BASE.checked_add(a.at).ok_or("--at is too large")?;
    fw.call_buffer_as(a.partition, &mut mem, addr)
        .map_err(|e| format!("{}: {e}", a.file.display()))?;
    let rec = fw.log.last().ok_or("the firmware logged no call")?;
    super::out::line(format!("{} {:?} -> {:?}", rec.service, rec.args, rec.rets))?;
    Ok(ExitCode::SUCCESS)
}
