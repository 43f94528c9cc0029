//! Which events a trace leaves out, decided before an event is built: by its kind, and
//! for messages by a text they contain.

/// The kinds an event can be, as its JSON `event` field names them.
pub const EVENT_KINDS: &[&str] = &[
    "hook", "rtas", "hcall", "msg", "map", "unmap", "remap", "handler", "driver",
];

/// The kind of an event, known before the event is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A hook of the ops table ran.
    Hook,
    /// An RTAS call.
    Rtas,
    /// A hypervisor call.
    Hcall,
    /// A message in Linux's words.
    Msg,
    /// A source mapped to a virq.
    Map,
    /// A mapping disposed of.
    Unmap,
    /// A virq's source changed at a renumbering resume.
    Remap,
    /// A driver's handler ran (`irq` in the human trace).
    Handler,
    /// A driver action's result.
    Driver,
}

impl EventKind {
    /// Every kind, in the order of [`EVENT_KINDS`].
    pub const ALL: [EventKind; 9] = [
        EventKind::Hook,
        EventKind::Rtas,
        EventKind::Hcall,
        EventKind::Msg,
        EventKind::Map,
        EventKind::Unmap,
        EventKind::Remap,
        EventKind::Handler,
        EventKind::Driver,
    ];

    /// The kind's name, as the JSON `event` field and `--trace-filter` spell it.
    pub fn name(self) -> &'static str {
        EVENT_KINDS[self as usize]
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// Which events a trace leaves out: kinds (`hook`, `rtas`, `hcall`, `msg`, `map`,
/// `unmap`, `remap`, `handler`, `driver`; `irq` too, as the human trace names handler
/// events) and messages containing a text (`msg:TEXT`), comma-separated:
/// `msg:rtas_msi: counting,hook`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceFilter {
    /// The kinds left out, one bit each (`1 << kind`).
    kinds: u16,
    texts: Vec<String>,
}

/// A trace filter item that is neither an event kind nor `msg:TEXT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind '{0}': use {kinds} or msg:TEXT", kinds = kind_names())]
pub struct UnknownEventKind(pub String);

/// The kinds as a filter takes them, `irq` beside `handler`.
fn kind_names() -> String {
    EVENT_KINDS
        .iter()
        .map(|k| match *k {
            "handler" => "handler (or irq)",
            k => k,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for TraceFilter {
    type Err = UnknownEventKind;
    fn from_str(s: &str) -> Result<Self, UnknownEventKind> {
        let mut f = TraceFilter::default();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            // The human trace prints handler events as `irq` lines: either name works.
            let item = if item == "irq" { "handler" } else { item };
            if let Some(text) = item.strip_prefix("msg:") {
                f.texts.push(text.to_string());
            } else if let Some(k) = EventKind::ALL.iter().find(|k| k.name() == item) {
                f.kinds |= k.bit();
            } else {
                return Err(UnknownEventKind(item.to_string()));
            }
        }
        Ok(f)
    }
}

impl TraceFilter {
    /// Whether events of a kind may be kept (messages then by their text).
    pub fn keeps_kind(&self, kind: EventKind) -> bool {
        self.kinds & kind.bit() == 0
    }

    /// Whether a message of this text is kept. A text contained in `text` is contained
    /// in every longer text that begins with it: false for the fixed head of a message
    /// is false for the whole message, which need not be built.
    pub fn keeps_text(&self, text: &str) -> bool {
        self.keeps_kind(EventKind::Msg) && !self.texts.iter().any(|t| text.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_texts_decide_before_an_event_exists() {
        let f: TraceFilter = "msg:counting,hook".parse().unwrap();
        assert!(!f.keeps_kind(EventKind::Hook));
        assert!(f.keeps_kind(EventKind::Msg) && f.keeps_kind(EventKind::Rtas));
        // A head that holds the text drops every message that begins with it.
        assert!(!f.keeps_text("rtas_msi: counting "));
        assert!(f.keeps_text("rtas_msi: found PE "));
        let none: TraceFilter = "msg".parse().unwrap();
        assert!(!none.keeps_text("anything"));
        for (k, name) in EventKind::ALL.iter().zip(EVENT_KINDS) {
            assert_eq!(k.name(), *name);
            let only: TraceFilter = name.parse().unwrap();
            for other in EventKind::ALL {
                assert_eq!(only.keeps_kind(other), other != *k, "{name} {other:?}");
            }
        }
        assert_eq!(
            "irq".parse::<TraceFilter>(),
            "handler".parse::<TraceFilter>()
        );
        assert!(TraceFilter::default().keeps_text(""));
    }
}
