//! Fault injection: a plan, empty by default, that makes chosen calls fail so that an
//! OS's retry code can be tested.

use crate::service::Service;
use serde::{Deserialize, Serialize};

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Answer -2 (busy); change-msi completes on the continuation.
    Busy,
    /// Answer 9900 + n (extended delay, n in 0..=5).
    Delay(u8),
    /// Answer -1 and change nothing.
    HwError,
    /// change-msi grants at most this many vectors (status 0).
    Fewer(u32),
    /// Answer this status and change nothing (any call: a vendor or call-specific
    /// error such as one of `ibm,configure-connector`'s).
    Status(i32),
}

/// One rule: after `skip` calls of `service`, the next `times` calls get `fault`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The service.
    pub service: Service,
    /// Calls let through first.
    pub skip: u32,
    /// Calls that get the fault.
    pub times: u32,
    /// The fault.
    pub fault: Fault,
    seen: u32,
}

impl FaultRule {
    /// A rule.
    pub fn new(service: Service, skip: u32, times: u32, fault: Fault) -> Self {
        FaultRule {
            service,
            skip,
            times,
            fault,
            seen: 0,
        }
    }
}

/// The plan: rules checked in order; the first that fires wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules.
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// Adds a rule.
    pub fn add(&mut self, rule: FaultRule) -> &mut Self {
        self.rules.push(rule);
        self
    }

    /// Counts a call of `service` that a fault of this kind may hit; the fault, if one
    /// fires. `busy_ok` is false for calls that must never be busy.
    pub fn take(&mut self, service: Service, busy_ok: bool) -> Option<Fault> {
        let mut fired = None;
        for r in self.rules.iter_mut().filter(|r| r.service == service) {
            let eligible = busy_ok || !matches!(r.fault, Fault::Busy | Fault::Delay(_));
            if !eligible {
                continue;
            }
            r.seen += 1;
            if fired.is_none() && r.seen > r.skip && r.seen <= r.skip + r.times {
                fired = Some(r.fault);
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_then_times() {
        let mut p = FaultPlan::default();
        p.add(FaultRule::new(Service::ChangeMsi, 1, 2, Fault::Busy));
        assert_eq!(p.take(Service::ChangeMsi, true), None);
        assert_eq!(
            p.take(Service::ChangeMsi, false),
            None,
            "busy never hits an ineligible call"
        );
        assert_eq!(p.take(Service::QueryInterruptSourceNumber, true), None);
        assert_eq!(p.take(Service::ChangeMsi, true), Some(Fault::Busy));
        assert_eq!(p.take(Service::ChangeMsi, true), Some(Fault::Busy));
        assert_eq!(p.take(Service::ChangeMsi, true), None);
    }
}
