//! `pseries-sim call`: executes a raw RTAS call buffer against a machine.

use clap::Args;
use rtas::memory::Memory;
use rtas::{Firmware, MachineConfig, Profile};
use std::path::PathBuf;
use std::process::ExitCode;

/// Loads FILE as OS memory (at address 0x4000) and makes the RTAS call whose buffer
/// starts at --at; or, with --service, builds that buffer itself: the service by name
/// (its token from the tree's /rtas) or token, the inputs from --args. Prints the
/// outputs as the OS reads them back, the status first. A buffer that does not fit in
/// memory is an error (exit 1).
///
/// Example: pseries-sim call buffer.bin --machine fixtures/qemu/a_default.dtb --at 0x10
/// Example: pseries-sim call --service ibm,change-msi --args 2048,0x8000000,0x20000000,3,0,1 --machine fixtures/linux-guest/qemu-initial.dtb
///
/// The call buffer, big-endian 32-bit cells from --at:
///
///   token                   the service (its value under the tree's /rtas)
///   nargs                   the number of inputs
///   nret                    the number of outputs
///   arg 1 ... arg nargs     the inputs
///   ret 1 ... ret nret      the outputs, which the firmware writes; ret 1 is the status
///
/// --args, the inputs of a --service call:
///
///   ARG[,ARG]...            each a cell, hex (0x...) or decimal; no field may be empty
///   (empty, the default)    no inputs
#[derive(Args)]
#[command(
    about = "Makes one raw RTAS call from a memory image",
    verbatim_doc_comment
)]
pub struct CallArgs {
    /// The memory image holding the call buffer (not with --service).
    #[arg(required_unless_present = "service", conflicts_with = "service")]
    file: Option<PathBuf>,
    /// The service to call: its name under /rtas, or a token (hex or decimal).
    #[arg(long)]
    service: Option<String>,
    /// The inputs, comma-separated, hex (0x...) or decimal.
    #[arg(long, requires = "service", default_value = "")]
    args: String,
    /// Outputs asked for (default: the service's count in LoPAPR, else 1).
    #[arg(long, requires = "service")]
    nret: Option<u32>,
    /// The machine's tree (DTS or DTB).
    #[arg(long)]
    machine: PathBuf,
    /// Byte offset of the buffer in the image, hex (0x...) or decimal.
    #[arg(long, default_value = "0", value_parser = number::<u64>)]
    at: u64,
    /// Firmware behaviour.
    #[arg(long, default_value = "papr", value_parser = super::choices::profile())]
    profile: Profile,
    /// The calling partition.
    #[arg(long, default_value_t = 0)]
    partition: u32,
}

/// A number in hex (`0x`) or decimal.
fn number<T: TryFrom<u64>>(s: &str) -> Result<T, String> {
    let t = s.trim();
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse::<u64>(),
    }
    .map_err(|_| format!("'{s}' is not a number (hex 0x... or decimal)"))?;
    T::try_from(v).map_err(|_| format!("'{s}' is too large"))
}

/// The cells of `--args`: none when it is empty, else one for each comma-separated field.
fn inputs(list: &str) -> Result<Vec<u32>, String> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    let fields = list.split(',').enumerate();
    fields
        .map(|(i, f)| match f.trim() {
            "" => Err(format!("field {} of '{list}' is empty", i + 1)),
            _ => number::<u32>(f),
        })
        .collect()
}

/// LoPAPR's output count of the services the OS calls.
fn default_nret(service: &str) -> u32 {
    match service {
        "ibm,change-msi" => 4,
        "ibm,query-interrupt-source-number" | "ibm,get-xive" => 3,
        "ibm,read-pci-config" | "read-pci-config" => 2,
        _ => 1,
    }
}

/// The call buffer a --service call makes, as memory from 0; --args that are not
/// numbers are a usage error.
fn buffer(a: &CallArgs, tree: &of_tree::Tree) -> Result<Vec<u8>, super::Error> {
    let service = a.service.as_deref().unwrap_or_default();
    let token = match number::<u32>(service) {
        Ok(t) => t,
        Err(_) => {
            let rtas = tree
                .find("/rtas")
                .map_err(|_| "the tree has no /rtas node".to_string())?;
            tree.at(rtas).u32(service).ok().flatten().ok_or_else(|| {
                format!("--service {service}: the tree's /rtas has no such service")
            })?
        }
    };
    let args = inputs(&a.args).map_err(|e| super::Error::Usage(format!("--args: {e}")))?;
    // The service's name, also when it was given by token.
    let name = tree
        .find("/rtas")
        .ok()
        .and_then(|r| {
            tree.node(r)
                .props
                .iter()
                .find(|p| p.value.as_slice() == token.to_be_bytes())
                .map(|p| p.name().to_string())
        })
        .unwrap_or_else(|| service.to_string());
    let nret = a.nret.unwrap_or_else(|| default_nret(&name));
    let mut cells = vec![token, args.len() as u32, nret];
    cells.extend(&args);
    cells.extend(std::iter::repeat_n(0, nret as usize));
    Ok(cells.iter().flat_map(|c| c.to_be_bytes()).collect())
}

/// Makes the call.
pub fn run(a: CallArgs) -> Result<ExitCode, super::Error> {
    let tree = super::files::read_tree(&a.machine)?;
    let cfg = MachineConfig {
        profile: a.profile,
        pool_size: None,
        bare_metal: false,
    };
    let mut fw =
        Firmware::new(&tree, &cfg).map_err(|e| super::files::about(Some(&a.machine), e))?;
    let (image, what) = match &a.file {
        Some(f) => (super::files::read(f)?, super::files::name(f)),
        None => (buffer(&a, &tree)?, "--service".to_string()),
    };
    if image.is_empty() {
        return Err(format!(
            "{what}: the memory image is empty: it holds no call buffer (token, nargs, nret, args, rets)"
        )
        .into());
    }
    const BASE: u64 = 0x4000;
    let mut mem = Memory::new(BASE, image.len());
    mem.bytes_mut().copy_from_slice(&image);
    let addr = BASE
        .checked_add(a.at)
        .ok_or_else(|| super::Error::Usage("--at is too large".into()))?;
    fw.call_buffer_as(a.partition, &mut mem, addr)
        .map_err(|e| format!("{what}: {e}"))?;
    let rec = fw.log.last().ok_or("the firmware logged no call")?;
    super::out::line(format!("{} {:?} -> {:?}", rec.service, rec.args, rec.rets))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::inputs;

    #[test]
    fn an_empty_field_is_refused_by_its_position() {
        assert_eq!(inputs(""), Ok(vec![]));
        assert_eq!(inputs("2048, 0x10"), Ok(vec![2048, 16]));
        assert_eq!(
            inputs("2048,,3"),
            Err("field 2 of '2048,,3' is empty".to_string())
        );
        assert_eq!(inputs("1,"), Err("field 2 of '1,' is empty".to_string()));
        assert!(inputs(",1").unwrap_err().starts_with("field 1 "));
    }
}
