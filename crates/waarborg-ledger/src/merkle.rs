//! The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1: hashing,
//! inclusion and consistency proofs, and their verification.
//!
//! Leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right); the tree
//! over n leaves splits at the largest power of two smaller than n. [`Tree`] keeps every
//! complete subtree's hash (about two hashes per leaf), so roots and proofs for any earlier
//! size cost O(log² n) hashes at most.

use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// SHA-256 of the empty string: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 leaf hash of an entry's bytes.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// RFC 9162 interior node hash.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The requested sizes or index make no proof (e.g. index beyond the tree).
    #[error("no such proof: {0}")]
    OutOfRange(String),
    /// The proof does not lead to the expected root(s).
    #[error("the proof does not verify: {0}")]
    Mismatch(&'static str),
}

/// All complete subtrees of the leaves appended so far.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[l][i]` is the hash of leaves `i·2^l .. (i+1)·2^l`.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels
            .first()?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Drops leaves beyond `size` (used when a write fails and must not be counted).
    pub fn truncate(&mut self, size: u64) {
        let mut width = size;
        for level in &mut self.levels {
            level.truncate(width as usize);
            width /= 2;
        }
        while self.levels.last().is_some_and(Vec::is_empty) && self.levels.len() > 1 {
            self.levels.pop();
        }
    }

    /// Hash of leaves `start..end` (RFC 9162 MTH of that range). `end > start`, and `start`
    /// is aligned as the recursive definition guarantees.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start / n) as usize];
        }
        let k = split_point(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The root hash of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::OutOfRange(format!(
                "size {size} beyond the tree's {}",
                self.size()
            )));
        }
        Ok(if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    /// RFC 9162 inclusion proof (PATH) of leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if index >= size || size > self.size() {
            return Err(ProofError::OutOfRange(format!(
                "leaf {index} in a tree of {size} (the log has {})",
                self.size()
            )));
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Ok(path)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// RFC 9162 consistency proof between the trees of `first` and `second` leaves
    /// (0 < first ≤ second ≤ size; empty when they are equal).
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        if first == 0 || first > second || second > self.size() {
            return Err(ProofError::OutOfRange(format!(
                "consistency from {first} to {second} (the log has {})",
                self.size()
            )));
        }
        let mut proof = Vec::new();
        self.subproof(first, 0, second, true, &mut proof);
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// RFC 9162 §2.1.3.2: does `proof` show the leaf at `index` in the tree of `size` with `root`?
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange(format!(
            "leaf {index} in a tree of {size}"
        )));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::Mismatch(
                "the proof is longer than the tree is deep",
            ));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Mismatch(
            "the proof is shorter than the tree is deep",
        ));
    }
    if &r != root {
        return Err(ProofError::Mismatch("the recomputed root differs"));
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: does `proof` show the tree of `first` leaves (root `first_root`) is a
/// prefix of the tree of `second` leaves (root `second_root`)?
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::OutOfRange(format!(
            "first size {first} exceeds second size {second}"
        )));
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch(
                "equal sizes need equal roots and an empty proof",
            ))
        };
    }
    if first == 0 {
        // The empty tree is a prefix of every tree; RFC 9162 defines no proof for it.
        return if proof.is_empty() && *first_root == empty_root() {
            Ok(())
        } else {
            Err(ProofError::Mismatch(
                "the empty tree has the empty root and an empty proof",
            ))
        };
    }
    if proof.is_empty() {
        return Err(ProofError::Mismatch("the proof is empty"));
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(ProofError::Mismatch(
                "the proof is longer than the tree is deep",
            ));
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if &fr != first_root || &sr != second_root || s != 0 {
        return Err(ProofError::Mismatch("the recomputed roots differ"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The eight leaves of the Certificate Transparency reference tests.
    fn ct_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            vec![0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            (0x60..=0x6f).collect(),
        ]
    }

    /// MTH straight from the RFC's recursive definition: the independent computation.
    fn naive_root(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn tree_of(leaves: &[Vec<u8>]) -> Tree {
        let mut t = Tree::new();
        for l in leaves {
            t.push(leaf_hash(l));
        }
        t
    }

    #[test]
    fn certificate_transparency_reference_roots() {
        let t = tree_of(&ct_leaves());
        assert_eq!(
            hex(&t.root(0).unwrap()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&t.root(1).unwrap()),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex(&t.root(8).unwrap()),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
    }

    #[test]
    fn roots_equal_the_recursive_definition_at_every_size() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let t = tree_of(&leaves);
        for n in 0..=leaves.len() {
            assert_eq!(
                t.root(n as u64).unwrap(),
                naive_root(&leaves[..n]),
                "size {n}"
            );
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_no_wrong_one_does() {
        let leaves: Vec<Vec<u8>> = (0..37u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let t = tree_of(&leaves);
        for size in 1..=leaves.len() as u64 {
            let root = naive_root(&leaves[..size as usize]);
            for index in 0..size {
                let proof = t.inclusion_proof(index, size).unwrap();
                let leaf = leaf_hash(&leaves[index as usize]);
                verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
                // Wrong leaf, wrong index, wrong root, tampered proof: all refused.
                assert!(verify_inclusion(&leaf_hash(b"x"), index, size, &proof, &root).is_err());
                if size > 1 {
                    assert!(
                        verify_inclusion(&leaf, (index + 1) % size, size, &proof, &root).is_err()
                    );
                }
                assert!(verify_inclusion(&leaf, index, size, &proof, &empty_root()).is_err());
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = node_hash(first, first);
                    assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_no_wrong_one_does() {
        let leaves: Vec<Vec<u8>> = (0..33u32)
            .map(|i| vec![i as u8; (i % 5) as usize])
            .collect();
        let t = tree_of(&leaves);
        for second in 1..=leaves.len() as u64 {
            let r2 = naive_root(&leaves[..second as usize]);
            for first in 1..=second {
                let r1 = naive_root(&leaves[..first as usize]);
                let proof = t.consistency_proof(first, second).unwrap();
                verify_consistency(first, second, &r1, &r2, &proof).unwrap();
                if first < second {
                    assert!(verify_consistency(first, second, &r2, &r1, &proof).is_err());
                    let mut bad = proof.clone();
                    bad.pop();
                    assert!(verify_consistency(first, second, &r1, &r2, &bad).is_err());
                }
            }
        }
    }

    #[test]
    fn truncate_restores_an_earlier_tree() {
        let leaves: Vec<Vec<u8>> = (0..21u32).map(|i| vec![i as u8]).collect();
        let mut t = tree_of(&leaves);
        t.truncate(13);
        assert_eq!(t.size(), 13);
        assert_eq!(t.root(13).unwrap(), naive_root(&leaves[..13]));
        t.push(leaf_hash(&leaves[13]));
        assert_eq!(t.root(14).unwrap(), naive_root(&leaves[..14]));
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let t = tree_of(&ct_leaves());
        assert!(t.root(9).is_err());
        assert!(t.inclusion_proof(8, 8).is_err());
        assert!(t.consistency_proof(0, 3).is_err());
        assert!(t.consistency_proof(5, 3).is_err());
    }
}
