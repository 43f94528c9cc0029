//! The boot and scenario trace: every hook call, RTAS call and interrupt mapping, in
//! order, as text or JSON Lines.

mod filter;
pub mod num;
mod rtas_line;
pub mod tracer;

pub use filter::{EventKind, TraceFilter, UnknownEventKind, EVENT_KINDS};
use num::{Dec, Hex};

use serde::Serialize;

/// Where events go as they happen, when they are not kept in memory.
pub type Sink = Box<dyn FnMut(&Event)>;

/// How a trace is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceFormat {
    /// One readable line an event.
    #[default]
    Human,
    /// JSON Lines, one event a line (field `event` names the kind).
    Json,
    /// The firmware's calls as QEMU's `spapr_pci*` trace events.
    Qemu,
}

/// A trace format name that is none of `human`, `json` and `qemu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trace format '{0}': use human, json or qemu")]
pub struct UnknownTraceFormat(pub String);

impl std::str::FromStr for TraceFormat {
    type Err = UnknownTraceFormat;
    fn from_str(s: &str) -> Result<Self, UnknownTraceFormat> {
        match s {
            "human" => Ok(TraceFormat::Human),
            "json" => Ok(TraceFormat::Json),
            "qemu" => Ok(TraceFormat::Qemu),
            o => Err(UnknownTraceFormat(o.to_string())),
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A hook of the ops table ran.
    Hook {
        /// Hook name.
        hook: &'static str,
        /// Machine description.
        machine: &'static str,
        /// What it was called for.
        detail: String,
    },
    /// An RTAS call.
    Rtas {
        /// Service.
        service: String,
        /// The token the OS called it by (from `/rtas`).
        token: u32,
        /// Inputs.
        args: Vec<u32>,
        /// Outputs; status signed.
        rets: Vec<i64>,
    },
    /// A hypervisor call.
    Hcall {
        /// The call's name (LoPAPR's).
        name: String,
        /// Arguments, in register order (R4...).
        args: Vec<u64>,
        /// The status (R3), then R4...
        rets: Vec<i64>,
    },
    /// A message in the words of Linux's pseries debug output.
    Msg {
        /// The text.
        text: String,
    },
    /// A hardware source mapped to an OS interrupt number.
    Map {
        /// Device.
        device: String,
        /// Vector (None: the LSI).
        vector: Option<u32>,
        /// Hardware source.
        source: u32,
        /// OS interrupt number.
        virq: u32,
    },
    /// A mapping disposed of.
    Unmap {
        /// Device.
        device: String,
        /// OS interrupt number.
        virq: u32,
        /// Hardware source it had.
        source: u32,
    },
    /// After a renumbering resume: a virq kept, its source changed.
    Remap {
        /// Device.
        device: String,
        /// Vector.
        vector: u32,
        /// OS interrupt number (unchanged).
        virq: u32,
        /// Source before the suspend.
        old: u32,
        /// Source after the resume.
        new: u32,
    },
    /// A driver's handler ran.
    Handler {
        /// Device.
        device: String,
        /// Vector.
        vector: u32,
        /// OS interrupt number.
        virq: u32,
        /// Times it has run.
        count: u64,
    },
    /// A driver action's result.
    Driver {
        /// Device.
        device: String,
        /// What happened, in words.
        text: String,
        /// The same, field by field.
        #[serde(flatten)]
        detail: DriverDetail,
    },
}

/// A driver action, field by field (what JSON consumers read instead of `text`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DriverDetail {
    /// `request` (MSI/MSI-X), `free`, `unbind`, or `request_irq` (the LSI, or a vector
    /// started after its request).
    pub action: &'static str,
    /// MSI or MSI-X, for a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::kernel::ops::MsiType>,
    /// Vectors asked for, at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Fewest accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Vectors granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<u32>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The virq, for request_irq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virq: Option<u32>,
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Hook {
                hook,
                machine,
                detail,
            } => {
                write!(f, "hook   {machine}.{hook}")?;
                if !detail.is_empty() {
                    write!(f, " {detail}")?;
                }
                Ok(())
            }
            Event::Rtas {
                service,
                args,
                rets,
                ..
            } => rtas_line::write(f, service, args, rets),
            Event::Hcall { name, args, rets } => {
                write!(f, "hcall  {name} [")?;
                for (i, a) in args.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", Hex(*a))?;
                }
                f.write_str("] -> [")?;
                // The status in decimal, R4.. in hex (addresses, flags).
                for (i, r) in rets.iter().enumerate() {
                    match i {
                        0 => write!(f, "{}", Dec(*r))?,
                        _ => write!(f, ", {}", Hex(*r as u64))?,
                    }
                }
                f.write_str("]")
            }
            Event::Msg { text } => write!(f, "msg    {text}"),
            Event::Map {
                device,
                vector,
                source,
                virq,
            } => {
                let (source, virq) = (Hex(*source as u64), Dec(*virq as i64));
                match vector {
                    Some(v) => write!(
                        f,
                        "map    {device} vector {}: source {source} -> virq {virq}",
                        Dec(*v as i64)
                    ),
                    None => write!(f, "map    {device} LSI: source {source} -> virq {virq}"),
                }
            }
            Event::Unmap {
                device,
                virq,
                source,
            } => write!(
                f,
                "unmap  {device} virq {} (source {})",
                Dec(*virq as i64),
                Hex(*source as u64)
            ),
            Event::Handler {
                device,
                vector,
                virq,
                count,
            } => {
                write!(
                    f,
                    "irq    {device} vector {vector} virq {virq}: handler ran ({count})"
                )
            }
            Event::Remap {
                device,
                vector,
                virq,
                old,
                new,
            } => {
                write!(
                    f,
                    "remap  {device} vector {vector} virq {virq}: source {old:#x} -> {new:#x}"
                )
            }
            Event::Driver { device, text, .. } => write!(f, "driver {device}: {text}"),
        }
    }
}

impl TraceFilter {
    /// Whether the trace keeps an event.
    pub fn keeps(&self, e: &Event) -> bool {
        match e {
            Event::Msg { text } => self.keeps_text(text),
            e => self.keeps_kind(e.event_kind()),
        }
    }
}

impl Event {
    /// The event's kind, as its JSON `event` field names it.
    pub fn kind(&self) -> &'static str {
        self.event_kind().name()
    }

    /// The event's kind.
    pub fn event_kind(&self) -> EventKind {
        match self {
            Event::Hook { .. } => EventKind::Hook,
            Event::Rtas { .. } => EventKind::Rtas,
            Event::Hcall { .. } => EventKind::Hcall,
            Event::Msg { .. } => EventKind::Msg,
            Event::Map { .. } => EventKind::Map,
            Event::Unmap { .. } => EventKind::Unmap,
            Event::Remap { .. } => EventKind::Remap,
            Event::Handler { .. } => EventKind::Handler,
            Event::Driver { .. } => EventKind::Driver,
        }
    }

    /// One JSON line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_kinds_and_texts() {
        let f: TraceFilter = "msg:counting,hook".parse().unwrap();
        let msg = |t: &str| Event::Msg { text: t.into() };
        assert!(!f.keeps(&msg("rtas_msi: counting /pci/a")));
        assert!(f.keeps(&msg("rtas_msi: found PE /pci")));
        let hook = Event::Hook {
            hook: "probe",
            machine: "pseries",
            detail: String::new(),
        };
        assert!(!f.keeps(&hook));
        assert!(TraceFilter::default().keeps(&hook));
        // `irq`, as the human trace prints handler events, is the handler kind.
        let handler = Event::Handler {
            device: "d".into(),
            vector: 0,
            virq: 16,
            count: 1,
        };
        assert!(handler.to_string().starts_with("irq "), "{handler}");
        for name in ["irq", "handler"] {
            let f: TraceFilter = name.parse().unwrap();
            assert!(!f.keeps(&handler), "{name}");
            assert!(f.keeps(&hook), "{name}");
        }
        assert!("nope"
            .parse::<TraceFilter>()
            .unwrap_err()
            .to_string()
            .contains("unknown event kind"));
        // kind() names each event as its JSON `event` field does.
        let all = [
            hook,
            Event::Rtas {
                service: "s".into(),
                token: 1,
                args: vec![],
                rets: vec![],
            },
            Event::Hcall {
                name: "h".into(),
                args: vec![],
                rets: vec![],
            },
            msg("m"),
            Event::Map {
                device: "d".into(),
                vector: None,
                source: 1,
                virq: 16,
            },
            Event::Unmap {
                device: "d".into(),
                virq: 16,
                source: 1,
            },
            Event::Remap {
                device: "d".into(),
                vector: 0,
                virq: 16,
                old: 1,
                new: 2,
            },
            Event::Handler {
                device: "d".into(),
                vector: 0,
                virq: 16,
                count: 1,
            },
            Event::Driver {
                device: "d".into(),
                text: "t".into(),
                detail: DriverDetail {
                    action: "request",
                    got: Some(3),
                    ..Default::default()
                },
            },
        ];
        for (e, k) in all.iter().zip(EVENT_KINDS) {
            let j: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
            assert_eq!((j["event"].as_str(), e.kind()), (Some(*k), *k));
        }
    }
}
