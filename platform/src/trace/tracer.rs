//! Where the OS's trace events go: kept in the kernel's trace, handed to a sink as they
//! happen, or nowhere (and then none is built).

use super::{Event, Sink};

/// Takes the OS's trace events.
pub trait Tracer {
    /// Whether events are wanted: false, and the OS builds none.
    fn enabled(&self) -> bool;
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

/// Every event handed to a sink as it happens, none kept.
pub struct Stream(pub Sink);

impl Tracer for Stream {
    fn enabled(&self) -> bool {
        true
    }
    fn take(&mut self, e: Event) -> Option<Event> {
        (self.0)(&e);
        None
    }
}

/// The tracer a boot's options ask for: none when tracing is off, else the sink when
/// there is one, else the kernel's trace.
pub fn for_options(trace: bool, sink: Option<Sink>) -> Box<dyn Tracer> {
    match (trace, sink) {
        (false, _) => Box::new(NoTrace),
        (true, Some(s)) => Box::new(Stream(s)),
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
        let mut stream = for_options(
            true,
            Some(Box::new(move |e: &Event| s.borrow_mut().push(e.clone()))),
        );
        assert!(stream.enabled());
        assert_eq!(stream.take(msg("c")), None);
        assert_eq!(*seen.borrow(), vec![msg("c")]);
        // Tracing off wins over a sink.
        let mut off = for_options(false, Some(Box::new(|_: &Event| panic!("no event"))));
        assert_eq!(off.take(msg("d")), None);
    }
}
