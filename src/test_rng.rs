//! Choices for the unit tests that make random edits and mutations. The choices are a
//! list that proptest generates ([`picks`]), so a failing sequence shrinks to fewer and
//! smaller choices (0 is always the first option) instead of being a seed to replay.

use proptest::prelude::*;

/// A source of choices: the picks in order, then zeros.
pub struct Rng {
    picks: Vec<u32>,
    at: usize,
}

impl Rng {
    /// Choices from these picks.
    pub fn new(picks: Vec<u32>) -> Rng {
        Rng { picks, at: 0 }
    }

    /// A number in `0..n` (0 when `n` is 0 or the picks have run out).
    pub fn below(&mut self, n: usize) -> usize {
        let p = self.picks.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        p as usize % n.max(1)
    }
}

/// Between `len / 2` and `len` picks.
pub fn picks(len: usize) -> impl Strategy<Value = Vec<u32>> {
    proptest::collection::vec(any::<u32>(), len / 2..=len)
}
