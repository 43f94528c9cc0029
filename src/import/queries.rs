//! Source-number queries: QEMU's trace names the vector and the source, not the
//! device; the source is in the block QEMU traced for the device's change-msi (first +
//! vector), else the query is the one device's that is querying.

use super::assemble::{lines_of, Assembler, Call, Phase};
use super::dev::Dev;
use super::error::ImportError;

impl Assembler {
    pub(super) fn query(&mut self, line: usize, vector: u32, irq: u32) -> Result<(), ImportError> {
        // QEMU answers first + vector from the device's block.
        let holders: Vec<Dev> = self
            .blocks
            .iter()
            .filter(|(_, &(first, count))| irq >= first && irq - first == vector && vector < count)
            .map(|(d, _)| *d)
            .collect();
        let dev = match holders.as_slice() {
            [d] => *d,
            _ => match self.waiting(&[Phase::Query]).as_slice() {
                [(d, _)] => *d,
                [] => {
                    return Err(ImportError {
                        line,
                        msg: "a query with no device named before it".into(),
                    })
                }
                many => {
                    return Err(ImportError {
                        line,
                        msg: format!(
                            "source {irq} is in no block the firmware traced, and this query could be for {}",
                            lines_of(many).replace(", ", " or ")
                        ),
                    })
                }
            },
        };
        let st = self.state(dev, line);
        st.queries = vector.saturating_add(1);
        st.last = line;
        if st.phase == Some(Phase::Query) && st.queries >= st.granted {
            st.phase = None;
        }
        let action = st.action;
        self.push(Call {
            pos: line,
            dev,
            query: true,
            tail: vec![vector],
            rets: vec![0, irq, 1],
            action,
        });
        Ok(())
    }

    pub(super) fn failed_query(
        &mut self,
        line: usize,
        cfg: Option<u32>,
    ) -> Result<(), ImportError> {
        let candidates: Vec<(Dev, usize)> = self
            .waiting(&[Phase::Query])
            .into_iter()
            .filter(|(d, _)| cfg.is_none_or(|c| c == d.config_addr()))
            .collect();
        let dev = match candidates.as_slice() {
            [(d, _)] => *d,
            [] => {
                return Err(ImportError {
                    line,
                    msg: "a failed query with no device named before it".into(),
                })
            }
            many => {
                return Err(ImportError {
                    line,
                    msg: format!(
                        "this failed query could be for {}",
                        lines_of(many).replace(", ", " or ")
                    ),
                })
            }
        };
        let st = self.state(dev, line);
        let vector = st.queries;
        st.last = line;
        let action = st.action;
        self.notes.push(format!(
            "line {line}: a failed query; its vector number inferred as {vector}"
        ));
        self.push(Call {
            pos: line,
            dev,
            query: true,
            tail: vec![vector],
            rets: vec![(-1i32) as u32, 0, 0],
            action,
        });
        Ok(())
    }
}
