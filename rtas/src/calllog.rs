//! The log of RTAS calls, in the JSON Lines form of real guests' logs:
//! `{"service":"ibm,change-msi","args":[...],"rets":[...]}`, `rets[0]` signed.

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// One call: service name, input cells, output cells as the OS read them back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Service name (or `token:0x...` for a token no service has).
    pub service: String,
    /// Input cells.
    pub args: Vec<u32>,
    /// Output cells; the status first, signed.
    pub rets: Vec<i64>,
}

impl CallRecord {
    /// A record from raw cells: the first output is shown signed.
    pub fn new(service: impl Into<String>, args: Vec<u32>, rets: &[u32]) -> Self {
        let rets = rets
            .iter()
            .enumerate()
            .map(|(i, &r)| if i == 0 { r as i32 as i64 } else { r as i64 })
            .collect();
        CallRecord {
            service: service.into(),
            args,
            rets,
        }
    }

    /// The output cells as the OS sees them in memory.
    pub fn ret_cells(&self) -> Vec<u32> {
        self.rets.iter().map(|&r| r as u32).collect()
    }

    /// One JSON line.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Writes records as JSON Lines.
pub fn to_jsonl(records: &[CallRecord]) -> String {
    let mut s = String::new();
    for r in records {
        s.push_str(&r.to_json());
        s.push('\n');
    }
    s
}

/// Reads JSON Lines; blank lines are skipped. Errors name the line.
pub fn from_jsonl(text: &str) -> Result<Vec<CallRecord>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: CallRecord = serde_json::from_str(line).map_err(|e| {
            // serde_json appends " at line 1 column C" (its line is always 1 here).
            let text = e.to_string();
            let msg = match text.rfind(" at line ") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            Error::Log {
                line: i + 1,
                column: Some(e.column()),
                msg,
            }
        })?;
        for (k, &r) in rec.rets.iter().enumerate() {
            let ok = if k == 0 {
                (i32::MIN as i64..=u32::MAX as i64).contains(&r)
            } else {
                (0..=u32::MAX as i64).contains(&r) || (i32::MIN as i64..0).contains(&r)
            };
            if !ok {
                return Err(Error::Log {
                    line: i + 1,
                    column: None,
                    msg: format!("rets[{k}] = {r} does not fit a 32-bit cell"),
                });
            }
        }
        out.push(rec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_signed_status() {
        let r = CallRecord::new(
            "ibm,change-msi",
            vec![2048, 1, 2, 3, 0, 1],
            &[(-3i32) as u32, 0, 0, 0],
        );
        assert_eq!(
            r.to_json(),
            r#"{"service":"ibm,change-msi","args":[2048,1,2,3,0,1],"rets":[-3,0,0,0]}"#
        );
        let back = from_jsonl(&format!("{}\n\n", r.to_json())).unwrap();
        assert_eq!(back, vec![r.clone()]);
        assert_eq!(r.ret_cells()[0], 0xffff_fffd);
        let e = from_jsonl("{}\n{\"service\":1}").unwrap_err().to_string();
        assert!(e.starts_with("line 1, column 2: missing field"), "{e}");
        let e2 = from_jsonl(&format!("{}\n{{\"service\":\"x", r.to_json()))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(" at line "), "{e}");
        assert!(
            e2.starts_with("line 2, column 13: EOF while parsing a string"),
            "{e2}"
        );
        assert!(from_jsonl(r#"{"service":"x","args":[],"rets":[99999999999]}"#).is_err());
    }
}
