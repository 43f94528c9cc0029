//! The scenario commands, and the words they are made of (numbers, devices, paths),
//! as nom parsers every part of the grammar shares.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, map_res};
use nom::sequence::{preceded, tuple};
use nom::IResult;
use platform::ops::MsiType;
use rtas::Profile;

/// One command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `machine PATH`
    Machine(String),
    /// `profile qemu|papr`
    Profile(Profile),
    /// `cas xics|xive|auto`: what the OS asks for at client-architecture-support.
    Cas(platform::kernel::prom_init::CasRequest),
    /// `negotiate ims on|off`: whether the OS asks the hypervisor for the new interrupt
    /// scheme at boot (default off, as an older guest).
    NegotiateIms(bool),
    /// `negotiate change-msi-busy on|off`: whether the OS says at
    /// client-architecture-support (option vector 4) that it handles busy and
    /// extended-delay answers from `ibm,change-msi` (default off, as Linux).
    NegotiateMsiBusy(bool),
    /// `boot`
    Boot,
    /// `request DEV msix|msi N [min M] [start K]`
    Request {
        /// Device name.
        dev: String,
        /// Kind.
        kind: MsiType,
        /// Vectors asked for.
        n: u32,
        /// Fewest accepted.
        min: u32,
        /// Vectors the driver starts (request_irq on the first K); None: all it holds.
        start: Option<u32>,
    },
    /// `free DEV`
    Free(String),
    /// `unbind DEV`: the driver detaches from the device; its vectors are freed and the
    /// kernel releases the device's MSI state.
    Unbind(String),
    /// `start DEV V|all`: the driver starts (request_irq) vector V of those it holds,
    /// or every one not yet started (None), after its request.
    Start(String, Option<u32>),
    /// `fire DEV V`
    Fire(String, u32),
    /// `expect rtas-log PATH`
    ExpectRtasLog(String),
    /// `suspend`
    Suspend,
    /// `resume keep|renumber`
    Resume(platform::ops::ResumeMode),
    /// `save PATH`: the firmware state to a file.
    Save(String),
    /// `restore PATH`: the firmware state from a file.
    Restore(String),
    /// `expect virqs-stable`
    ExpectVirqsStable,
    /// `expect sources-changed`
    ExpectSourcesChanged,
    /// `expect granted DEV N`: the driver holds N vectors.
    ExpectGranted(String, u32),
    /// `expect request-fails DEV`: the request just made for DEV failed.
    ExpectRequestFails(String),
    /// `expect fires DEV V`: vector V of DEV reaches its handler.
    ExpectFires(String, u32),
    /// `expect controller xics|xive`: the interrupt mode negotiated.
    ExpectController(rtas::cas::IntcMode),
    /// `eeh freeze DEV`: the device makes an error that freezes its PE.
    EehFreeze(String),
    /// `eeh recover DEV`: the OS's EEH recovery of the device.
    EehRecover(String),
    /// `expect frozen DEV`: the device's PE is frozen.
    ExpectFrozen(String),
    /// `fault SERVICE KIND [after N] [times M]`: what the firmware answers at a call.
    Fault(rtas::faults::FaultRule),
    /// `hotplug add DEV FILE`: QEMU's `device_add` of the function FILE (a DTS)
    /// describes, then the OS's addition.
    HotplugAdd {
        /// Where: `DDDD:BB:DD.F`.
        dev: String,
        /// The DTS, relative to the scenario file.
        file: String,
    },
    /// `hotplug remove DEV`: QEMU's `device_del`, then the OS's removal.
    HotplugRemove(String),
}

impl Command {
    /// The device the line names, one that must exist when it runs (`hotplug add`
    /// names the device it adds: see [`Command::added`]).
    pub fn device(&self) -> Option<&str> {
        match self {
            Command::Request { dev, .. }
            | Command::Free(dev)
            | Command::Unbind(dev)
            | Command::Start(dev, _)
            | Command::Fire(dev, _)
            | Command::ExpectGranted(dev, _)
            | Command::ExpectRequestFails(dev)
            | Command::ExpectFires(dev, _)
            | Command::EehFreeze(dev)
            | Command::EehRecover(dev)
            | Command::ExpectFrozen(dev)
            | Command::HotplugRemove(dev) => Some(dev),
            _ => None,
        }
    }

    /// The device a `hotplug add` line adds.
    pub fn added(&self) -> Option<&str> {
        match self {
            Command::HotplugAdd { dev, .. } => Some(dev),
            _ => None,
        }
    }
}

/// A command and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Line, from 1.
    pub line: usize,
    /// The command.
    pub cmd: Command,
    /// Column (from 1) of the device the command names; 1 when it names none.
    pub dev_col: usize,
}

pub(super) type R<'a, T> = IResult<&'a str, T>;

pub(super) fn number(i: &str) -> R<'_, u32> {
    alt((
        map_res(
            preceded(tag("0x"), take_while1(|c: char| c.is_ascii_hexdigit())),
            |h| u32::from_str_radix(h, 16),
        ),
        map_res(digit1, str::parse::<u32>),
    ))(i)
}

fn hex<'a>(n: usize) -> impl FnMut(&'a str) -> R<'a, &'a str> {
    take_while_m_n(n, n, |c: char| c.is_ascii_hexdigit())
}

/// A device: a PCI function `DDDD:BB:DD.F`, or a non-PCI MSI device by its node path
/// (`/hpet@f0000000`).
pub(super) fn device(i: &str) -> R<'_, String> {
    alt((pci_device, node_path))(i)
}

/// `/node@unit/...`: a node path.
fn node_path(i: &str) -> R<'_, String> {
    map(
        nom::combinator::recognize(nom::sequence::pair(
            char('/'),
            take_till1(|c: char| c.is_whitespace() || c == '#'),
        )),
        str::to_string,
    )(i)
}

/// `DDDD:BB:DD.F`
fn pci_device(i: &str) -> R<'_, String> {
    map(
        tuple((
            hex(4),
            char(':'),
            hex(2),
            char(':'),
            hex(2),
            char('.'),
            take_while_m_n(1, 1, |c: char| ('0'..='7').contains(&c)),
        )),
        |(d, _, b, _, s, _, f)| {
            format!(
                "{}:{}:{}.{}",
                d.to_lowercase(),
                b.to_lowercase(),
                s.to_lowercase(),
                f
            )
        },
    )(i)
}

pub(super) fn path(i: &str) -> R<'_, String> {
    map(
        take_till1(|c: char| c.is_whitespace() || c == '#'),
        str::to_string,
    )(i)
}
