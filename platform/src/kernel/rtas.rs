//! RTAS as Linux instantiates it: the services `/rtas` publishes, each by the token its
//! property holds (Linux's `rtas_token`), and calls marshalled through the port.

pub use super::rtas_tokens::*;
use super::Kernel;
use crate::trace::{Event, EventKind};

impl Kernel {
    /// An RTAS call by token, as Linux's `rtas_call` makes it (the trace names the
    /// service the tree gives that token). False when the call could not be made.
    pub fn rtas_by_token(&mut self, token: u32, args: &[u32], out: &mut [i64]) -> bool {
        if !self.port.rtas_call(token, args, out) {
            return false;
        }
        if self.traces(EventKind::Rtas) {
            let service = self
                .rtas
                .as_ref()
                .and_then(|r| r.name_of(token))
                .unwrap_or("(unknown token)")
                .to_string();
            self.emit(Event::Rtas {
                service,
                token,
                args: args.to_vec(),
                rets: out.to_vec(),
            });
        }
        true
    }

    /// The token of a service, if the tree publishes it.
    pub fn rtas_token(&self, service: RtasService) -> Option<u32> {
        self.rtas.as_ref()?.token(service)
    }

    /// An RTAS call of a service by its token, `out.len()` outputs read into `out`
    /// (status signed first). False when the tree publishes no such service.
    pub fn rtas(&mut self, service: RtasService, args: &[u32], out: &mut [i64]) -> bool {
        let Some(token) = self.rtas_token(service) else {
            return false;
        };
        if !self.port.rtas_call(token, args, out) {
            return false;
        }
        if self.traces(EventKind::Rtas) {
            self.emit(Event::Rtas {
                service: service.name.to_string(),
                token,
                args: args.to_vec(),
                rets: out.to_vec(),
            });
        }
        true
    }
}
