//! Where the OS's trace events go: kept in the kernel's trace, handed to a sink as they
//! happen, or nowhere; and which are wanted, asked before one is built.

use super::{Event, EventKind, Sink, TraceFilter};

/// Takes the OS's trace events.
pub trait Tracer {
    /// Whether any event is wanted: false, and the OS builds none.
    fn enabled(&self) -> bool;
    /// Whether events of a kind are wanted: false, and the OS builds none of them.
    fn wants(&self, kind: EventKind) -> bool {
        let _ = kind;
        self.enabled()
    }
    /// Whether a message that begins with `head` may be wanted: false, and the OS does
    /// not build it.
    fn wants_msg(&self, head: &str) -> bool {
        let _ = head;
        self.wants(EventKind::Msg)
    }
    /// Takes an event; one it hands back is kept in the kernel's trace.
    fn take(&mut self, e: Event) -> Option<Event>;
}

/// No trace: events are neither built nor kept.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl Tracer for NoTrace {
    fn enabled(&self) -> bool {
        false
    }
    fn take(&mut self, _e: Event) -> Option<Event> {
        None
    }
}

/// Every event kept in the kernel's trace.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeepAll;

impl Tracer for KeepAll {
    fn enabled(&self) -> bool {
        true
    }
    fn take(&mut self, e: Event) -> Option<Event> {
        Some(e)
    }
}

/// Every event a filter keeps handed to a sink as it happens, none kept; the events it
/// leaves out are not built.
pub struct Stream {
    sink: Sink,
    filter: TraceFilter,
}

impl Stream {
    /// Every event to `sink`.
    pub fn new(sink: Sink) -> Stream {
        Stream::filtered(sink, TraceFilter::default())
    }

    /// The events `filter` keeps to `sink`.
    pub fn filtered(sink: Sink, filter: TraceFilter) -> Stream {
        Stream { sink, filter }
    }
}

impl Tracer for Stream {
    fn enabled(&self) -> bool {
        true
    }
    fn wants(&self, kind: EventKind) -> bool {
        self.filter.keeps_kind(kind)
    }
    fn wants_msg(&self, head: &str) -> bool {
        self.filter.keeps_text(head)
    }
    fn take(&mut self, e: Event) -> Option<Event> {
        if self.filter.keeps(&e) {
            (self.sink)(&e);
        }
        None
    }
}

/// The tracer a boot's options ask for: none when tracing is off, else the one given,
/// else the kernel's trace.
pub fn for_options(trace: bool, given: Option<Box<dyn Tracer>>) -> Box<dyn Tracer> {
    match (trace, given) {
        (false, _) => Box::new(NoTrace),
        (true, Some(t)) => t,
        (true, None) => Box::new(KeepAll),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn msg(t: &str) -> Event {
        Event::Msg { text: t.into() }
    }

    #[test]
    fn each_tracer_keeps_streams_or_drops() {
        let mut none = for_options(false, None);
        assert!(!none.enabled());
        assert_eq!(none.take(msg("a")), None);
        let mut keep = for_options(true, None);
        assert!(keep.enabled());
        assert_eq!(keep.take(msg("b")), Some(msg("b")));
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let sink: Sink = Box::new(move |e: &Event| s.borrow_mut().push(e.clone()));
        let mut stream = for_options(true, Some(Box::new(Stream::new(sink))));
        assert!(stream.enabled());
        assert_eq!(stream.take(msg("c")), None);
        assert_eq!(*seen.borrow(), vec![msg("c")]);
        // Tracing off wins over a sink.
        let panics: Sink = Box::new(|_: &Event| panic!("no event"));
        let mut off = for_options(false, Some(Box::new(Stream::new(panics))));
        assert_eq!(off.take(msg("d")), None);
    }

    #[test]
    fn a_filtered_stream_says_what_it_leaves_out_before_it_is_built() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let sink: Sink = Box::new(move |e: &Event| s.borrow_mut().push(e.clone()));
        let filter: TraceFilter = "msg:counting,rtas".parse().unwrap();
        let mut t = Stream::filtered(sink, filter);
        assert!(t.enabled());
        assert!(!t.wants(EventKind::Rtas));
        assert!(t.wants(EventKind::Msg) && t.wants(EventKind::Map));
        assert!(!t.wants_msg("rtas_msi: counting "));
        assert!(t.wants_msg("rtas_msi: found PE "));
        // What is built anyway is still left out.
        t.take(msg("rtas_msi: counting /pci@0/a"));
        t.take(msg("rtas_msi: found PE /pci@0"));
        assert_eq!(*seen.borrow(), vec![msg("rtas_msi: found PE /pci@0")]);
        // The tracers without a filter want everything they take.
        assert!(KeepAll.wants(EventKind::Rtas) && KeepAll.wants_msg("rtas_msi: counting "));
        assert!(!NoTrace.wants(EventKind::Msg) && !NoTrace.wants_msg(""));
    }
}
