//! Codes of a generation's vectors, the part of them that stays in memory: scalar int8 codes,
//! and one sign bit per dimension for the first pass of large scans.
//!
//! **Int8.** Each dimension is centred on the middle of its range over the set and scaled so
//! the range fills -127..=127: e5 vectors sit in a narrow cone (cosines between products are
//! mostly 0.7–0.95), so without centring most of the code range would go unused. A scan reads
//! 384 bytes per row instead of 1,536 (scans are memory-bound), scores them against the query
//! in integers, and the caller rescores a shortlist with the full-precision rows read from
//! disk ([`FloatRows`]).
//!
//! **Signs.** Whether each value is above its dimension's mean over the set (centred, for the
//! same reason): 48 bytes a row at 384 dimensions, an eighth of the int8 codes. A row's residual
//! `r` (the vector less the means `m`) is estimated from its signs `s` as RaBitQ does:
//! `q·v = q·m + m·r + (q − m)·r`, the first two exact (a term of the query, one of the row) and
//! `(q − m)·r ≈ Σ (q − m)ᵢsᵢ × ‖r‖² / ‖r‖₁` (one factor a row). The centred query is cut to
//! 4-bit weights so that the sum is a few AND-and-popcounts of its bit planes with the row's
//! bits. The estimate is rough (no bound): a scan takes a wide shortlist by signs and ranks it
//! by the int8 codes.
//!
//! The codes are computed when a set is opened, from `vectors.f32` (two sequential passes), so
//! generations on disk are the same with or without them.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Largest code magnitude.
const CODE_MAX: f32 = 127.0;
/// Largest query weight magnitude: a row's sum of `dimension` products of a weight and a code
/// stays within `i32` up to 512 dimensions (512 × 32,767 × 127 < 2³¹).
const WEIGHT_MAX: f32 = 32_767.0;
/// Rows read per chunk while computing codes (6 MiB at 384 dimensions).
const CHUNK_ROWS: usize = 4_096;
/// Bits of a query's weights for the sign codes: 4 bit planes.
const PLANES: usize = 4;
/// Largest 4-bit weight.
const PLANE_MAX: f32 = ((1 << PLANES) - 1) as f32;

/// The int8 and sign codes of every row, with the per-dimension centre and scale that decode
/// the int8 codes and the means the signs are taken against.
pub(crate) struct Codes {
    dimension: usize,
    centre: Vec<f32>,
    /// Value of one code step, per dimension.
    scale: Vec<f32>,
    codes: Vec<i8>,
    /// Per dimension, the mean over the set.
    mean: Vec<f32>,
    /// `u64` words of sign bits a row.
    words: usize,
    /// Per row, `words` words: bit `d` is set when dimension `d` is above its mean.
    signs: Vec<u64>,
    /// Per row, what turns its bits into an estimate.
    sign_rows: Vec<SignRow>,
}

/// A row's terms for the sign estimate.
#[derive(Clone, Copy)]
struct SignRow {
    /// `‖r‖² / ‖r‖₁` of the row's residual `r` (0 for no residual).
    factor: f32,
    /// `m·r`, with the means `m`.
    mean_dot: f32,
}

/// A query prepared for scoring codes: `approx(row) = offset + unit × Σ weightᵢ·codeᵢ`, which
/// is the query's dot product with the row's decoded vector.
pub(crate) struct CodeQuery {
    weights: Vec<i16>,
    offset: f32,
    unit: f32,
    /// The largest error of `approx` against the exact dot product: half a code step per
    /// dimension, plus the weights' rounding.
    pub(crate) bound: f32,
    /// For the sign codes: per word of a row, the [`PLANES`] words of the 4-bit weights'
    /// bits (`planes[w * PLANES + b]` holds bit `b` of the weights of word `w`'s dimensions).
    planes: Vec<u64>,
    /// `estimate = mean_offset + mean_dot + factor × (ones × per_one + constant + per_weight ×
    /// Σ weights under set bits)`: the query's dot product with the means, and the terms of
    /// `Σ (q − m)ᵢsᵢ` with `(q − m)ᵢ ≈ low + step × weightᵢ`.
    mean_offset: f32,
    per_one: f32,
    constant: f32,
    per_weight: f32,
}

impl Codes {
    /// The codes of the `rows` vectors of `path` (row after row, little-endian f32).
    pub(crate) fn of_file(path: &Path, rows: usize, dimension: usize) -> std::io::Result<Codes> {
        let mut low = vec![f32::INFINITY; dimension];
        let mut high = vec![f32::NEG_INFINITY; dimension];
        let mut sum = vec![0f64; dimension];
        for_each_row(path, rows, dimension, |row| {
            for (((l, h), s), &v) in low.iter_mut().zip(&mut high).zip(&mut sum).zip(row) {
                *l = l.min(v);
                *h = h.max(v);
                *s += f64::from(v);
            }
        })?;
        let mean: Vec<f32> = sum
            .iter()
            .map(|&s| (s / rows.max(1) as f64) as f32)
            .collect();
        let mut codes = Codes::with_range(dimension, &low, &high, mean);
        codes.codes.reserve_exact(rows * dimension);
        codes.signs.reserve_exact(rows * codes.words);
        codes.sign_rows.reserve_exact(rows);
        for_each_row(path, rows, dimension, |row| codes.push(row))?;
        Ok(codes)
    }

    /// No rows yet, with the range `low..=high` and the `mean` per dimension.
    fn with_range(dimension: usize, low: &[f32], high: &[f32], mean: Vec<f32>) -> Codes {
        let (centre, scale) = low
            .iter()
            .zip(high)
            .map(|(&l, &h)| match l <= h {
                true => (
                    (l + h) / 2.0,
                    ((h - l) / (2.0 * CODE_MAX)).max(f32::MIN_POSITIVE),
                ),
                // No rows: any scale serves.
                false => (0.0, 1.0 / CODE_MAX),
            })
            .unzip();
        Codes {
            dimension,
            centre,
            scale,
            codes: Vec::new(),
            mean,
            words: dimension.div_ceil(64),
            signs: Vec::new(),
            sign_rows: Vec::new(),
        }
    }

    /// Appends a row's codes; values outside the range the codes were fitted on are clamped
    /// (rows added by a delta), which only widens their error, and rescoring is exact.
    pub(crate) fn push(&mut self, row: &[f32]) {
        debug_assert_eq!(row.len(), self.dimension);
        let codes = row
            .iter()
            .zip(&self.centre)
            .zip(&self.scale)
            .map(|((&v, &c), &s)| ((v - c) / s).round().clamp(-CODE_MAX, CODE_MAX) as i8);
        self.codes.extend(codes);
        let mut words = vec![0u64; self.words];
        let (mut squares, mut magnitudes, mut mean_dot) = (0f32, 0f32, 0f32);
        for (d, (&v, &m)) in row.iter().zip(&self.mean).enumerate() {
            let r = v - m;
            squares += r * r;
            magnitudes += r.abs();
            mean_dot += m * r;
            if r > 0.0 {
                words[d / 64] |= 1 << (d % 64);
            }
        }
        self.signs.extend(words);
        self.sign_rows.push(SignRow {
            factor: if magnitudes > 0.0 {
                squares / magnitudes
            } else {
                0.0
            },
            mean_dot,
        });
    }

    /// The decoded vector of `row`: within half a code step of the original per dimension.
    pub(crate) fn decode(&self, row: usize) -> Vec<f32> {
        self.row(row)
            .iter()
            .zip(&self.centre)
            .zip(&self.scale)
            .map(|((&q, &c), &s)| c + s * f32::from(q))
            .collect()
    }

    fn row(&self, row: usize) -> &[i8] {
        &self.codes[row * self.dimension..(row + 1) * self.dimension]
    }

    /// `query` prepared for [`CodeQuery::approx`].
    pub(crate) fn query(&self, query: &[f32]) -> CodeQuery {
        let products: Vec<f32> = query.iter().zip(&self.scale).map(|(q, s)| q * s).collect();
        let largest = products.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let unit = if largest > 0.0 {
            largest / WEIGHT_MAX
        } else {
            1.0
        };
        let weights: Vec<i16> = products.iter().map(|w| (w / unit).round() as i16).collect();
        let offset = query.iter().zip(&self.centre).map(|(q, c)| q * c).sum();
        let step: f32 = query
            .iter()
            .zip(&self.scale)
            .map(|(q, s)| q.abs() * s)
            .sum();
        let rounding = unit / 2.0 * CODE_MAX * self.dimension as f32;
        // For the signs, q·v = q·m + m·r + (q − m)·r: the first is the query's, the second
        // the row's, and only the last is estimated, from the centred query (the spread of the
        // cone, not its axis: the signs' error along the axis would swamp it otherwise). Its
        // 4-bit weights: (q − m)ᵢ ≈ low + step × weightᵢ.
        let centred: Vec<f32> = query.iter().zip(&self.mean).map(|(q, m)| q - m).collect();
        let low = centred.iter().copied().fold(f32::INFINITY, f32::min);
        let high = centred.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let plane_step = if high > low {
            (high - low) / PLANE_MAX
        } else {
            1.0
        };
        let mut planes = vec![0u64; self.words * PLANES];
        let mut weight_sum = 0u32;
        for (d, &q) in centred.iter().enumerate() {
            let weight = ((q - low) / plane_step).round().clamp(0.0, PLANE_MAX) as u32;
            weight_sum += weight;
            for b in 0..PLANES {
                if weight >> b & 1 == 1 {
                    planes[d / 64 * PLANES + b] |= 1 << (d % 64);
                }
            }
        }
        // Σ (q − m)ᵢsᵢ with sᵢ = ±1: Σ sᵢ = 2 ones − d, and Σ weightᵢsᵢ = 2 Σ_set weightᵢ − Σ weightᵢ.
        let dimension = self.dimension as f32;
        CodeQuery {
            weights,
            offset,
            unit,
            bound: step / 2.0 + rounding,
            planes,
            mean_offset: query.iter().zip(&self.mean).map(|(q, m)| q * m).sum(),
            per_one: 2.0 * low,
            constant: -low * dimension - plane_step * weight_sum as f32,
            per_weight: 2.0 * plane_step,
        }
    }

    /// The estimate from its signs of the prepared query's dot product with row `row`: rough,
    /// for ranking a first pass (see the module's documentation).
    pub(crate) fn sign_estimate(&self, query: &CodeQuery, row: usize) -> f32 {
        let bits = &self.signs[row * self.words..(row + 1) * self.words];
        // The row's bits are counted here rather than stored: scans wait on memory, not on
        // arithmetic.
        // One count per plane over the row's words, weighted once at the end: weighting
        // per word made the compiler sum its vector lanes once a word.
        let mut ones = 0u32;
        let mut per_plane = [0u32; PLANES];
        for (&word, planes) in bits.iter().zip(query.planes.chunks_exact(PLANES)) {
            ones += word.count_ones();
            for (count, &plane) in per_plane.iter_mut().zip(planes) {
                *count += (word & plane).count_ones();
            }
        }
        let under_set: u32 = per_plane.iter().enumerate().map(|(b, &c)| c << b).sum();
        let terms = self.sign_rows[row];
        query.mean_offset
            + terms.mean_dot
            + terms.factor
                * (ones as f32 * query.per_one
                    + query.constant
                    + query.per_weight * under_set as f32)
    }

    /// The approximate dot product of the prepared query with row `row`.
    pub(crate) fn approx(&self, query: &CodeQuery, row: usize) -> f32 {
        query.offset + query.unit * dot_codes(&query.weights, self.row(row)) as f32
    }
}

/// Σ wᵢ·cᵢ in integers. Sixteen partial sums let the compiler use SIMD lanes (multiply-add of
/// 16-bit pairs).
fn dot_codes(weights: &[i16], codes: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (w16, c16) = (weights.chunks_exact(16), codes.chunks_exact(16));
    let tail: i32 = w16
        .remainder()
        .iter()
        .zip(c16.remainder())
        .map(|(&w, &c)| i32::from(w) * i32::from(c))
        .sum();
    for (w, c) in w16.zip(c16) {
        for i in 0..16 {
            lanes[i] += i32::from(w[i]) * i32::from(c[i]);
        }
    }
    lanes.iter().sum::<i32>() + tail
}

/// Calls `each` with every row of the vectors file, read sequentially in chunks.
fn for_each_row(
    path: &Path,
    rows: usize,
    dimension: usize,
    mut each: impl FnMut(&[f32]),
) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    let mut bytes = vec![0u8; CHUNK_ROWS * dimension * 4];
    let mut left = rows;
    while left > 0 {
        let n = left.min(CHUNK_ROWS);
        let chunk = &mut bytes[..n * dimension * 4];
        file.read_exact(chunk)?;
        let values = bytemuck::pod_collect_to_vec::<u8, f32>(chunk);
        values.chunks_exact(dimension).for_each(&mut each);
        left -= n;
    }
    Ok(())
}

/// The full-precision rows, read from disk one row at a time (positioned reads: no seek, any
/// number of readers at once). They are not kept in memory: a million rows of 384 floats are
/// 1.5 GB, and only shortlists and anchors are read.
pub(crate) struct FloatRows {
    file: File,
    path: PathBuf,
    dimension: usize,
}

impl FloatRows {
    /// The rows of `path`.
    pub(crate) fn open(path: &Path, dimension: usize) -> std::io::Result<FloatRows> {
        Ok(FloatRows {
            file: File::open(path)?,
            path: path.to_owned(),
            dimension,
        })
    }

    /// Row `row`.
    pub(crate) fn read(&self, row: usize) -> std::io::Result<Vec<f32>> {
        let mut bytes = vec![0u8; self.dimension * 4];
        self.file
            .read_exact_at(&mut bytes, (row * self.dimension * 4) as u64)?;
        Ok(bytemuck::pod_collect_to_vec::<u8, f32>(&bytes))
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rows: &[Vec<f32>]) -> PathBuf {
        let path = dir.join("vectors.f32");
        let data: Vec<f32> = rows.iter().flatten().copied().collect();
        std::fs::write(&path, bytemuck::cast_slice::<f32, u8>(&data)).unwrap();
        path
    }

    #[test]
    fn approximate_scores_stay_within_their_bound_and_rows_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        // A narrow cone, like e5's: a shared direction plus small spread, normalised.
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 2_000) as f32 / 1_000.0 - 1.0
        };
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|_| {
                let v: Vec<f32> = (0..40)
                    .map(|d| 0.5 + 0.1 * d as f32 % 0.3 + 0.2 * next())
                    .collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.into_iter().map(|x| x / norm).collect()
            })
            .collect();
        let path = write(dir.path(), &rows);
        let codes = Codes::of_file(&path, rows.len(), 40).unwrap();
        let floats = FloatRows::open(&path, 40).unwrap();
        assert_eq!(codes.codes.len(), rows.len() * 40);
        for (i, row) in rows.iter().enumerate().step_by(7) {
            assert_eq!(&floats.read(i).unwrap(), row);
            let query = codes.query(row);
            for (j, other) in rows.iter().enumerate() {
                let exact = crate::vectors::dot(row, other);
                let approx = codes.approx(&query, j);
                assert!(
                    (approx - exact).abs() <= query.bound,
                    "{approx} vs {exact}, bound {}",
                    query.bound
                );
            }
            let decoded = codes.decode(i);
            assert!(
                decoded
                    .iter()
                    .zip(row)
                    .all(|(d, v)| (d - v).abs() <= 0.5 * 0.4 / 127.0 + 1e-6)
            );
        }
    }

    /// Residuals of equal magnitude are exactly their signs times that magnitude, and a centred
    /// query on a grid of 16 steps is exactly its 4-bit weights: the estimate is then the dot
    /// product.
    #[test]
    fn a_sign_estimate_is_exact_for_rows_of_equal_residuals_and_a_query_on_its_grid() {
        let dimension = 70; // two words, the second partly used
        let mean: Vec<f32> = (0..dimension).map(|d| 0.01 * d as f32).collect();
        let mut codes = Codes::with_range(dimension, &[-1.0; 70], &[1.0; 70], mean.clone());
        let rows: Vec<Vec<f32>> = (0..5u64)
            .map(|seed| {
                let size = 0.05 * (seed + 1) as f32;
                (0..dimension)
                    .map(|d| match (d as u64 * 7 + seed * 13) % 5 < 2 {
                        true => mean[d] + size,
                        false => mean[d] - size,
                    })
                    .collect()
            })
            .collect();
        for row in &rows {
            codes.push(row);
        }
        // The centred query is on the grid: -0.3 + 0.04 × (0..=15), both ends used.
        let query: Vec<f32> = (0..dimension)
            .map(|d| mean[d] - 0.3 + 0.04 * ((d * 11) % 16) as f32)
            .collect();
        let prepared = codes.query(&query);
        for (i, row) in rows.iter().enumerate() {
            let exact = crate::vectors::dot(&query, row);
            let estimate = codes.sign_estimate(&prepared, i);
            assert!(
                (estimate - exact).abs() < 1e-4,
                "row {i}: {estimate} vs {exact}"
            );
        }
    }

    #[test]
    fn a_pushed_row_outside_the_range_is_clamped() {
        let mut codes = Codes::with_range(2, &[0.0, -1.0], &[1.0, 1.0], vec![0.5, 0.0]);
        codes.push(&[2.0, 0.0]);
        assert_eq!(codes.row(0), &[127, 0]);
        let decoded = codes.decode(0);
        assert!((decoded[0] - 1.0).abs() < 1e-6 && decoded[1].abs() < 1e-6);
    }
}
