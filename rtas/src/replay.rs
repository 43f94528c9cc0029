//! Replaying a call log against a fresh machine and comparing every output.

use crate::calllog::CallRecord;
use crate::firmware::Firmware;
use crate::service::Service;

/// A call whose outputs differ from the log's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Line in the log, from 1.
    pub line: usize,
    /// The call as logged.
    pub expected: CallRecord,
    /// What the outputs were here (`None`: the machine has no such service).
    pub got: Option<Vec<i64>>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.expected;
        match &self.got {
            Some(g) => write!(
                f,
                "line {}: {} {:?}: expected {:?}, got {:?}",
                self.line, e.service, e.args, e.rets, g
            ),
            None => write!(
                f,
                "line {}: {} {:?}: expected {:?}, got: the machine has no such service",
                self.line, e.service, e.args, e.rets
            ),
        }
    }
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Calls replayed.
    pub calls: usize,
    /// Calls whose outputs matched.
    pub identical: usize,
    /// The others.
    pub differences: Vec<Difference>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "replayed {} calls: {} identical, {} differ",
            self.calls,
            self.identical,
            self.differences.len()
        )
    }
}

/// Makes every call of `log` in order (nargs = args, nret = rets, outputs zeroed
/// first) and compares the outputs with the log's.
pub fn replay(fw: &mut Firmware, log: &[CallRecord]) -> Report {
    let mut rep = Report::default();
    for (i, rec) in log.iter().enumerate() {
        rep.calls += 1;
        let token = Service::from_name(&rec.service).and_then(|s| fw.tokens.token(s));
        let got = token.and_then(|t| fw.call_token(t, &rec.args, rec.rets.len()).ok());
        let got =
            got.map(|cells| CallRecord::new(rec.service.clone(), rec.args.clone(), &cells).rets);
        if got.as_ref() == Some(&rec.rets) {
            rep.identical += 1;
        } else {
            rep.differences.push(Difference {
                line: i + 1,
                expected: rec.clone(),
                got,
            });
        }
    }
    rep
}
