//! Seeded randomness for tests: one small generator, so a failing run can
//! be replayed from the seed it prints, and the tokens fixtures plant.

/// SplitMix64: a tiny seeded PRNG so a failing run can be replayed.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A classic GitHub token with a valid checksum and a random part derived
/// from `seed`: each file of a fixture holds a token of its own, so a
/// finding can be traced to the file that holds it.
pub fn token(seed: u64) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = Rng::new(seed);
    let random: String = (0..30)
        .map(|_| char::from(BASE62[rng.below(62) as usize]))
        .collect();
    bscred::token::classic_for_tests("ghp_", &random)
}
